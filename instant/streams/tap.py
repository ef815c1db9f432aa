"""``instant.tap()``: ask for a value before it is written, get it the moment it is done.

::

    t = instant.tap(reply)                  # nothing is read yet
    answer = t.value("answer")              # a handle, asked for before the key appears
    async for step in t.items("steps.[]"):  # each step at its done
        ...
    print(await answer)

Handles: ``t.value(selector, model=None)`` (awaitable: the first value the selector selects,
at its ``done``), ``t.deltas(selector)`` (the text of the first string it selects, piece by
piece), ``t.items(selector, model=None, on_invalid="raise")`` (every value it selects, in
the reply and in tool calls' arguments; the loop ends as soon as no more can come in the
reply's document, by the rule of :mod:`.until`: ``steps.[]`` ends when ``steps`` is done;
with ``multiple=True``, or for a term like ``**.url``, at the end of the stream),
``t.document()`` (the whole reply, at the end). "First" is first in the order values are
done; a handle asked for late looks through the documents in the order they began.
:func:`tap_sync` gives the same for a sync source (``value()`` and ``document()`` return the
value; the others are iterators). A value the reply never holds raises ``KeyError`` at the
end of the stream.

**Who reads the source.** Nothing is read until a handle is awaited. A handle that needs
more starts the tap's *reader* (an asyncio task; for :func:`tap_sync`, the waiting thread
itself, under a lock): it reads one chunk at a time while some handle is waiting for
something it has not got, hands each event of the chunk to every handle that asked for it,
and ends as soon as no handle is waiting. So several handles awaited from different tasks
(or threads) share one reading of the source, each seeing every event once, and nothing is
read ahead of what somebody is waiting for. Cancelling a task that awaits a handle cancels
only that wait: the read in progress finishes in the reader (a chunk is never lost), and the
other handles go on.

**Nothing is buffered for nobody.** The tap keeps no events: a handle gets the events parsed
while it exists, and a handle asked for *after* some of its values were read finds them in
the document parsed so far (the parser keeps the document, as it always does; the tap tracks
only which of its values are done: a counter per open container). So ``await t.value("a")``
then ``await t.value("b")`` works whatever the order of ``a`` and ``b`` in the reply. A
handle keeps only what it was asked for and has not handed out yet (items, text pieces); a
handle that is dropped is forgotten (the tap holds it weakly).

**Lifetime.** ``async with instant.tap(reply) as t`` (or ``await t.aclose()``) cancels a read
in progress and closes the source at once; handles not done by then raise ``KeyError``
(``items``/``deltas`` loops just end). The source is also closed when the reply ends, when
it fails (every waiting handle raises that error), when ``until=`` stops the tap early
(``stopped_early``; handles not done raise ``KeyError``), and when the reader is cancelled
(event loop shutdown). A tap dropped unclosed closes its source when its pump is garbage
collected (the event loop's async-generator finaliser for :func:`tap`; at once in CPython for
:func:`tap_sync`); one that never read anything never touched its source.

Cost per event: the done-tracking (a few tuple operations) and one ``offer`` per live
handle (a selector lookup). :class:`TapCore` is that part, sans-I/O.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections import deque
from collections.abc import AsyncIterable, Generator, Iterable, Iterator
from typing import Any, Generic, Literal, TypeVar, overload

from ..errors import ParseError, RefusalError
from ..events import Event, key_segment
from ..options import ParserOptions, Unpack, check
from ..selector import Selector, compile_selector
from ._pump import Source, apump, chunks_of, pump
from .items import ItemValidationError, OnInvalid, Validator, validator
from .parser import StreamParser, ToolCall
from .until import DocKey, Gate, Settle, UntilSpec, doc_key, done_only, fixed_parts, plan

__all__ = ["SyncTap", "Tap", "TapCore", "TapDriver", "tap", "tap_sync"]

T = TypeVar("T")
Ending = Literal["ended", "stopped", "closed", "failed"]


# ------------------------------------------------------------------------------ the driver


class TapDriver:
    """The pump driver of a tap: one output per chunk, the list of its events."""

    def __init__(self, core: StreamParser, gate: Gate | None) -> None:
        self.core = core
        self.gate = gate
        self.stopped = False

    def begin(self) -> list[list[Event]]:
        return []

    def feed(self, chunk: Any) -> tuple[list[list[Event]], BaseException | None]:
        err: ParseError | None = None
        try:
            events = self.core.feed(chunk)
        except ParseError as e:
            err = e
            events, err.events = err.events, []
        gate = self.gate
        if gate is not None:
            events = gate(events)
            if gate.stopped:
                self.stopped, err = True, None
        return [events], err

    def close(self) -> tuple[list[list[Event]], BaseException | None]:
        try:
            return [self.core.close()], None
        except ParseError as err:
            events, err.events = err.events, []
            return [events], err
        except RefusalError as err:
            return [], err

    def fail(self, exc: BaseException) -> list[list[Event]]:
        return []


# ------------------------------------------------------------------------------ handles


def _name(selector: str | Selector) -> str:
    return repr(selector if isinstance(selector, str) else selector.expression)


class _Sub:
    """What one handle asked for (sans-I/O): events offered, output queued."""

    __slots__ = ("__weakref__", "selector", "matches", "finished", "error")

    def __init__(self, selector: str | Selector, matcher: Selector | None = None) -> None:
        self.selector = selector
        self.matches = (matcher or compile_selector(selector)).matches
        self.finished = False
        self.error: BaseException | None = None

    def offer(self, event: Event) -> bool:
        """Take ``event`` if it is wanted; True if the handle now has something new."""
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def end(self, how: Ending, error: BaseException | None) -> None:
        """The tap stopped reading (``error``: the one it failed with)."""
        raise NotImplementedError

    def _missing(self, how: Ending, error: BaseException | None, what: str) -> BaseException:
        if how == "failed" and error is not None:
            return error
        why = {
            "ended": "the reply holds no such value",
            "stopped": "it was not done when the tap stopped early (until=)",
            "closed": "it was not done when the tap was closed",
            "failed": "the tap failed",
        }[how]
        return KeyError(f"{what}({_name(self.selector)}): {why}")


class _ValueSub(_Sub):
    __slots__ = ("check", "value")

    def __init__(self, selector: str | Selector, check: Validator | None) -> None:
        super().__init__(selector, done_only(selector, "value()"))
        self.check = check
        self.value: Any = None

    def offer(self, event: Event) -> bool:
        if not self.matches(event):
            return False
        self.finished = True
        value = event["value"]
        check = self.check
        if check is not None:
            try:
                value = check.validate(value)
            except check.error as exc:
                self.error = ItemValidationError(self.selector, event, check.model, exc)
                return True
        self.value = value
        return True

    def ready(self) -> bool:
        return self.finished

    def end(self, how: Ending, error: BaseException | None) -> None:
        if not self.finished:
            self.finished = True
            self.error = self._missing(how, error, "value")

    def take(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


class _QueueSub(_Sub):
    __slots__ = ("queue",)

    def __init__(self, selector: str | Selector, matcher: Selector | None = None) -> None:
        super().__init__(selector, matcher)
        self.queue: deque[Any] = deque()

    def ready(self) -> bool:
        return bool(self.queue) or self.finished

    def take(self) -> tuple[bool, Any]:
        """``(True, piece)``, or ``(False, None)`` at the end (or raises the error)."""
        if self.queue:
            piece = self.queue.popleft()
            if piece.__class__ is _Raise:
                self.queue.clear()
                self.finished = True
                raise piece.error
            return True, piece
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        return False, None


class _Raise:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class _DeltasSub(_QueueSub):
    __slots__ = ("path", "doc")

    def __init__(self, selector: str | Selector) -> None:
        super().__init__(selector)
        self.path: tuple[Any, ...] | None = None
        self.doc: DocKey | None = None

    def offer(self, event: Event) -> bool:
        kind = event["event"]
        if self.path is None:
            if kind == "start" or not self.matches(event):
                return False
            if kind == "delta":
                self.path, self.doc = event["path"], doc_key(event)
                self.queue.append(event["delta"])
                return True
            value = event["value"]  # done, with no delta before it
            self.finished = True
            if isinstance(value, str):
                if value:  # a string found done in the document (asked for late)
                    self.queue.append(value)
            else:
                self.queue.append(
                    _Raise(
                        TypeError(
                            f"deltas({_name(self.selector)}): the value at "
                            f"{event['key'] or '(root)'} is {type(value).__name__}, not a "
                            "string; await value() for it"
                        )
                    )
                )
            return True
        if event["path"] != self.path or doc_key(event) != self.doc:
            return False
        if kind == "delta":
            self.queue.append(event["delta"])
        elif kind == "done":
            self.finished = True
        return True

    def end(self, how: Ending, error: BaseException | None) -> None:
        if self.finished:
            return
        self.finished = True
        if self.path is None:
            self.error = self._missing(how, error, "deltas")
        elif how == "failed":
            self.error = error


class _ItemsSub(_QueueSub):
    __slots__ = ("check", "on_invalid", "settle")

    def __init__(
        self,
        selector: str | Selector,
        check: Validator | None,
        on_invalid: OnInvalid,
        ends_early: bool,
    ) -> None:
        super().__init__(selector, done_only(selector, "items()"))
        self.check = check
        self.on_invalid = on_invalid
        parts = fixed_parts(selector)
        # the loop ends when no more items can come in the reply's document (module until);
        # never for a term that names values anywhere in it, nor when more documents may
        # follow (multiple=True): those end with the stream
        early = ends_early and all(p.steps for p in parts)
        self.settle = Settle(parts) if early else None

    def offer(self, event: Event) -> bool:
        if event["event"] != "done":
            return False
        new = False
        if self.matches(event):
            new = True
            value = event["value"]
            check = self.check
            if check is not None:
                try:
                    value = check.validate(value)
                except check.error as exc:
                    error = ItemValidationError(self.selector, event, check.model, exc)
                    if self.on_invalid == "raise":
                        self.queue.append(_Raise(error))
                        self.finished = True
                        return True
                    if self.on_invalid == "skip":
                        new = False
                    else:
                        self.queue.append(error)
                    value = _SKIP
            if value is not _SKIP:
                self.queue.append(value)
        if self.settle is not None and "tool_call" not in event and self.settle.seen(event):
            self.finished = True
            return True
        return new

    def end(self, how: Ending, error: BaseException | None) -> None:
        if not self.finished:
            self.finished = True
            if how == "failed":
                self.error = error


_SKIP = object()


class _DocumentSub(_Sub):
    """The whole reply, at the end (subscribed to nothing)."""

    __slots__ = ("value", "core")

    def __init__(self, core: StreamParser) -> None:
        self.finished = False
        self.error = None
        self.core = core
        self.value: Any = None

    def offer(self, event: Event) -> bool:  # pragma: no cover - never subscribed
        return False

    def ready(self) -> bool:
        return self.finished

    def end(self, how: Ending, error: BaseException | None) -> None:
        self.finished = True
        if how == "failed":
            self.error = error
        parser = self.core.parser
        self.value = parser.values if parser.multiple else parser.value

    def take(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


# ------------------------------------------------------------------------------ the core


class _Doc:
    """Which values of one document are done, as far as events were handed out: the open
    containers from the root (path, number of done children) and the open string."""

    __slots__ = ("frames", "string", "complete", "extra")

    def __init__(self, extra: dict[str, Any]) -> None:
        self.frames: list[list[Any]] = [[(), 0]]
        self.string: tuple[Any, ...] | None = None
        self.complete = False
        self.extra = extra

    def track(self, path: tuple[Any, ...], kind: str) -> None:
        if not path:
            if kind == "done":
                self.complete = True
                self.string = None
            elif kind == "delta":
                self.string = path
            return
        parent = path[:-1]
        frames = self.frames
        if frames[-1][0] != parent:
            n = len(parent)
            while len(frames[-1][0]) > n or frames[-1][0] != parent[: len(frames[-1][0])]:
                frames.pop()
            for i in range(len(frames[-1][0]) + 1, n + 1):
                frames.append([parent[:i], 0])
        if kind == "done":
            frames[-1][1] += 1
            self.string = None
        elif kind == "delta":
            self.string = path


def _children(value: Any) -> Iterator[tuple[Any, Any]] | None:
    if value.__class__ is dict:
        return iter(value.items())
    if value.__class__ is list:
        return enumerate(value)
    return None


def _post_order(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every value under ``value`` (included), children before their container, no recursion."""
    stack = [(path, value, _children(value))]
    while stack:
        p, v, it = stack[-1]
        if it is not None:
            for k, child in it:
                grand = _children(child)
                if grand is not None:
                    stack.append(((*p, k), child, grand))
                    break
                yield (*p, k), child
            else:
                stack.pop()
                yield p, v
            continue
        stack.pop()
        yield p, v


