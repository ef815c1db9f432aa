"""Streams: any iterable or async iterable of chunks in, events out.

:class:`StreamParser` is the sans-I/O part: raw chunks (text or SDK chunk objects, read by
:mod:`instant.chunks`) in, events out, one :class:`~instant.Parser` for the reply text and
one per tool call. :func:`stream` puts it on a source: it pulls one chunk only when the
consumer wants the next event (no read-ahead), hands out every event parsed before an error
(the source's own, or a :class:`~instant.ParseError`) and then raises it, and closes the
source when the consumer stops early. Nothing here starts a task or a thread.
"""

from __future__ import annotations

import codecs
import inspect
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Generator,
    Iterable,
    Iterator,
)
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, overload

from .chunks import CallPiece, ChunkReader
from .errors import ParseError
from .events import Event, ToolCallInfo
from .parser import NO_JSON, Parser
from .selector import Selector


@dataclass(eq=False)
class ToolCall:
    """One tool call of the stream: who is called, and its arguments as they arrive.

    ``index`` numbers the calls 0, 1, ... in the order they first appear; ``id`` and
    ``name`` are the API's; ``arguments`` the raw argument text so far, ``value`` the
    arguments parsed so far (the final ``dict`` once the stream has ended).
    """

    index: int
    id: str | None
    name: str | None
    parser: Parser = field(repr=False)
    info: ToolCallInfo = field(repr=False)
    _parts: list[str] = field(default_factory=list, repr=False)
    closed: bool = False

    @property
    def arguments(self) -> str:
        return "".join(self._parts)

    @property
    def value(self) -> Any:
        return self.parser.value


class StreamParser:
    """Raw chunks in, events out (sans-I/O): the reply text and each tool call parsed apart.

    ``select`` and ``options`` apply to every document: the reply text and the arguments
    of each call (those get ``expect="object"`` unless told otherwise). Events of a tool
    call carry ``tool_call = {"index", "id", "name"}``. A reply that is only prose around
    tool calls is not an error; a stream with neither JSON text nor tool calls is.
    """

    def __init__(self, select: str | Selector | None = None, **options: Any) -> None:
        self._select = select
        self._options = options
        self._reader = ChunkReader()
        self.parser = Parser(select=select, **options)
        self.tool_calls: list[ToolCall] = []
        self._text: list[str] = []
        self._decoder: codecs.IncrementalDecoder | None = None
        self.chunk_text = ""  # the reply text the last chunk brought
        self.last_chunk: Any = None

    @property
    def text(self) -> str:
        """All reply text so far (tool-call arguments are in :attr:`tool_calls`)."""
        return "".join(self._text)

    @property
    def value(self) -> Any:
        """The reply's document so far (``None`` if there is none yet)."""
        return self.parser.value

    def feed(self, chunk: Any) -> list[Event]:
        """Events for one raw chunk. Raises ParseError (with ``.events``) on bad input."""
        self.last_chunk = chunk
        if chunk.__class__ is str:  # the common case, kept short
            self.chunk_text = chunk
            if not chunk:
                return []
            self._text.append(chunk)
            return self.parser.feed(chunk)
        events: list[Event] = []
        texts: list[str] = []
        for piece in self._reader.read(chunk):
            if isinstance(piece, CallPiece):
                self._feed_call(piece, events)
                continue
            if isinstance(piece, bytes):
                if self._decoder is None:
                    self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
                texts.append(self._decoder.decode(piece))
            else:
                texts.append(piece)
            self._feed(self.parser, piece, events, None)
        self.chunk_text = "".join(texts)
        if self.chunk_text:
            self._text.append(self.chunk_text)
        return events

    def close(self) -> list[Event]:
        """The stream ended: finish every document, reply text first, then the calls."""
        events: list[Event] = []
        try:
            events.extend(self.parser.close())
        except ParseError as err:
            if not (err.msg == NO_JSON and self.tool_calls):
                err.events = events + err.events
                raise
        for call in self.tool_calls:
            self._close_call(call, events)
        return events

    # -- tool calls ---------------------------------------------------------------------

    def _feed_call(self, piece: CallPiece, events: list[Event]) -> None:
        if piece.index == len(self.tool_calls):
            options = {"expect": "object", **self._options}
            info: ToolCallInfo = {"index": piece.index, "id": piece.id, "name": piece.name}
            self.tool_calls.append(
                ToolCall(
                    piece.index, piece.id, piece.name, Parser(select=self._select, **options), info
                )
            )
        call = self.tool_calls[piece.index]
        if piece.id and not call.id:
            call.id = call.info["id"] = piece.id
        if piece.name and not call.name:
            call.name = call.info["name"] = piece.name
        if piece.arguments and not call.closed:
            call._parts.append(piece.arguments)
            self._feed(call.parser, piece.arguments, events, call)
        if piece.end:
            self._close_call(call, events)

    def _close_call(self, call: ToolCall, events: list[Event]) -> None:
        if call.closed:
            return
        call.closed = True
        if not call._parts:  # a call without arguments (a tool with no parameters)
            call._parts.append("{}")
            self._feed(call.parser, "{}", events, call)
        mark = len(events)
        try:
            events.extend(call.parser.close())
        except ParseError as err:
            _tag(err.events, call.info)
            err.events = events + err.events
            err.add_note(f"in the arguments of tool call {call.index} ({call.name})")
            raise
        _tag(events, call.info, mark)

    @staticmethod
    def _feed(
        parser: Parser, text: str | bytes, events: list[Event], call: ToolCall | None
    ) -> None:
        try:
            new = parser.feed(text)
        except ParseError as err:
            if call is not None:
                _tag(err.events, call.info)
                err.add_note(f"in the arguments of tool call {call.index} ({call.name})")
            err.events = events + err.events
            raise
        if call is not None:
            _tag(new, call.info)
        events.extend(new)


