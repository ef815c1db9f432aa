"""Server-Sent Events framing: items in, ``text/event-stream`` frames out.

Each item becomes one event: a ``str`` is its data as it is, anything else its compact JSON
(``ensure_ascii=False``, strict: NaN and the infinities, which ``JSON.parse`` rejects, raise
``ValueError``; pass ``dumps=`` to write them another way). Data with line breaks (``\\n``,
``\\r\\n`` or ``\\r``) is split into one ``data:`` line per line, which a client joins back
with ``\\n``. Every event has an ``id:``: 1, 2, 3, ... in order, so a client that reconnects
sends the last one it saw as ``Last-Event-ID`` and a server that can produce the same items
again (a cached list, a deterministic replay) passes it as ``last_event_id`` to send only what
follows. While no item comes for ``keepalive`` seconds a comment line (``: keep-alive``) is
sent, so proxies and browsers keep an idle connection open.
"""

from __future__ import annotations

import re
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
)
from typing import Any, overload

from ..streams._pump import Source
from ._run import is_async
from ._timed import END, TIMEOUT, TaskReader, ThreadReader
from ._wire import dumps as _dumps

__all__ = ["KEEPALIVE", "SSE_HEADERS", "sse"]

SSE_HEADERS: dict[str, str] = {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    "x-accel-buffering": "no",  # nginx: pass each event on at once
}
"""Response headers for an event stream (``content-type``, no caching, no proxy buffering)."""

KEEPALIVE = ": keep-alive\n\n"
"""The comment sent when no event came for ``keepalive`` seconds (ignored by clients)."""

_LINES = re.compile(r"\r\n|\r|\n")

EventName = str | Callable[[Any], "str | None"] | None


def _strict_json(item: Any) -> str:
    try:
        return _dumps(item, allow_nan=False)
    except ValueError as exc:
        raise ValueError(
            f"sse(): {exc}: NaN and Infinity have no JSON form (a browser's JSON.parse "
            "rejects them); pass dumps= to write them another way"
        ) from None


class _Framer:
    """Numbers the items and writes their frames (skipping those a client already has)."""

    def __init__(
        self,
        event: EventName,
        last_event_id: int | str | None,
        retry: int | None,
        end: str | None,
        dumps: Callable[[Any], str] | None,
    ) -> None:
        if isinstance(event, str):
            _check_name(event)
        if end is not None:
            _check_name(end)
        if retry is not None and (not isinstance(retry, int) or retry < 0):
            raise ValueError(f"retry must be a number of milliseconds >= 0, not {retry!r}")
        self.event = event
        self.end = end
        self.retry = retry
        self.dumps = _strict_json if dumps is None else dumps
        self.skip = _last_id(last_event_id)
        self.count = 0

    def start(self) -> str | None:
        return None if self.retry is None else f"retry: {self.retry}\n\n"

    def frame(self, item: Any, name: str | None = None, data: str | None = None) -> str | None:
        self.count += 1
        if self.count <= self.skip:
            return None
        if data is None:
            data = item if isinstance(item, str) else self.dumps(item)
        if name is None and self.event is not None:
            name = self.event(item) if callable(self.event) else self.event
            _check_name(name)
        head = f"event: {name}\nid: {self.count}\n" if name else f"id: {self.count}\n"
        if "\n" in data or "\r" in data:
            body = "".join(f"data: {line}\n" for line in _LINES.split(data))
        else:
            body = f"data: {data}\n"
        return head + body + "\n"

    def last(self) -> str | None:
        return None if self.end is None else self.frame(None, self.end, "")


def _check_name(name: str | None) -> str | None:
    if name is not None and (not isinstance(name, str) or "\n" in name or "\r" in name):
        raise ValueError(f"an SSE event name is one line of text, not {name!r}")
    return name