def _synthetic(path: tuple[Any, ...], value: Any, kind: str, extra: dict[str, Any]) -> Event:
    """An event for a value found in the document (for a handle asked for late)."""
    event: dict[str, Any] = {
        "key": ".".join("[]" if p.__class__ is int else key_segment(p) for p in path),
        "indexes": [p for p in path if p.__class__ is int],
        "path": path,
        "event": kind,
        "delta": value if kind == "delta" else ("" if isinstance(value, str) else value),
        "value": value,
        "is_complete": kind == "done",
        "complete_value": None,
        **extra,
    }
    return event  # type: ignore[return-value]


class TapCore:
    """The sans-I/O part of a tap: handles, the events handed to them, where each document
    is (to find the values a late handle missed), and how the tap ended."""

    def __init__(self, core: StreamParser) -> None:
        self.core = core
        self.subs: list[weakref.ref[_Sub]] = []
        self.docs: dict[DocKey, _Doc] = {}
        self.ending: Ending | None = None
        self.error: BaseException | None = None

    def add(self, sub: _Sub) -> None:
        """Subscribe ``sub``, first offering it what it missed (see the module)."""
        if isinstance(sub, _DocumentSub):  # subscribed to nothing: it ends with the tap
            if self.ending is not None:
                sub.end(self.ending, self.error)
            return
        if self.docs:
            for event in self._replay():
                sub.offer(event)
                if sub.finished:
                    break
        if self.ending is not None:
            sub.end(self.ending, self.error)
        elif not sub.finished:
            self.subs.append(weakref.ref(sub))

    def dispatch(self, events: list[Event]) -> None:
        """Hand each event to every handle that wants it; forget finished/dropped ones."""
        docs = self.docs
        subs = self.subs
        for event in events:
            if event["event"] != "start":
                call = event.get("tool_call")
                key = (0 if call is None else call["index"] + 1, event.get("document", 0))
                doc = docs.get(key)
                if doc is None:
                    extra: dict[str, Any] = {
                        k: v for k, v in event.items() if k in ("document", "tool_call")
                    }
                    doc = docs[key] = _Doc(extra)
                doc.track(event["path"], event["event"])
            gone = False
            for ref in subs:
                sub = ref()
                if sub is None or sub.finished:
                    gone = True
                    continue
                sub.offer(event)
                if sub.finished:
                    gone = True
            if gone:
                subs[:] = [r for r in subs if (s := r()) is not None and not s.finished]

    def end(self, how: Ending, error: BaseException | None = None) -> None:
        if self.ending is not None:
            return
        self.ending, self.error = how, error
        for ref in self.subs:
            sub = ref()
            if sub is not None:
                sub.end(how, error)
        self.subs.clear()

    # -- what a late handle missed --------------------------------------------------------

    def _live(self, key: DocKey) -> Any:
        call, number = key
        parser = self.core.parser if call == 0 else self.core.tool_calls[call - 1].parser
        if parser.multiple:
            values = parser.values
            return values[number] if number < len(values) else parser.value
        return parser.value

    def _replay(self) -> Iterator[Event]:
        """The done values handed out so far, as done events (document order, children
        first), then each open string's text so far as one delta."""
        for key, doc in list(self.docs.items()):
            root = self._live(key)
            extra = doc.extra
            if doc.complete:
                for path, value in _post_order(root, ()):
                    yield _synthetic(path, value, "done", extra)
                continue
            frames = doc.frames
            container = root
            for depth, (path, count) in enumerate(frames):
                if depth:
                    container = container[path[-1]]
                if depth + 1 < len(frames):
                    open_child = frames[depth + 1][0][-1]
                elif doc.string is not None and doc.string[:-1] == path:
                    open_child = doc.string[-1]
                else:
                    open_child = _NONE
                it = _children(container)
                if it is None:
                    break
                for i, (k, child) in enumerate(it):
                    if i >= count:
                        break
                    if k == open_child and container.__class__ is dict:
                        continue  # a duplicate key, open again: not done
                    for p, v in _post_order(child, (*path, k)):
                        yield _synthetic(p, v, "done", extra)
            if doc.string is not None:
                text: Any = root
                for k in doc.string:
                    text = text[k]
                if isinstance(text, str) and text:
                    yield _synthetic(doc.string, text, "delta", extra)