def _tag(events: list[Event], info: ToolCallInfo, start: int = 0) -> None:
    for i in range(start, len(events)):
        events[i]["tool_call"] = info


# -- putting a StreamParser on a source -------------------------------------------------


class EventStream:
    """The events of a synchronous source (what :func:`stream` returns for an iterable).

    Iterate it once. After (or during) iteration, :attr:`value`, :attr:`text` and
    :attr:`tool_calls` tell what has been parsed. Leaving a ``for`` loop early closes the
    source once the stream object is dropped; :meth:`close` (or ``with``) does it at once.
    """

    def __init__(self, source: Iterable[Any], core: StreamParser) -> None:
        self._core = core
        self._events = _run(source, core)

    def __iter__(self) -> Iterator[Event]:
        return self._events

    def __next__(self) -> Event:
        return next(self._events)

    def close(self) -> None:
        """Stop reading and close the source (if it has a ``close`` method)."""
        self._events.close()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def value(self) -> Any:
        return self._core.value

    @property
    def text(self) -> str:
        return self._core.text

    @property
    def tool_calls(self) -> list[ToolCall]:
        return self._core.tool_calls

    @property
    def parser(self) -> Parser:
        """The parser of the reply text."""
        return self._core.parser


class AsyncEventStream:
    """The events of an asynchronous source (what :func:`stream` returns for one).

    ``async for`` over it; :meth:`aclose` (or ``async with``) stops reading and closes the
    source at once; a cancelled consumer closes it too. Leaving the loop early without
    either closes the source when the event loop finalises the iterator.
    """

    def __init__(self, source: AsyncIterable[Any], core: StreamParser) -> None:
        self._core = core
        self._events = _arun(source, core)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._events

    async def __anext__(self) -> Event:
        return await self._events.__anext__()

    async def aclose(self) -> None:
        """Stop reading and close the source (``aclose()`` or ``close()``, awaited if need be)."""
        await self._events.aclose()

    async def __aenter__(self) -> AsyncEventStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    @property
    def value(self) -> Any:
        return self._core.value

    @property
    def text(self) -> str:
        return self._core.text

    @property
    def tool_calls(self) -> list[ToolCall]:
        return self._core.tool_calls

    @property
    def parser(self) -> Parser:
        """The parser of the reply text."""
        return self._core.parser


