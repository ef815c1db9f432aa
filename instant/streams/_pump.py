"""The pump: a source of chunks driven through a sans-I/O driver; the only sync/async twins.

Every consumer of a stream (plain events, Agently-style pairs, partial models, items, taps,
...) is a *driver*: an object with no I/O whose ``feed(chunk)`` and ``close()`` return
``(outputs, error)``: what to hand out, then the error to raise after handing it out (or
``None``). :func:`pump` and :func:`apump` put a driver on a sync or an async source. They
are the only code that reads a source, and they own its lifetime: the source is closed on
every way out of the loop:

============================================  ============================================
way out                                       what closes the source
============================================  ============================================
the source ends                               the pump, before the last outputs
a driver error (``ParseError``, ...)          the pump, before the outputs that precede it
the source raises                             the pump (after ``driver.fail(exc)``'s outputs)
the driver stops early (``driver.stopped``)   the pump, at once, before that chunk's outputs
                                              are handed out: no further chunk is read
the consumer breaks or raises (GeneratorExit  the generator's ``finally`` when it is closed
at the pending ``yield``), Ctrl-C             or dropped (at once in CPython for a sync one)
(``KeyboardInterrupt``), task cancellation
``close()``/``aclose()``/``with`` on a        :class:`Source`: closed even if never started
stream never iterated
============================================  ============================================

"Closing" a source means calling ``close()`` (sync) or ``aclose()``/``close()`` (async,
awaited if it returns an awaitable) on the iterator the pump took from it *and* on the
source itself: an SDK stream's ``__iter__`` generator alone does not release its HTTP
response. Each is closed at most once.

The pump's loop calls a driver's ``step(chunk)`` if it has one, else its ``feed`` through
:func:`stepper`: ``step`` returns the chunk's outputs alone, and raises :class:`Stop` (the
outputs, then the error to raise or ``None``) when the chunk did more: a driver error, or
the driver stopped. So the common chunk costs no tuple, no ``stopped`` read and no check
of what came back (a ``try`` costs nothing until it catches).

Cost: one generator resume per output and one driver call per chunk; nothing is buffered
beyond one chunk's outputs, and nothing is read ahead of the consumer.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, Callable, Generator, Iterable, Iterator, Mapping
from typing import Any, Generic, Protocol, TypeVar

__all__ = ["Driver", "Mapped", "Source", "Step", "Stop", "apump", "chunks_of", "pump", "stepper"]

T = TypeVar("T")
_NOTHING: Any = ()


class Driver(Protocol[T]):
    """A sans-I/O consumer: chunks in, outputs (and an error to raise after them) out."""

    @property
    def stopped(self) -> bool:
        """True once the driver needs no more input (early stop): the pump stops reading."""
        ...

    def begin(self) -> list[T]:
        """Outputs to hand out before the first chunk is read."""
        ...

    def feed(self, chunk: Any) -> tuple[list[T], BaseException | None]:
        """Outputs for one chunk, and the error to raise after handing them out."""
        ...

    def close(self) -> tuple[list[T], BaseException | None]:
        """The source ended: the last outputs, and an error to raise after them."""
        ...

    def fail(self, exc: BaseException) -> list[T]:
        """The source raised ``exc``: outputs to hand out before it is raised again."""
        ...


class Stop(Exception):
    """Raised by a driver's ``step``: hand out ``outputs``, then raise ``error`` (if not
    ``None``); either way read no further chunk (the driver failed or stopped)."""

    def __init__(self, outputs: list[Any], error: BaseException | None) -> None:
        super().__init__(outputs, error)
        self.outputs = outputs
        self.error = error


Step = Callable[[Any], list[T]]


def stepper(driver: Driver[T]) -> Step[T]:
    """What the pump calls for each chunk: the driver's ``step``, or its ``feed`` made one."""
    step: Step[T] | None = getattr(driver, "step", None)
    if step is not None:
        return step
    feed = driver.feed

    def fed(chunk: Any) -> list[T]:
        out, err = feed(chunk)
        if err is not None or driver.stopped:
            raise Stop(out, err)
        return out

    return fed


def chunks_of(source: Any, where: str) -> Any:
    """``source`` as something to iterate: a whole ``str``/``bytes`` is one chunk, a boto3
    response (a dict with a ``"stream"``, as ``converse_stream()`` returns) its stream.

    Raises ``TypeError`` (naming ``where``) for what is neither text nor an iterable, and
    for any other dict (iterating one would read its keys as text).
    """
    if isinstance(source, (str, bytes, bytearray, memoryview)):
        return (source,)
    if isinstance(source, Mapping):
        inner = source.get("stream")
        if inner is not None and not isinstance(inner, (str, bytes, Mapping)):
            if hasattr(inner, "__iter__") or hasattr(inner, "__aiter__"):
                return inner
        raise TypeError(
            f"{where} takes a model stream (an iterable or async iterable of chunks), not a "
            f"dict (with keys {sorted(map(str, source))[:5]}); a boto3 response is read through "
            "its 'stream'"
        )
    if hasattr(source, "__aiter__") or hasattr(source, "__iter__"):
        return source
    raise TypeError(
        f"{where} takes a model stream (an iterable or async iterable of chunks) or one whole "
        f"reply (str or bytes), not {type(source).__name__}"
    )