_NONE = object()


def _dispatch(tap: TapCore, driver: TapDriver, events: list[Event]) -> None:
    """One chunk's events to the handles; the end of the tap if ``until=`` stopped it."""
    if events:
        try:
            tap.dispatch(events)
        except Exception as exc:  # pragma: no cover - a bug: fail the handles, never hang them
            tap.end("failed", exc)
            raise
    if driver.stopped:
        tap.end("stopped")


# ------------------------------------------------------------------------------ async


class _TapBase:
    """What both taps tell about the stream parsed so far."""

    _stream: StreamParser
    _driver: TapDriver
    _tap: TapCore

    @property
    def stopped_early(self) -> bool:
        """Whether ``until=`` stopped the tap (the source was closed before its end)."""
        return self._driver.stopped

    @property
    def closed(self) -> bool:
        """Whether the tap stopped reading (end of the reply, error, early stop, close)."""
        return self._tap.ending is not None

    @property
    def text(self) -> str:
        """All reply text read so far."""
        return self._stream.text

    @property
    def tool_calls(self) -> list[ToolCall]:
        return self._stream.tool_calls

    @property
    def truncated(self) -> bool:
        return self._stream.parser.truncated

    @property
    def finish_reason(self) -> str | None:
        return self._stream.finish_reason

    @property
    def refusal(self) -> str | None:
        return self._stream.refusal

    @property
    def parser(self) -> Any:
        """The parser of the reply text (``parser.value`` is the document so far)."""
        return self._stream.parser