def _run(source: Iterable[Any], core: StreamParser) -> Generator[Event, None, None]:
    # A plain generator: the `for` statement drops it when the consumer breaks, which
    # closes it at once (GeneratorExit at the yield), and the finally closes the source.
    # It holds the core, not the EventStream, so that no reference cycle delays that.
    chunks = iter(source)
    finished = False
    try:
        feed = core.feed
        for chunk in chunks:
            try:
                events = feed(chunk)
            except ParseError as err:
                events, err.events = err.events, []
                yield from events
                raise err from None
            yield from events
        finished = True
        try:
            events = core.close()
        except ParseError as err:
            events, err.events = err.events, []
            yield from events
            raise err from None
        yield from events
    finally:
        if not finished:
            _close(chunks, source)


async def _arun(source: AsyncIterable[Any], core: StreamParser) -> AsyncGenerator[Event, None]:
    chunks = source.__aiter__()
    finished = False
    try:
        feed = core.feed
        async for chunk in chunks:
            try:
                events = feed(chunk)
            except ParseError as err:
                events, err.events = err.events, []
                for event in events:
                    yield event
                raise err from None
            for event in events:
                yield event
        finished = True
        try:
            events = core.close()
        except ParseError as err:
            events, err.events = err.events, []
            for event in events:
                yield event
            raise err from None
        for event in events:
            yield event
    finally:
        if not finished:
            await _aclose(chunks, source)


def _close(chunks: Any, source: Any) -> None:
    """Close the iterator we read and the source it came from (an SDK stream closes its
    HTTP response in ``close()``; closing only the iterator it handed out would not)."""
    for obj in (chunks, source) if chunks is not source else (source,):
        close = getattr(obj, "close", None)
        if callable(close):
            close()


async def _aclose(chunks: Any, source: Any) -> None:
    """Async :func:`_close`: ``aclose()`` or ``close()``, awaited when it is a coroutine."""
    for obj in (chunks, source) if chunks is not source else (source,):
        for name in ("aclose", "close"):
            close = getattr(obj, name, None)
            if callable(close):
                result = close()
                if inspect.isawaitable(result):
                    await result
                break


@overload
def stream(
    source: AsyncIterable[Any], *, select: str | Selector | None = None, **options: Any
) -> AsyncEventStream: ...
@overload
def stream(
    source: Iterable[Any], *, select: str | Selector | None = None, **options: Any
) -> EventStream: ...
def stream(
    source: Iterable[Any] | AsyncIterable[Any],
    *,
    select: str | Selector | None = None,
    **options: Any,
) -> EventStream | AsyncEventStream:
    """The events of a model stream, as they are parsed.

    ``source`` is an iterable (you get an iterator) or an async iterable (you get an async
    iterator) of ``str``/``bytes`` or of SDK chunk objects (see :mod:`instant.chunks`).
    ``select`` and ``options`` are :class:`~instant.Parser`'s. Tool calls are parsed one
    parser per call and their events carry ``tool_call = {"index", "id", "name"}``.
    """
    core = StreamParser(select, **options)
    if hasattr(source, "__aiter__"):
        return AsyncEventStream(source, core)  # type: ignore[arg-type]
    if hasattr(source, "__iter__") and not isinstance(source, (str, bytes)):
        return EventStream(source, core)
    raise TypeError(
        f"instant.stream() takes an iterable or async iterable of chunks, not "
        f"{type(source).__name__} (for one whole text, use instant.parse or [text])"
    )
