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

Each takes a sync iterable (and returns an iterator) or an async iterable (and returns an
async iterator); the ``a``-prefixed twins take only async iterables, for type checkers.
:class:`PairsDriver` is the sans-I/O part; :mod:`._pump` reads the source. Cost: one tuple
per event and per chunk on top of :func:`instant.stream`.

``until=`` (see :mod:`.until`) stops early: the stopping chunk's pairs end with the stopping
``instant`` event, then come the usual last pairs (``response:done`` with the text read so
far, and for :func:`complete_generator` ``response:done_origin`` and ``response:finally``);
the source is closed before they are handed out, and the iterator's ``stopped_early`` is
true.
"""

from __future__ import annotations

from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Generator,
    Iterable,
    Iterator,
)
from typing import Any, cast, overload

from ..errors import ParseError, RefusalError
from ..events import Event
from ..options import ParserOptions, Unpack, check
from ..selector import Selector
from ._pump import Source, apump, chunks_of, pump
from .eventstream import AsyncEventStream, EventStream, open_stream
from .parser import StreamParser
from .until import Gate, UntilSpec, plan

__all__ = [
    "AsyncPairs",
    "Item",
    "Pairs",
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
    and ``response:finally``; a :class:`~.until.Gate` (``until=``) stops it early."""

    def __init__(self, core: StreamParser, complete: bool, gate: Gate | None = None) -> None:
        self.core = core
        self.complete = complete
        self.gate = gate
        self.stopped = False

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
        gate = self.gate
        if gate is not None:
            events = gate(events)
            if gate.stopped:  # an error after the stopping event is not raised
                self.stopped, err = True, None
        if core.chunk_text:
            out.append(("response:delta", core.chunk_text))
        out.extend(_instant(events))
        if err is not None and self.complete:
            out.append(_FINALLY)
        if self.stopped:
            out.extend(self._ending())
        return out, err

    def close(self) -> tuple[list[Item], BaseException | None]:
        core = self.core
        try:
            events = core.close()
        except RefusalError as err:
            return ([_FINALLY] if self.complete else []), err
        except ParseError as err:
            events, err.events = err.events, []
            out = _instant(events if self.gate is None else self.gate.kept(events))
            if self.complete:
                out.append(_FINALLY)
            return out, err
        out = [("response:delta", core.chunk_text)] if core.chunk_text else []
        out.extend(_instant(events if self.gate is None else self.gate.kept(events)))
        out.extend(self._ending())
        return out, None

    def _ending(self) -> list[Item]:
        core = self.core
        out: list[Item] = []
        if self.complete:
            out.append(("response:done_origin", core.last_chunk))
        out.append(("response:done", core.text))
        if self.complete:
            out.append(_FINALLY)
        return out

    def fail(self, exc: BaseException) -> list[Item]:
        return [_FINALLY] if self.complete else []


def _instant(events: list[Event]) -> list[Item]:
    return [("instant", event) for event in events]


class Pairs:
    """The pairs of a sync source: an iterator (iterate it once) that also tells whether
    ``until=`` stopped it (:attr:`stopped_early`); :meth:`close` (or ``with``) closes the
    source at once, also when it was never iterated."""

    def __init__(self, source: Any, driver: PairsDriver) -> None:
        self._driver = driver
        self._source: Source[Any] = Source(source)
        self._pairs: Generator[Item, None, None] = pump(self._source, driver)

    @property
    def stopped_early(self) -> bool:
        return self._driver.stopped

    def __iter__(self) -> Iterator[Item]:
        return self._pairs

    def __next__(self) -> Item:
        return next(self._pairs)

    def close(self) -> None:
        self._pairs.close()
        self._source.close()

    def __enter__(self) -> Pairs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncPairs:
    """:class:`Pairs` for an async source: ``async for``, :meth:`aclose`, ``async with``."""

    def __init__(self, source: Any, driver: PairsDriver) -> None:
        self._driver = driver
        self._source: Source[Any] = Source(source)
        self._pairs: AsyncGenerator[Item, None] = apump(self._source, driver)

    @property
    def stopped_early(self) -> bool:
        return self._driver.stopped

    def __aiter__(self) -> AsyncIterator[Item]:
        return self._pairs

    async def __anext__(self) -> Item:
        return await self._pairs.__anext__()

    async def aclose(self) -> None:
        await self._pairs.aclose()
        await self._source.aclose()

    async def __aenter__(self) -> AsyncPairs:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _pairs(
    where: str,
    source: Any,
    complete: bool,
    options: ParserOptions,
    asynchronous: bool = False,
    until: UntilSpec | None = None,
) -> Any:
    check(where, options)
    source = chunks_of(source, where)
    opts, gate = plan(where, options, until)
    driver = PairsDriver(StreamParser(**opts), complete, gate)
    if asynchronous or hasattr(source, "__aiter__"):
        return AsyncPairs(source, driver)
    return Pairs(source, driver)