class Value(Generic[T]):
    """An awaitable handle on one value (``await`` it as often as you like)."""

    __slots__ = ("_owner", "_sub")

    def __init__(self, owner: Tap, sub: _ValueSub | _DocumentSub) -> None:
        self._owner = owner
        self._sub = sub

    def __await__(self) -> Generator[Any, None, T]:
        return self._owner._result(self._sub).__await__()

    def done(self) -> bool:
        """Whether awaiting it would return (or raise) without reading."""
        return self._sub.finished


class Stream(Generic[T]):
    """An async iterator handle: deltas of a string, or items."""

    __slots__ = ("_owner", "_sub")

    def __init__(self, owner: Tap, sub: _QueueSub) -> None:
        self._owner = owner
        self._sub = sub

    def __aiter__(self) -> Stream[T]:
        return self

    async def __anext__(self) -> T:
        sub = self._sub
        if not sub.queue:
            await self._owner._wait(sub)
        got, piece = sub.take()
        if not got:
            raise StopAsyncIteration
        return piece  # type: ignore[no-any-return]


class Tap(_TapBase):
    """Handles on an async source's values; see :mod:`instant.streams.tap`."""

    def __init__(self, source: Any, stream: StreamParser, gate: Gate | None) -> None:
        self._stream = stream
        self._driver = TapDriver(stream, gate)
        self._tap = TapCore(stream)
        self._source: Source[Any] = Source(source)
        self._chunks = apump(self._source, self._driver)
        self._waiting: dict[asyncio.Future[None], _Sub] = {}
        self._reader: asyncio.Task[None] | None = None

    # -- handles ----------------------------------------------------------------------------

    @overload
    def value(self, selector: str | Selector, model: type[T]) -> Value[T]: ...
    @overload
    def value(self, selector: str | Selector, model: Any = None) -> Value[Any]: ...
    def value(self, selector: str | Selector, model: Any = None) -> Value[Any]:
        """The first value ``selector`` selects, at its done (validated if ``model``)."""
        sub = _ValueSub(selector, validator(model))
        self._tap.add(sub)
        return Value(self, sub)

    def deltas(self, selector: str | Selector) -> Stream[str]:
        """The text of the first string ``selector`` selects, piece by piece as it streams."""
        sub = _DeltasSub(selector)
        self._tap.add(sub)
        return Stream(self, sub)

    @overload
    def items(
        self,
        selector: str | Selector,
        model: type[T],
        *,
        on_invalid: Literal["raise", "skip"] = "raise",
    ) -> Stream[T]: ...
    @overload
    def items(
        self, selector: str | Selector, model: Any = None, *, on_invalid: OnInvalid = "raise"
    ) -> Stream[Any]: ...
    def items(
        self, selector: str | Selector, model: Any = None, *, on_invalid: OnInvalid = "raise"
    ) -> Stream[Any]:
        """Every value ``selector`` selects, each at its done (see :func:`instant.items`)."""
        sub = _ItemsSub(
            selector, validator(model), _on_invalid(on_invalid), not self._stream.parser.multiple
        )
        self._tap.add(sub)
        return Stream(self, sub)

    def document(self) -> Value[Any]:
        """The reply's document once the tap has stopped reading (``multiple=True``: the
        list of documents); as far as it was read if the tap stopped early or was closed."""
        sub = _DocumentSub(self._stream)
        self._tap.add(sub)
        return Value(self, sub)

    # -- reading ----------------------------------------------------------------------------

    async def _result(self, sub: _ValueSub | _DocumentSub) -> Any:
        await self._wait(sub)
        return sub.take()

    async def _wait(self, sub: _Sub) -> None:
        """Until ``sub`` has something, reading the source (in the reader) as needed."""
        while not sub.ready():
            if self._tap.ending is not None:
                sub.end(self._tap.ending, self._tap.error)
                return
            loop = asyncio.get_running_loop()
            fut: asyncio.Future[None] = loop.create_future()
            self._waiting[fut] = sub
            if self._reader is None:
                self._reader = loop.create_task(self._read())
            try:
                await fut
            finally:
                self._waiting.pop(fut, None)

    async def _read(self) -> None:
        """The reader: one chunk at a time while a handle waits for something it lacks."""
        tap, chunks, driver = self._tap, self._chunks, self._driver
        try:
            while self._waiting and tap.ending is None:
                try:
                    events = await chunks.__anext__()
                except StopAsyncIteration:
                    tap.end("stopped" if driver.stopped else "ended")
                    break
                except asyncio.CancelledError:
                    tap.end("closed")
                    raise
                except Exception as exc:  # the source or the parser failed; source closed
                    tap.end("failed", exc)
                    break
                self._dispatch(events)
                self._wake()
        finally:
            self._reader = None
            self._wake()

    def _dispatch(self, events: list[Event]) -> None:
        _dispatch(self._tap, self._driver, events)

    def _wake(self) -> None:
        ended = self._tap.ending is not None
        for fut, sub in list(self._waiting.items()):
            if (ended or sub.ready()) and not fut.done():
                fut.set_result(None)

    # -- lifetime ---------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Stop reading: cancel a read in progress, close the source; handles not done end."""
        reader = self._reader
        if reader is not None and not reader.done():
            reader.cancel()
            await asyncio.wait([reader])
        await self._chunks.aclose()
        await self._source.aclose()
        self._tap.end("closed")
        self._wake()

    async def __aenter__(self) -> Tap:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


