"""Events in Agently 4's "instant" shape, for code written against Agently 4.

Agently 4 (``agent.input(...).output(schema).get_generator(type="instant")``) hands out one
object per event, read by attribute (and here also by :meth:`StreamingData.to_dict`):

============  ===================================================================
field         meaning
============  ===================================================================
path          ``list_b[0].key_3``: keys as written joined by ``.``, ``[i]`` per index
wildcard_path ``list_b[*].key_3``: the same with every index as ``[*]``
indexes       ``(0,)``: the indexes along the path, outermost first (a tuple)
event_type    ``"delta"`` (a string's new text) or ``"done"`` (a value is complete)
delta         the new text on ``delta``; ``None`` on ``done``
value         the string so far on ``delta``; the final value on ``done``
is_complete   ``event_type == "done"``
full_data     the whole document so far (instant's ``complete_value``)
============  ===================================================================

As in Agently 4, the document itself gets no event (its ``path`` would be ``""``): the
final document is the last event's ``full_data``. Only strings have ``delta`` events: a
number, ``true``, ``false`` or ``null`` gets its ``done`` once complete (Agently 4 also sent
the text of a number as deltas while it was still being read, ``1`` then ``14``: a partial
number is not a value, and instant never hands one out).

The key helpers of Agently 4's agent (``get_key_result``, ``wait_keys``,
``on_key``/``when_key`` + ``start_waiter``) are here as functions of a source and a
:class:`KeyWaiter`; their keys are Agently 4 paths (``list_b[0].key_3``), compiled to an
instant selector, so only the selected events are built; a ``[*]`` (any index) is also
accepted.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, overload

from ..errors import SelectorError
from ..events import Event, key_segment
from ..options import ParserOptions, Unpack, check
from ..streams._pump import Driver, Mapped, Source, apump, chunks_of, pump
from ..streams.eventstream import EventDriver
from ..streams.parser import StreamParser

__all__ = [
    "KeyWaiter",
    "StreamingData",
    "ainstant_generator",
    "async_get_key_result",
    "async_wait_keys",
    "get_key_result",
    "instant_generator",
    "path_selector",
    "to_v4",
    "wait_keys",
]


@dataclass(frozen=True, slots=True)
class StreamingData:
    """One event in Agently 4's shape (its ``agently.types.data.StreamingData``)."""

    path: str
    value: Any
    delta: str | None
    is_complete: bool
    wildcard_path: str
    indexes: tuple[int, ...]
    event_type: Literal["delta", "done"]
    full_data: Any

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (Agently 4's items are pydantic models: ``model_dump``)."""
        return {
            "path": self.path,
            "value": self.value,
            "delta": self.delta,
            "is_complete": self.is_complete,
            "wildcard_path": self.wildcard_path,
            "indexes": self.indexes,
            "event_type": self.event_type,
            "full_data": self.full_data,
        }

    model_dump = to_dict


def _paths(path: tuple[str | int, ...]) -> tuple[str, str]:
    exact: list[str] = []
    wild: list[str] = []
    for seg in path:
        if isinstance(seg, int):
            exact.append(f"[{seg}]")
            wild.append("[*]")
        else:
            part = seg if not exact else f".{seg}"
            exact.append(part)
            wild.append(part)
    return "".join(exact), "".join(wild)


def _item(event: Event, event_type: Literal["delta", "done"], delta: str | None) -> StreamingData:
    path = event["path"]
    exact, wild = _paths(path)
    return StreamingData(
        path=exact,
        value=event["value"],
        delta=delta,
        is_complete=event_type == "done",
        wildcard_path=wild,
        indexes=tuple(event["indexes"]),
        event_type=event_type,
        full_data=event["complete_value"],
    )


def to_v4(event: Event) -> StreamingData | None:
    """The Agently 4 item of one event (``None`` for the document's own completion and for
    ``start`` events, which Agently 4 does not send)."""
    kind = event["event"]
    if not event["path"] or kind == "start":
        return None
    if kind == "delta":
        return _item(event, "delta", event["delta"])
    return _item(event, "done", None)


def _options(where: str, options: ParserOptions) -> ParserOptions:
    check(where, options)
    return {"expect": "object", **options}


def _run(where: str, source: Any, driver: Driver[Any], asynchronous: bool = False) -> Any:
    source = chunks_of(source, where)
    if asynchronous or hasattr(source, "__aiter__"):
        return apump(Source(source), driver)
    return pump(Source(source), driver)


@overload
def instant_generator(
    source: AsyncIterable[Any], **options: Unpack[ParserOptions]
) -> AsyncIterator[StreamingData]: ...
@overload
def instant_generator(
    source: Iterable[Any] | str | bytes, **options: Unpack[ParserOptions]
) -> Iterator[StreamingData]: ...
def instant_generator(source: Any, **options: Unpack[ParserOptions]) -> Any:
    """The stream's events as Agently 4 items (an async generator for an async iterable),
    as ``get_generator(type="instant")`` gives them. Assumes an object (``expect``)."""
    where = "instant.compat.agently4.instant_generator()"
    return _run(where, source, Mapped(EventDriver(StreamParser(**_options(where, options))), to_v4))


def ainstant_generator(
    source: AsyncIterable[Any], **options: Unpack[ParserOptions]
) -> AsyncIterator[StreamingData]:
    """Async :func:`instant_generator` (``get_async_generator(type="instant")``)."""
    where = "instant.compat.agently4.ainstant_generator()"
    driver = Mapped(EventDriver(StreamParser(**_options(where, options))), to_v4)
    return _run(where, source, driver, True)  # type: ignore[no-any-return]


# -- key helpers -----------------------------------------------------------------------------

_INDEX = re.compile(r"\[(\d+|\*)\]")
_NAME = re.compile(r"[^.\[\]]+")


def _path_term(key: str) -> str:
    """One Agently 4 path as a selector term for its completion."""
    if not isinstance(key, str):
        raise TypeError(f"an Agently 4 key is a path str, not {type(key).__name__}")
    if not key:
        raise SelectorError("an empty Agently 4 path", expression=key, position=0)
    segments: list[str] = []
    specs: list[str] = []
    pos = 0
    while pos < len(key):
        if key.startswith("[", pos):
            m = _INDEX.match(key, pos)
            if m is None:
                raise SelectorError(
                    "expected '[' an index or '*' ']'", expression=key, position=pos
                )
            segments.append("[]")
            specs.append("_" if m.group(1) == "*" else m.group(1))
        else:
            if segments:
                if key[pos] != ".":
                    raise SelectorError("expected '.' or '['", expression=key, position=pos)
                pos += 1
            m = _NAME.match(key, pos)
            if m is None:
                raise SelectorError("expected a key name", expression=key, position=pos)
            segments.append(key_segment(m.group()))
        pos = m.end()
    term = ".".join([*segments, "$done"])
    return term + ("?" + ",".join(specs) if specs else "")


def path_selector(keys: Iterable[str]) -> str:
    """The instant selector for the completions of Agently 4 paths.

    ``"list_b[0].key_3"`` becomes ``list_b.[].key_3.$done?0`` (``[*]`` an ``_`` spec), so the
    parser builds only the selected events. Raises :class:`~instant.SelectorError` (with
    ``position``) for a path that is not one: empty, a ``..``, an unclosed ``[``.
    """
    terms = [_path_term(key) for key in keys]
    if not terms:
        raise ValueError("no keys to wait for")
    return "&".join(terms)


class _KeysDriver:
    """``(path, value)`` for each selected completion (sans-I/O); with ``first`` it stops
    after the first one, so the pump closes the source at once."""

    def __init__(self, core: StreamParser, first: bool) -> None:
        self.inner = EventDriver(core)
        self.first = first
        self.stopped = False

    def _map(self, events: list[Event]) -> list[tuple[str, Any]]:
        out = [(_paths(e["path"])[0], e["value"]) for e in events if e["event"] == "done"]
        if self.first and out:
            del out[1:]
            self.stopped = True
        return out

    def begin(self) -> list[tuple[str, Any]]:
        return []

    def feed(self, chunk: Any) -> tuple[list[tuple[str, Any]], BaseException | None]:
        events, err = self.inner.feed(chunk)
        return self._map(events), err

    def close(self) -> tuple[list[tuple[str, Any]], BaseException | None]:
        events, err = self.inner.close()
        return self._map(events), err

    def fail(self, exc: BaseException) -> list[tuple[str, Any]]:
        return []


def _keys_driver(where: str, keys: list[str], options: ParserOptions, first: bool) -> _KeysDriver:
    if isinstance(keys, str):
        raise TypeError(f"{where} takes a list of keys, not one str (wrap it: [{keys!r}])")
    if "select" in options:
        raise TypeError(f"{where} takes the keys, not select=")
    opts = _options(where, options)
    opts["select"] = path_selector(keys)
    return _KeysDriver(StreamParser(**opts), first)


@overload
def wait_keys(
    source: AsyncIterable[Any], keys: list[str], **options: Unpack[ParserOptions]
) -> AsyncIterator[tuple[str, Any]]: ...
@overload
def wait_keys(
    source: Iterable[Any] | str | bytes, keys: list[str], **options: Unpack[ParserOptions]
) -> Iterator[tuple[str, Any]]: ...
def wait_keys(source: Any, keys: list[str], **options: Unpack[ParserOptions]) -> Any:
    """``(path, value)`` as each of ``keys`` (Agently 4 paths) completes, in reply order
    (Agently 4's ``agent.wait_keys(keys)``; async for an async iterable)."""
    where = "instant.compat.agently4.wait_keys()"
    return _run(where, source, _keys_driver(where, keys, options, False))


def async_wait_keys(
    source: AsyncIterable[Any], keys: list[str], **options: Unpack[ParserOptions]
) -> AsyncIterator[tuple[str, Any]]:
    """Async :func:`wait_keys` (Agently 4's ``async_wait_keys``)."""
    where = "instant.compat.agently4.async_wait_keys()"
    return _run(where, source, _keys_driver(where, keys, options, False), True)  # type: ignore[no-any-return]


def get_key_result(
    source: Iterable[Any] | str | bytes, key: str, **options: Unpack[ParserOptions]
) -> Any:
    """The final value of ``key`` (an Agently 4 path) as soon as it is complete; the source is
    closed then, without reading the rest. ``None`` if the reply never completes it
    (Agently 4's ``agent.get_key_result(key)``)."""
    where = "instant.compat.agently4.get_key_result()"
    for _path, value in _run(where, source, _keys_driver(where, [key], options, True)):
        return value
    return None


async def async_get_key_result(
    source: AsyncIterable[Any], key: str, **options: Unpack[ParserOptions]
) -> Any:
    """Async :func:`get_key_result` (Agently 4's ``async_get_key_result``)."""
    where = "instant.compat.agently4.async_get_key_result()"
    pairs = _run(where, source, _keys_driver(where, [key], options, True), True)
    try:
        async for _path, value in pairs:
            return value
        return None
    finally:
        await pairs.aclose()


Handler = Callable[[Any], Any]


class KeyWaiter:
    """Handlers per key, called with each key's final value as soon as it is complete
    (Agently 4's ``.on_key(key, handler)`` / ``.when_key`` and ``.start_waiter()``)::

        results = KeyWaiter().on_key("thinking", show).on_key("reply", send).start_waiter(src)

    :meth:`start_waiter` returns ``[(path, value, handler_result), ...]`` in the order the
    keys completed (handlers of one key in the order they were added).
    """

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = {}

    def on_key(self, key: str, handler: Handler) -> KeyWaiter:
        """Call ``handler(value)`` when ``key`` (an Agently 4 path) completes; chainable."""
        if not callable(handler):
            raise TypeError(f"on_key() needs a callable handler, not {type(handler).__name__}")
        path_selector([key])  # a bad path fails here, where it was written
        self._handlers.setdefault(key, []).append(handler)
        return self

    when_key = on_key

    def _driver(self, where: str, options: ParserOptions) -> _KeysDriver:
        if not self._handlers:
            raise ValueError(f"{where}: add a handler with .on_key(key, handler) first")
        return _keys_driver(where, list(self._handlers), options, False)

    def _handlers_of(self, path: str) -> list[Handler]:
        """The handlers of every key that ``path`` is (exactly, or through a ``[*]``)."""
        found: list[Handler] = []
        for key, handlers in self._handlers.items():
            if key == path or (
                "[*]" in key and re.fullmatch(re.escape(key).replace(r"\[\*\]", r"\[\d+\]"), path)
            ):
                found.extend(handlers)
        return found

    def start_waiter(
        self, source: Iterable[Any] | str | bytes, **options: Unpack[ParserOptions]
    ) -> list[tuple[str, Any, Any]]:
        """Read ``source`` to its end, calling the handlers as their keys complete."""
        where = "instant.compat.agently4.KeyWaiter.start_waiter()"
        for handlers in self._handlers.values():
            for handler in handlers:
                if inspect.iscoroutinefunction(handler):
                    raise TypeError(
                        f"{where} calls handlers in this thread: use "
                        "async_start_waiter() for a coroutine function"
                    )
        results: list[tuple[str, Any, Any]] = []
        for path, value in _run(where, source, self._driver(where, options)):
            for handler in self._handlers_of(path):
                results.append((path, value, handler(value)))
        return results

    async def async_start_waiter(
        self, source: AsyncIterable[Any], **options: Unpack[ParserOptions]
    ) -> list[tuple[str, Any, Any]]:
        """:meth:`start_waiter` for an async source: each handler runs as a task as soon as
        its key completes (a coroutine function's result is awaited); all are awaited at
        the end."""
        where = "instant.compat.agently4.KeyWaiter.async_start_waiter()"
        tasks: list[asyncio.Task[tuple[str, Any, Any]]] = []

        async def call(path: str, value: Any, handler: Handler) -> tuple[str, Any, Any]:
            result = handler(value)
            if inspect.isawaitable(result):
                result = await result
            return path, value, result

        pairs = _run(where, source, self._driver(where, options), True)
        try:
            async for path, value in pairs:
                for handler in self._handlers_of(path):
                    tasks.append(asyncio.ensure_future(call(path, value, handler)))
        finally:
            await pairs.aclose()
        return list(await asyncio.gather(*tasks))