@overload
def generator(
    source: AsyncIterable[Any], *, until: UntilSpec | None = None, **options: Unpack[ParserOptions]
) -> AsyncPairs: ...
@overload
def generator(
    source: Iterable[Any] | str | bytes,
    *,
    until: UntilSpec | None = None,
    **options: Unpack[ParserOptions],
) -> Pairs: ...
def generator(
    source: Any, *, until: UntilSpec | None = None, **options: Unpack[ParserOptions]
) -> Any:
    """``(event, data)`` pairs: response:start, response:delta, instant, response:done."""
    return _pairs("instant.generator()", source, False, options, until=until)


@overload
def complete_generator(
    source: AsyncIterable[Any], *, until: UntilSpec | None = None, **options: Unpack[ParserOptions]
) -> AsyncPairs: ...
@overload
def complete_generator(
    source: Iterable[Any] | str | bytes,
    *,
    until: UntilSpec | None = None,
    **options: Unpack[ParserOptions],
) -> Pairs: ...
def complete_generator(
    source: Any, *, until: UntilSpec | None = None, **options: Unpack[ParserOptions]
) -> Any:
    """:func:`generator` plus the raw chunks (``*_origin``) and ``response:finally``."""
    return _pairs("instant.complete_generator()", source, True, options, until=until)


@overload
def instant_generator(
    source: AsyncIterable[Any], *, until: UntilSpec | None = None, **options: Unpack[ParserOptions]
) -> AsyncEventStream: ...
@overload
def instant_generator(
    source: Iterable[Any] | str | bytes,
    *,
    until: UntilSpec | None = None,
    **options: Unpack[ParserOptions],
) -> EventStream: ...
def instant_generator(
    source: Any, *, until: UntilSpec | None = None, **options: Unpack[ParserOptions]
) -> Any:
    """The events alone (what :func:`instant.stream` gives)."""
    return open_stream("instant.instant_generator()", source, options, until=until)


@overload
def instant_keys_generator(
    source: AsyncIterable[Any],
    expr: str | Selector,
    *,
    until: UntilSpec | None = None,
    **options: Unpack[ParserOptions],
) -> AsyncEventStream: ...
@overload
def instant_keys_generator(
    source: Iterable[Any] | str | bytes,
    expr: str | Selector,
    *,
    until: UntilSpec | None = None,
    **options: Unpack[ParserOptions],
) -> EventStream: ...
def instant_keys_generator(
    source: Any,
    expr: str | Selector,
    *,
    until: UntilSpec | None = None,
    **options: Unpack[ParserOptions],
) -> Any:
    """The events that the selector ``expr`` selects."""
    return _keys("instant.instant_keys_generator()", source, expr, options, until=until)


def _keys(
    where: str,
    source: Any,
    expr: str | Selector,
    options: ParserOptions,
    asynchronous: bool = False,
    until: UntilSpec | None = None,
) -> Any:
    if "select" in options:
        raise TypeError(f"{where} takes the selector as expr, not select=")
    return open_stream(where, source, {**options, "select": expr}, asynchronous, until=until)


def agenerator(
    source: AsyncIterable[Any], *, until: UntilSpec | None = None, **options: Unpack[ParserOptions]
) -> AsyncPairs:
    """Async :func:`generator`."""
    return _pairs("instant.agenerator()", source, False, options, True, until)  # type: ignore[no-any-return]


def acomplete_generator(
    source: AsyncIterable[Any], *, until: UntilSpec | None = None, **options: Unpack[ParserOptions]
) -> AsyncPairs:
    """Async :func:`complete_generator`."""
    return _pairs("instant.acomplete_generator()", source, True, options, True, until)  # type: ignore[no-any-return]


def ainstant_generator(
    source: AsyncIterable[Any], *, until: UntilSpec | None = None, **options: Unpack[ParserOptions]
) -> AsyncEventStream:
    """Async :func:`instant_generator`."""
    events = open_stream("instant.ainstant_generator()", source, options, True, until=until)
    return cast(AsyncEventStream, events)


def ainstant_keys_generator(
    source: AsyncIterable[Any],
    expr: str | Selector,
    *,
    until: UntilSpec | None = None,
    **options: Unpack[ParserOptions],
) -> AsyncEventStream:
    """Async :func:`instant_keys_generator`."""
    return _keys("instant.ainstant_keys_generator()", source, expr, options, True, until)  # type: ignore[no-any-return]
