"""Agently-style generators over any model stream.

Agently hands a streaming reply to its user as one generator of ``(event, data)`` pairs;
these functions give the same over any source :func:`instant.stream` reads:

- :func:`generator`: ``("response:start", None)``, then for each chunk
  ``("response:delta", text)`` (when the chunk brings reply text) and ``("instant", event)``
  for each event it completes, and last ``("response:done", full_text)``;
- :func:`complete_generator`: the same, plus ``("response:delta_origin", raw_chunk)`` before
  each chunk's own items, and at the end ``("response:done_origin", last_raw_chunk)``
  before ``response:done`` and ``("response:finally", None)`` after it (also when the
  source or the parser raises: then ``response:finally`` comes just before the error);
- :func:`instant_generator`: the events alone; :func:`instant_keys_generator`: the events
  a selector selects.

Each takes a sync iterable (and returns a generator) or an async iterable (and returns an
async generator); the ``a``-prefixed twins take only async iterables, for type checkers.
:class:`PairsDriver` is the sans-I/O part; :mod:`._pump` reads the source. Cost: one tuple
per event and per chunk on top of :func:`instant.stream`.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, cast, overload

from ..errors import ParseError, RefusalError
from ..events import Event
from ..options import ParserOptions, Unpack, check
from ..selector import Selector
from ._pump import Source, apump, chunks_of, pump
from .eventstream import AsyncEventStream, EventStream, open_stream
from .parser import StreamParser

__all__ = [
    "Item",
    "PairsDriver",
    "acomplete_generator",
    "agenerator",
    "ainstant_generator",
    "ainstant_keys_generator",
    "complete_generator",
    "generator",
    "instant_generator",
    "instant_keys_generator",
]

Item = tuple[str, Any]
_FINALLY: Item = ("response:finally", None)


class PairsDriver:
    """``(event, data)`` pairs for each chunk (sans-I/O); ``complete`` adds the raw chunks
    and ``response:finally``."""

    stopped = False

    def __init__(self, core: StreamParser, complete: bool) -> None:
        self.core = core
        self.complete = complete

    def begin(self) -> list[Item]:
        return [("response:start", None)]

    def feed(self, chunk: Any) -> tuple[list[Item], BaseException | None]:
        out: list[Item] = [("response:delta_origin", chunk)] if self.complete else []
        core = self.core
        err: ParseError | None = None
        try:
            events = core.feed(chunk)
        except ParseError as e:
            err = e
            events, err.events = err.events, []
        if core.chunk_text:
            out.append(("response:delta", core.chunk_text))
        out.extend(_instant(events))
        if err is not None and self.complete:
            out.append(_FINALLY)
        return out, err

    def close(self) -> tuple[list[Item], BaseException | None]:
        core = self.core
        try:
            events = core.close()
        except RefusalError as err:
            return ([_FINALLY] if self.complete else []), err
        except ParseError as err:
            events, err.events = err.events, []
            out = _instant(events)
            if self.complete:
                out.append(_FINALLY)
            return out, err
        out = [("response:delta", core.chunk_text)] if core.chunk_text else []
        out.extend(_instant(events))
        if self.complete:
            out.append(("response:done_origin", core.last_chunk))
        out.append(("response:done", core.text))
        if self.complete:
            out.append(_FINALLY)
        return out, None

    def fail(self, exc: BaseException) -> list[Item]:
        return [_FINALLY] if self.complete else []


def _instant(events: list[Event]) -> list[Item]:
    return [("instant", event) for event in events]


def _pairs(
    where: str, source: Any, complete: bool, options: ParserOptions, asynchronous: bool = False
) -> Any:
    check(where, options)
    source = chunks_of(source, where)
    driver = PairsDriver(StreamParser(**options), complete)
    if asynchronous or hasattr(source, "__aiter__"):
        return apump(Source(source), driver)
    return pump(Source(source), driver)


@overload
def generator(
    source: AsyncIterable[Any], **options: Unpack[ParserOptions]
) -> AsyncIterator[Item]: ...
@overload
def generator(
    source: Iterable[Any] | str | bytes, **options: Unpack[ParserOptions]
) -> Iterator[Item]: ...
def generator(source: Any, **options: Unpack[ParserOptions]) -> Any:
    """``(event, data)`` pairs: response:start, response:delta, instant, response:done."""
    return _pairs("instant.generator()", source, False, options)


@overload
def complete_generator(
    source: AsyncIterable[Any], **options: Unpack[ParserOptions]
) -> AsyncIterator[Item]: ...
@overload
def complete_generator(
    source: Iterable[Any] | str | bytes, **options: Unpack[ParserOptions]
) -> Iterator[Item]: ...
def complete_generator(source: Any, **options: Unpack[ParserOptions]) -> Any:
    """:func:`generator` plus the raw chunks (``*_origin``) and ``response:finally``."""
    return _pairs("instant.complete_generator()", source, True, options)


@overload
def instant_generator(
    source: AsyncIterable[Any], **options: Unpack[ParserOptions]
) -> AsyncEventStream: ...
@overload
def instant_generator(
    source: Iterable[Any] | str | bytes, **options: Unpack[ParserOptions]
) -> EventStream: ...
def instant_generator(source: Any, **options: Unpack[ParserOptions]) -> Any:
    """The events alone (what :func:`instant.stream` gives)."""
    return open_stream("instant.instant_generator()", source, options)


@overload
def instant_keys_generator(
    source: AsyncIterable[Any], expr: str | Selector, **options: Unpack[ParserOptions]
) -> AsyncEventStream: ...
@overload
def instant_keys_generator(
    source: Iterable[Any] | str | bytes, expr: str | Selector, **options: Unpack[ParserOptions]
) -> EventStream: ...
def instant_keys_generator(
    source: Any, expr: str | Selector, **options: Unpack[ParserOptions]
) -> Any:
    """The events that the selector ``expr`` selects."""
    return _keys("instant.instant_keys_generator()", source, expr, options)


def _keys(
    where: str,
    source: Any,
    expr: str | Selector,
    options: ParserOptions,
    asynchronous: bool = False,
) -> Any:
    if "select" in options:
        raise TypeError(f"{where} takes the selector as expr, not select=")
    return open_stream(where, source, {**options, "select": expr}, asynchronous)


def agenerator(source: AsyncIterable[Any], **options: Unpack[ParserOptions]) -> AsyncIterator[Item]:
    """Async :func:`generator`."""
    return _pairs("instant.agenerator()", source, False, options, True)  # type: ignore[no-any-return]


def acomplete_generator(
    source: AsyncIterable[Any], **options: Unpack[ParserOptions]
) -> AsyncIterator[Item]:
    """Async :func:`complete_generator`."""
    return _pairs("instant.acomplete_generator()", source, True, options, True)  # type: ignore[no-any-return]


def ainstant_generator(
    source: AsyncIterable[Any], **options: Unpack[ParserOptions]
) -> AsyncEventStream:
    """Async :func:`instant_generator`."""
    events = open_stream("instant.ainstant_generator()", source, options, True)
    return cast(AsyncEventStream, events)


def ainstant_keys_generator(
    source: AsyncIterable[Any], expr: str | Selector, **options: Unpack[ParserOptions]
) -> AsyncEventStream:
    """Async :func:`instant_keys_generator`."""
    return _keys("instant.ainstant_keys_generator()", source, expr, options, True)  # type: ignore[no-any-return]
