"""The pump owns the source: every consumer closes it on every way out, sync and async.

Each behaviour runs against each kind of source (a list, a generator, an SDK-like stream object
with ``close()``, an async generator, an SDK-like async stream with ``aclose()``) and each
consumer built on the pump (events, Agently pairs, partial models, the Agently v3 shape), the
way ijson runs each test against each backend. "Closed" means the source's own cleanup ran:
a generator's ``finally``, an SDK stream's ``close()``/``aclose()``, exactly once.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from pydantic import BaseModel

import instant
from instant.compat import agently

REPLY = ['{"name": "Ad', 'a", "tags": ["x", ', '"y"], "n": 3', "}"]
BAD = ['{"name": "Ad', 'a", @@', '"n": 3}']


class Person(BaseModel):
    name: str | None = None
    tags: list[str] = []
    n: int | None = None


# -- sources ----------------------------------------------------------------------------


class Log:
    def __init__(self) -> None:
        self.read = 0
        self.closed = 0


def gen_source(chunks: list[str], log: Log, fail_at: int | None = None, ki: bool = False) -> Any:
    def gen() -> Iterator[str]:
        try:
            for i, c in enumerate(chunks):
                if i == fail_at:
                    raise KeyboardInterrupt if ki else ConnectionError("reset by peer")
                log.read += 1
                yield c
        finally:
            log.closed += 1

    return gen()


class SyncSDKStream:
    """Like openai.Stream: iterable, with close() that releases the response."""

    def __init__(self, chunks: list[str], log: Log, fail_at: int | None = None, ki: bool = False):
        self.chunks, self.log, self.fail_at, self.ki = chunks, log, fail_at, ki

    def __iter__(self) -> Iterator[str]:
        for i, c in enumerate(self.chunks):
            if i == self.fail_at:
                raise KeyboardInterrupt if self.ki else ConnectionError("reset by peer")
            self.log.read += 1
            yield c

    def close(self) -> None:
        self.log.closed += 1


def agen_source(chunks: list[str], log: Log, fail_at: int | None = None, ki: bool = False) -> Any:
    async def gen() -> AsyncIterator[str]:
        try:
            for i, c in enumerate(chunks):
                await asyncio.sleep(0)
                if i == fail_at:
                    raise KeyboardInterrupt if ki else ConnectionError("reset by peer")
                log.read += 1
                yield c
        finally:
            log.closed += 1

    return gen()


class AsyncSDKStream:
    """Like openai.AsyncStream: async iterable, with aclose()."""

    def __init__(self, chunks: list[str], log: Log, fail_at: int | None = None, ki: bool = False):
        self.chunks, self.log, self.fail_at, self.ki = chunks, log, fail_at, ki

    async def __aiter__(self) -> AsyncIterator[str]:
        for i, c in enumerate(self.chunks):
            await asyncio.sleep(0)
            if i == self.fail_at:
                raise KeyboardInterrupt if self.ki else ConnectionError("reset by peer")
            self.log.read += 1
            yield c

    async def aclose(self) -> None:
        self.log.closed += 1


SYNC_SOURCES = {"generator": gen_source, "sdk stream": SyncSDKStream}
ASYNC_SOURCES = {"async generator": agen_source, "async sdk stream": AsyncSDKStream}

# -- consumers: source -> iterator of outputs ------------------------------------------------

CONSUMERS: dict[str, Callable[[Any], Any]] = {
    "stream": lambda src: instant.stream(src),
    "generator": lambda src: instant.generator(src),
    "complete_generator": lambda src: instant.complete_generator(src),
    "stream_model": lambda src: (
        instant.astream_model(Person, src)
        if hasattr(src, "__aiter__")
        else instant.stream_model(Person, src)
    ),
    "agently v3 events": lambda src: agently.instant_generator(src),
    "agently v3 pairs": lambda src: agently.generator(src),
    "items": lambda src: instant.items(src, "**"),
    "stream until": lambda src: instant.stream(src, until="missing"),
}


def started(item: Any) -> bool:
    """Whether an output can only come after a chunk was read (not response:start)."""
    return not (isinstance(item, tuple) and item[0] == "response:start")


def run_sync(consume: Callable[[Any], Any], src: Any, stop_after: int | None = None) -> list[Any]:
    out = []
    for item in consume(src):
        out.append(item)
        if stop_after is not None and sum(map(started, out)) >= stop_after:
            break
    return out


async def run_async(
    consume: Callable[[Any], Any], src: Any, stop_after: int | None = None
) -> list[Any]:
    out = []
    it = consume(src)
    try:
        async for item in it:
            out.append(item)
            if stop_after is not None and sum(map(started, out)) >= stop_after:
                break
    finally:
        close = getattr(it, "aclose", None)
        if close is not None:
            await close()
    return out


sync_cases = pytest.mark.parametrize(
    "consumer, make", [(c, s) for c in CONSUMERS for s in SYNC_SOURCES.values()]
)
async_cases = pytest.mark.parametrize(
    "consumer, make", [(c, s) for c in CONSUMERS for s in ASYNC_SOURCES.values()]
)


# -- normal end -----------------------------------------------------------------------------


@sync_cases
def test_sync_normal_end_closes_the_source_once(consumer: str, make: Any) -> None:
    log = Log()
    out = run_sync(CONSUMERS[consumer], make(REPLY, log))
    assert out and log.read == len(REPLY) and log.closed == 1


@async_cases
def test_async_normal_end_closes_the_source_once(consumer: str, make: Any) -> None:
    log = Log()
    out = asyncio.run(run_async(CONSUMERS[consumer], make(REPLY, log)))
    assert out and log.read == len(REPLY) and log.closed == 1


@pytest.mark.parametrize("consumer", CONSUMERS)
def test_a_list_source_works_for_every_consumer(consumer: str) -> None:
    assert run_sync(CONSUMERS[consumer], list(REPLY))


# -- a parse error ----------------------------------------------------------------------------


@sync_cases
def test_sync_parse_error_closes_the_source(consumer: str, make: Any) -> None:
    log = Log()
    out: list[Any] = []
    with pytest.raises(instant.ParseError):
        for item in CONSUMERS[consumer](make(BAD, log)):
            out.append(item)
    assert out, "what was parsed before the error is handed out"
    assert log.read == 2 and log.closed == 1


@async_cases
def test_async_parse_error_closes_the_source(consumer: str, make: Any) -> None:
    log = Log()
    with pytest.raises(instant.ParseError):
        asyncio.run(run_async(CONSUMERS[consumer], make(BAD, log)))
    assert log.read == 2 and log.closed == 1


# -- the source fails -----------------------------------------------------------------------


@sync_cases
def test_sync_source_error_propagates_and_closes(consumer: str, make: Any) -> None:
    log = Log()
    with pytest.raises(ConnectionError):
        run_sync(CONSUMERS[consumer], make(REPLY, log, fail_at=2))
    assert log.read == 2 and log.closed == 1


@async_cases
def test_async_source_error_propagates_and_closes(consumer: str, make: Any) -> None:
    log = Log()
    with pytest.raises(ConnectionError):
        asyncio.run(run_async(CONSUMERS[consumer], make(REPLY, log, fail_at=2)))
    assert log.read == 2 and log.closed == 1


@sync_cases
def test_sync_ctrl_c_in_the_source_closes_it(consumer: str, make: Any) -> None:
    log = Log()
    with pytest.raises(KeyboardInterrupt):
        run_sync(CONSUMERS[consumer], make(REPLY, log, fail_at=1, ki=True))
    assert log.closed == 1


@async_cases
def test_async_ctrl_c_in_the_source_closes_it(consumer: str, make: Any) -> None:
    log = Log()

    async def main() -> None:
        await run_async(CONSUMERS[consumer], make(REPLY, log, fail_at=1, ki=True))

    with pytest.raises(KeyboardInterrupt):
        asyncio.run(main())
    assert log.closed == 1


# -- the consumer stops ---------------------------------------------------------------------


@sync_cases
def test_sync_break_closes_the_source_at_once(consumer: str, make: Any) -> None:
    log = Log()
    gc.disable()  # reference counting alone must do it
    try:
        run_sync(CONSUMERS[consumer], make(REPLY, log), stop_after=1)
        assert log.read < len(REPLY) and log.closed == 1
    finally:
        gc.enable()


@async_cases
def test_async_break_then_aclose_closes_the_source(consumer: str, make: Any) -> None:
    log = Log()
    asyncio.run(run_async(CONSUMERS[consumer], make(REPLY, log), stop_after=1))
    assert log.read < len(REPLY) and log.closed == 1


@sync_cases
def test_sync_exception_in_the_consumer_closes_the_source(consumer: str, make: Any) -> None:
    log = Log()
    gc.disable()
    try:
        with pytest.raises(ZeroDivisionError):
            for item in CONSUMERS[consumer](make(REPLY, log)):
                if started(item):
                    1 / 0  # noqa: B018
        assert log.closed == 1
    finally:
        gc.enable()


@sync_cases
def test_sync_ctrl_c_in_the_consumer_closes_the_source(consumer: str, make: Any) -> None:
    log = Log()
    gc.disable()
    try:
        with pytest.raises(KeyboardInterrupt):
            for item in CONSUMERS[consumer](make(REPLY, log)):
                if started(item):
                    raise KeyboardInterrupt
        assert log.closed == 1
    finally:
        gc.enable()


@async_cases
def test_async_cancellation_closes_the_source(consumer: str, make: Any) -> None:
    log = Log()
    running = asyncio.Event()

    async def consume() -> None:
        async with _aclosing(CONSUMERS[consumer](make(REPLY * 50, log))) as it:
            async for item in it:
                if started(item):
                    running.set()
                await asyncio.sleep(0.01)

    async def main() -> None:
        task = asyncio.create_task(consume())
        await running.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert log.closed == 1 and log.read < len(REPLY) * 50


class _aclosing:
    def __init__(self, it: Any) -> None:
        self.it = it

    async def __aenter__(self) -> Any:
        return self.it

    async def __aexit__(self, *exc: object) -> None:
        await self.it.aclose()


# -- closing a stream that was never iterated --------------------------------------------------


def test_close_on_a_never_iterated_stream_closes_the_source() -> None:
    log = Log()
    s = instant.stream(SyncSDKStream(REPLY, log))
    s.close()
    assert log.closed == 1 and log.read == 0
    log = Log()
    with instant.stream(SyncSDKStream(REPLY, log)):
        pass
    assert log.closed == 1 and log.read == 0


def test_aclose_on_a_never_iterated_stream_closes_the_source() -> None:
    log = Log()

    async def main() -> None:
        s = instant.stream(AsyncSDKStream(REPLY, log))
        await s.aclose()
        async with instant.stream(AsyncSDKStream(REPLY, log)):
            pass

    asyncio.run(main())
    assert log.closed == 2 and log.read == 0


def test_closing_twice_closes_once() -> None:
    log = Log()
    s = instant.stream(SyncSDKStream(REPLY, log))
    list(s)
    s.close()
    s.close()
    assert log.closed == 1


def test_the_iterator_and_the_source_are_both_closed() -> None:
    """An SDK stream's __iter__ generator alone does not release the HTTP response."""
    log = Log()
    inner_closed = []

    class Stream(SyncSDKStream):
        def __iter__(self) -> Iterator[str]:
            try:
                yield from super().__iter__()
            finally:
                inner_closed.append(True)

    run_sync(CONSUMERS["stream"], Stream(REPLY, log), stop_after=1)
    assert inner_closed == [True] and log.closed == 1