# ------------------------------------------------------------------------------ sync


class SyncStream(Generic[T]):
    """An iterator handle of :class:`SyncTap`: deltas of a string, or items."""

    __slots__ = ("_owner", "_sub")

    def __init__(self, owner: SyncTap, sub: _QueueSub) -> None:
        self._owner = owner
        self._sub = sub

    def __iter__(self) -> SyncStream[T]:
        return self

    def __next__(self) -> T:
        with self._owner._lock:
            self._owner._wait(self._sub)
            got, piece = self._sub.take()
        if not got:
            raise StopIteration
        return piece  # type: ignore[no-any-return]


class SyncTap(_TapBase):
    """Handles on a sync source's values (:func:`tap_sync`); thread-safe: the thread that
    needs more reads the source, under the tap's lock, while the others wait for it."""

    def __init__(self, source: Any, stream: StreamParser, gate: Gate | None) -> None:
        self._stream = stream
        self._driver = TapDriver(stream, gate)
        self._tap = TapCore(stream)
        self._source: Source[Any] = Source(source)
        self._chunks = pump(self._source, self._driver)
        self._lock = threading.RLock()

    @overload
    def value(self, selector: str | Selector, model: type[T]) -> T: ...
    @overload
    def value(self, selector: str | Selector, model: Any = None) -> Any: ...
    def value(self, selector: str | Selector, model: Any = None) -> Any:
        """The first value ``selector`` selects, read up to its done (validated if ``model``)."""
        sub = _ValueSub(selector, validator(model))
        with self._lock:
            self._tap.add(sub)
            self._wait(sub)
            return sub.take()

    def deltas(self, selector: str | Selector) -> SyncStream[str]:
        """The text of the first string ``selector`` selects, piece by piece."""
        sub = _DeltasSub(selector)
        with self._lock:
            self._tap.add(sub)
        return SyncStream(self, sub)

    @overload
    def items(
        self,
        selector: str | Selector,
        model: type[T],
        *,
        on_invalid: Literal["raise", "skip"] = "raise",
    ) -> SyncStream[T]: ...
    @overload
    def items(
        self, selector: str | Selector, model: Any = None, *, on_invalid: OnInvalid = "raise"
    ) -> SyncStream[Any]: ...
    def items(
        self, selector: str | Selector, model: Any = None, *, on_invalid: OnInvalid = "raise"
    ) -> SyncStream[Any]:
        """Every value ``selector`` selects, each at its done."""
        sub = _ItemsSub(
            selector, validator(model), _on_invalid(on_invalid), not self._stream.parser.multiple
        )
        with self._lock:
            self._tap.add(sub)
        return SyncStream(self, sub)

    def document(self) -> Any:
        """The reply's document, read to the end (as far as read if stopped or closed)."""
        sub = _DocumentSub(self._stream)
        with self._lock:
            self._tap.add(sub)
            self._wait(sub)
            return sub.take()

    def _wait(self, sub: _Sub) -> None:
        """Read (holding the lock) until ``sub`` has something or the tap ends."""
        tap, driver = self._tap, self._driver
        while not sub.ready():
            if tap.ending is not None:
                sub.end(tap.ending, tap.error)
                return
            try:
                events = next(self._chunks)
            except StopIteration:
                tap.end("stopped" if driver.stopped else "ended")
                continue
            except Exception as exc:  # the source or the parser failed; source closed
                tap.end("failed", exc)
                continue
            except BaseException:  # Ctrl-C: the pump closed the source
                tap.end("closed")
                raise
            _dispatch(tap, driver, events)

    def close(self) -> None:
        """Stop reading and close the source; handles not done end."""
        with self._lock:
            self._chunks.close()
            self._source.close()
            self._tap.end("closed")

    def __enter__(self) -> SyncTap:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ------------------------------------------------------------------------------ entry points


