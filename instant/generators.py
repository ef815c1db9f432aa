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
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any

from .errors import ParseError
from .events import Event
from .selector import Selector
from .streams import StreamParser, _aclose, _close, stream

Item = tuple[str, Any]


def _is_async(source: Any) -> bool:
    return hasattr(source, "__aiter__")


def generator(source: Any, **options: Any) -> Any:
    """``(event, data)`` pairs: response:start, response:delta, instant, response:done."""
    if _is_async(source):
        return agenerator(source, **options)
    return _pairs(source, StreamParser(**options), complete=False)


def complete_generator(source: Any, **options: Any) -> Any:
    """:func:`generator` plus the raw chunks (``*_origin``) and ``response:finally``."""
    if _is_async(source):
        return acomplete_generator(source, **options)
    return _pairs(source, StreamParser(**options), complete=True)


def instant_generator(source: Any, **options: Any) -> Any:
    """The events alone (what :func:`instant.stream` gives)."""
    return stream(source, **options)


def instant_keys_generator(source: Any, expr: str | Selector, **options: Any) -> Any:
    """The events that the selector ``expr`` selects."""
    return stream(source, select=expr, **options)


def agenerator(source: AsyncIterable[Any], **options: Any) -> AsyncIterator[Item]:
    """Async :func:`generator`."""
    return _apairs(source, StreamParser(**options), complete=False)


def acomplete_generator(source: AsyncIterable[Any], **options: Any) -> AsyncIterator[Item]:
    """Async :func:`complete_generator`."""
    return _apairs(source, StreamParser(**options), complete=True)


def ainstant_generator(source: AsyncIterable[Any], **options: Any) -> AsyncIterator[Event]:
    """Async :func:`instant_generator`."""
    return stream(source, **options)


def ainstant_keys_generator(
    source: AsyncIterable[Any], expr: str | Selector, **options: Any
) -> AsyncIterator[Event]:
    """Async :func:`instant_keys_generator`."""
    return stream(source, select=expr, **options)


def _pairs(source: Iterable[Any], core: StreamParser, complete: bool) -> Iterator[Item]:
    chunks = iter(source)
    finished = False
    try:
        yield ("response:start", None)
        for chunk in chunks:
            if complete:
                yield ("response:delta_origin", chunk)
            try:
                events = core.feed(chunk)
            except ParseError as err:
                events, err.events = err.events, []
                yield from _deltas(core, events)
                raise
            yield from _deltas(core, events)
        finished = True
        try:
            events = core.close()
        except ParseError as err:
            events, err.events = err.events, []
            yield from _instant(events)
            raise
        yield from _instant(events)
        if complete:
            yield ("response:done_origin", core.last_chunk)
        yield ("response:done", core.text)
        if complete:
            yield ("response:finally", None)
    except (Exception, GeneratorExit) as exc:
        if not finished:
            _close(chunks, source)
        if complete and not isinstance(exc, GeneratorExit):
            yield ("response:finally", None)
        raise


async def _apairs(
    source: AsyncIterable[Any], core: StreamParser, complete: bool
) -> AsyncIterator[Item]:
    chunks = source.__aiter__()
    finished = False
    try:
        yield ("response:start", None)
        async for chunk in chunks:
            if complete:
                yield ("response:delta_origin", chunk)
            try:
                events = core.feed(chunk)
            except ParseError as err:
                events, err.events = err.events, []
                for item in _deltas(core, events):
                    yield item
                raise
            for item in _deltas(core, events):
                yield item
        finished = True
        try:
            events = core.close()
        except ParseError as err:
            events, err.events = err.events, []
            for item in _instant(events):
                yield item
            raise
        for item in _instant(events):
            yield item
        if complete:
            yield ("response:done_origin", core.last_chunk)
        yield ("response:done", core.text)
        if complete:
            yield ("response:finally", None)
    except BaseException as exc:
        if not finished:
            await _aclose(chunks, source)
        if complete and isinstance(exc, Exception):
            yield ("response:finally", None)
        raise


def _deltas(core: StreamParser, events: list[Event]) -> Iterator[Item]:
    if core.chunk_text:
        yield ("response:delta", core.chunk_text)
    for event in events:
        yield ("instant", event)


def _instant(events: list[Event]) -> Iterator[Item]:
    for event in events:
        yield ("instant", event)