def _last_id(value: int | str | None) -> int:
    """The ``Last-Event-ID`` a client sent, as a count of items it has (0: none, or a
    value these ids never take: the stream starts over)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return max(value, 0)
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        return int(value.strip())
    return 0


@overload
def sse(
    items: AsyncIterable[Any],
    event: EventName = None,
    keepalive: float | None = 15.0,
    *,
    last_event_id: int | str | None = None,
    retry: int | None = None,
    end: str | None = None,
    dumps: Callable[[Any], str] | None = None,
) -> AsyncIterator[str]: ...
@overload
def sse(
    items: Iterable[Any],
    event: EventName = None,
    keepalive: float | None = 15.0,
    *,
    last_event_id: int | str | None = None,
    retry: int | None = None,
    end: str | None = None,
    dumps: Callable[[Any], str] | None = None,
) -> Iterator[str]: ...
def sse(
    items: Iterable[Any] | AsyncIterable[Any],
    event: EventName = None,
    keepalive: float | None = 15.0,
    *,
    last_event_id: int | str | None = None,
    retry: int | None = None,
    end: str | None = None,
    dumps: Callable[[Any], str] | None = None,
) -> Iterator[str] | AsyncIterator[str]:
    """Frame ``items`` as Server-Sent Events: an iterator of ``str`` frames for a sync
    iterable, an async iterator for an async one (see the module docstring).

    ``event`` names every event (``event:`` line), or is a function of the item giving its
    name (``None``: unnamed, a client's ``onmessage``). ``keepalive`` is the idle time in
    seconds after which a ``: keep-alive`` comment is sent (``None``: never; for a sync
    iterable the items are then read in the caller's thread, otherwise in a helper thread).
    ``last_event_id`` (an ``int``, or the ``Last-Event-ID`` header as it came) skips the
    items a reconnecting client already has. ``retry`` (milliseconds) tells the client how
    long to wait before reconnecting. ``end`` names a last, empty event sent after the
    items, so a client knows the stream is over (an ``EventSource`` otherwise reconnects).
    ``dumps`` writes a non-``str`` item (default: strict compact JSON).
    """
    if keepalive is not None and not keepalive > 0:
        raise ValueError(f"keepalive must be a number of seconds > 0 or None, not {keepalive!r}")
    framer = _Framer(event, last_event_id, retry, end, dumps)
    if is_async(items, "instant.relay.sse()"):
        return _asse(items, framer, keepalive)  # type: ignore[arg-type]
    return _sse(items, framer, keepalive)  # type: ignore[arg-type]


def _sse(items: Iterable[Any], framer: _Framer, keepalive: float | None) -> Iterator[str]:
    first = framer.start()
    if first:
        yield first
    if keepalive is None:
        source: Source[Any] = Source(items)
        try:
            source.iterator = iter(items)
            for item in source.iterator:
                frame = framer.frame(item)
                if frame is not None:
                    yield frame
        finally:
            source.close()
    else:
        reader = ThreadReader(items)
        try:
            while True:
                kind, item = reader.get(keepalive)
                if kind == TIMEOUT:
                    yield KEEPALIVE
                    continue
                if kind == END:
                    break
                frame = framer.frame(item)
                if frame is not None:
                    yield frame
        finally:
            reader.close()
    last = framer.last()
    if last is not None:
        yield last


async def _asse(
    items: AsyncIterable[Any], framer: _Framer, keepalive: float | None
) -> AsyncIterator[str]:
    first = framer.start()
    if first:
        yield first
    if keepalive is None:
        source: Source[Any] = Source(items)
        try:
            iterator = source.iterator = items.__aiter__()
            async for item in iterator:
                frame = framer.frame(item)
                if frame is not None:
                    yield frame
        finally:
            await source.aclose()
    else:
        reader = TaskReader(items)
        try:
            while True:
                kind, item = await reader.get(keepalive)
                if kind == TIMEOUT:
                    yield KEEPALIVE
                    continue
                if kind == END:
                    break
                frame = framer.frame(item)
                if frame is not None:
                    yield frame
        finally:
            await reader.aclose()
    last = framer.last()
    if last is not None:
        yield last