def _on_invalid(value: str) -> OnInvalid:
    if value not in ("raise", "skip", "yield_error"):
        raise ValueError(f"on_invalid must be 'raise', 'skip' or 'yield_error', not {value!r}")
    return value  # type: ignore[return-value]


def _open(where: str, source: Any, until: UntilSpec | None, options: ParserOptions) -> Any:
    check(where, options)
    if "select" in options:
        raise TypeError(f"{where}: each handle names what it wants; the tap takes no select=")
    source = chunks_of(source, where)
    opts, gate = plan(where, options, until)
    if gate is None or gate.until is None or gate.until.fn is None:
        opts.setdefault("snapshots", False)  # handles hand out values, never snapshots
    return StreamParser(**opts), gate, source


def tap(
    source: AsyncIterable[Any] | Iterable[Any] | str | bytes,
    *,
    until: UntilSpec | None = None,
    **options: Unpack[ParserOptions],
) -> Tap:
    """Handles on the values of an async model stream (a sync one is read in the event
    loop's thread); creating it reads nothing and needs no ``await``. ``until`` stops the
    tap early (:mod:`.until`); ``options`` are the parser's (no ``select``)."""
    stream, gate, source = _open("instant.tap()", source, until, options)
    return Tap(source, stream, gate)


def tap_sync(
    source: Iterable[Any] | str | bytes,
    *,
    until: UntilSpec | None = None,
    **options: Unpack[ParserOptions],
) -> SyncTap:
    """:func:`tap` for a sync source: ``value()`` returns the value, the rest iterate."""
    if hasattr(source, "__aiter__"):
        raise TypeError(
            "instant.tap_sync() reads a sync source; for an async one use instant.tap()"
        )
    stream, gate, source = _open("instant.tap_sync()", source, until, options)
    return SyncTap(source, stream, gate)