# -- nothing read ahead, errors handed over in order --------------------------------------------


@pytest.mark.parametrize("consumer", ["stream", "generator", "agently v3 events"])
def test_no_chunk_is_read_before_the_consumer_asks(consumer: str) -> None:
    log = Log()
    it = iter(CONSUMERS[consumer](gen_source(REPLY, log)))
    assert log.read == 0
    item = next(it)
    if not started(item):  # response:start comes before anything is read
        assert log.read == 0
        item = next(it)
    assert log.read == 1


def test_complete_generator_says_finally_before_any_error() -> None:
    for chunks, fail_at, error in ((BAD, None, instant.ParseError), (REPLY, 2, ConnectionError)):
        log = Log()
        pairs: list[Any] = []
        with pytest.raises(error):
            for pair in instant.complete_generator(gen_source(chunks, log, fail_at)):
                pairs.append(pair)
        assert pairs[-1] == ("response:finally", None)
        assert log.closed == 1


def test_a_parser_with_a_selector_is_freed_by_reference_counting() -> None:
    import weakref

    gc.disable()
    try:
        p = instant.Parser(select="a")
        p.feed('{"a": [1, 2], "b": 3}')
        ref = weakref.ref(p)
        del p
        assert ref() is None
    finally:
        gc.enable()
