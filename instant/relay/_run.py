"""Encoders on the pump: one sans-I/O encoder, a sync or an async stream of its outputs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, Generic, Protocol, TypeVar

from ..streams._pump import Source, apump, pump

T = TypeVar("T")


class Encoder(Protocol[T]):
    """Events in, wire items out; no I/O. ``fail`` says what to send before an error."""

    def begin(self) -> list[T]: ...

    def feed(self, event: Mapping[str, Any]) -> list[T]: ...

    def close(self) -> list[T]: ...

    def fail(self, exc: BaseException) -> list[T]: ...


class _Driver(Generic[T]):
    """An encoder as a pump driver (its errors are raised by the pump after ``fail``)."""

    stopped = False

    def __init__(self, encoder: Encoder[T]) -> None:
        self.encoder = encoder

    def begin(self) -> list[T]:
        return self.encoder.begin()

    def feed(self, chunk: Any) -> tuple[list[T], BaseException | None]:
        return self.encoder.feed(chunk), None

    def close(self) -> tuple[list[T], BaseException | None]:
        return self.encoder.close(), None

    def fail(self, exc: BaseException) -> list[T]:
        return self.encoder.fail(exc)


def is_async(source: Any, where: str) -> bool:
    """Whether ``source`` is an async iterable (``TypeError`` for text or a non-iterable)."""
    if isinstance(source, (str, bytes, bytearray, memoryview)):
        raise TypeError(
            f"{where} takes instant events (from instant.stream(...) or Parser.feed), not "
            f"{type(source).__name__}: pass instant.stream(chunks) for a model stream"
        )
    if hasattr(source, "__aiter__"):
        return True
    if hasattr(source, "__iter__"):
        return False
    raise TypeError(f"{where} takes an iterable or async iterable, not {type(source).__name__}")


def run(where: str, events: Any, encoder: Encoder[T]) -> Iterator[T] | AsyncIterator[T]:
    """The encoder's outputs over ``events``: a generator for a sync iterable, an async
    generator for an async one. The events' iterator (and the source, if it has ``close``)
    is closed on every way out, as :func:`~instant.streams._pump.pump` does."""
    if is_async(events, where):
        return apump(Source(events), _Driver(encoder))
    return pump(Source(events), _Driver(encoder))