class Source(Generic[T]):
    """A source and the iterator taken from it, closed once whatever happens."""

    __slots__ = ("source", "iterator", "closed")

    def __init__(self, source: Any) -> None:
        self.source = source
        self.iterator: Any = None
        self.closed = False

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        it, src = self.iterator, self.source
        for obj in (it, src) if it is not None and it is not src else (src,):
            close = getattr(obj, "close", None)
            if callable(close):
                close()

    async def aclose(self) -> None:
        if self.closed:
            return
        self.closed = True
        it, src = self.iterator, self.source
        for obj in (it, src) if it is not None and it is not src else (src,):
            for name in ("aclose", "close"):
                close = getattr(obj, name, None)
                if callable(close):
                    result = close()
                    if inspect.isawaitable(result):
                        await result
                    break


def pump(source: Source[Any], driver: Driver[T]) -> Generator[T, None, None]:
    """Drive ``driver`` over a sync source; yield its outputs as they come (see the module)."""
    err: BaseException | None = None
    try:
        try:
            first = driver.begin()
            if first:
                yield from first
            chunks = source.iterator = iter(source.source)
            step = stepper(driver)
            for chunk in chunks:
                try:
                    out = step(chunk)
                except Stop as stop:  # an error or an early stop, after these outputs
                    source.close()  # before the last outputs: no token more than needed
                    out, err = stop.outputs, stop.error
                    if out:
                        yield from out
                    break
                if out:
                    yield from out
                    # let go of the outputs before the next chunk: events nobody kept hold
                    # no snapshot, so the parser need not copy for them
                    out = _NOTHING
            else:
                source.close()
                out, err = driver.close()
                if out:
                    yield from out
        except Exception as exc:  # the source failed (the driver reports its own errors)
            source.close()
            yield from driver.fail(exc)
            raise
        if err is not None:
            source.close()
            raise err
    finally:
        source.close()


async def apump(source: Source[Any], driver: Driver[T]) -> AsyncGenerator[T, None]:
    """:func:`pump` for an async source (a sync iterable is read in the loop's thread)."""
    src = source.source
    err: BaseException | None = None
    try:
        try:
            for item in driver.begin():
                yield item
            step = stepper(driver)
            if hasattr(src, "__aiter__"):
                chunks = source.iterator = src.__aiter__()
                async for chunk in chunks:
                    try:
                        out = step(chunk)
                    except Stop as stop:
                        await source.aclose()  # before the last outputs
                        out, err = stop.outputs, stop.error
                        for item in out:
                            yield item
                        break
                    for item in out:
                        yield item
                    out = item = _NOTHING  # see pump()
                else:
                    await source.aclose()
                    out, err = driver.close()
                    for item in out:
                        yield item
            else:
                for chunk in _sync_iter(source, src):
                    try:
                        out = step(chunk)
                    except Stop as stop:
                        await source.aclose()  # before the last outputs
                        out, err = stop.outputs, stop.error
                        for item in out:
                            yield item
                        break
                    for item in out:
                        yield item
                    out = item = _NOTHING  # see pump()
                else:
                    await source.aclose()
                    out, err = driver.close()
                    for item in out:
                        yield item
        except Exception as exc:
            await source.aclose()
            for item in driver.fail(exc):
                yield item
            raise
        if err is not None:
            await source.aclose()
            raise err
    finally:
        await source.aclose()


def _sync_iter(source: Source[Any], src: Iterable[Any]) -> Iterator[Any]:
    it = source.iterator = iter(src)
    return it


U = TypeVar("U")


class Mapped(Generic[T, U]):
    """A driver whose outputs are another driver's, each passed through ``fn`` (an output
    for which ``fn`` returns ``None`` is dropped): a new shape for an existing consumer."""

    def __init__(self, inner: Driver[T], fn: Callable[[T], U | None]) -> None:
        self.inner = inner
        self.fn = fn

    @property
    def stopped(self) -> bool:
        return self.inner.stopped

    def _map(self, out: list[T]) -> list[U]:
        fn = self.fn
        mapped = [fn(item) for item in out]
        return [item for item in mapped if item is not None]

    def begin(self) -> list[U]:
        return self._map(self.inner.begin())

    def feed(self, chunk: Any) -> tuple[list[U], BaseException | None]:
        out, err = self.inner.feed(chunk)
        return self._map(out), err

    def close(self) -> tuple[list[U], BaseException | None]:
        out, err = self.inner.close()
        return self._map(out), err

    def fail(self, exc: BaseException) -> list[U]:
        return self._map(self.inner.fail(exc))
