"""Test sources that count the chunks pulled from them and record how they were closed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import instant


class Counting:
    """A sync source (an SDK-stream-like object): ``pulled`` chunks so far, ``closed``."""

    def __init__(self, chunks: Iterable[Any]) -> None:
        self.chunks = list(chunks)
        self.pulled = 0
        self.closed = 0

    def __iter__(self) -> Counting:
        return self

    def __next__(self) -> Any:
        if self.closed:
            raise RuntimeError("read after close")
        if self.pulled >= len(self.chunks):
            raise StopIteration
        self.pulled += 1
        return self.chunks[self.pulled - 1]

    def close(self) -> None:
        self.closed += 1


class ACounting:
    """An async source like an SDK's AsyncStream: each chunk takes a trip through the loop."""

    def __init__(self, chunks: Iterable[Any], delay: float = 0.0) -> None:
        self.chunks = list(chunks)
        self.pulled = 0
        self.closed = 0
        self.delay = delay
        self.reading = 0  # reads in progress (more than one at a time would be a bug)

    def __aiter__(self) -> ACounting:
        return self

    async def __anext__(self) -> Any:
        if self.closed:
            raise RuntimeError("read after close")
        self.reading += 1
        try:
            assert self.reading == 1, "two reads at once"
            await asyncio.sleep(self.delay)
        finally:
            self.reading -= 1
        if self.pulled >= len(self.chunks):
            raise StopAsyncIteration
        self.pulled += 1
        return self.chunks[self.pulled - 1]

    async def aclose(self) -> None:
        self.closed += 1


def done_at(chunks: list[Any], key: str, **options: Any) -> list[tuple[int, Any]]:
    """``(number of chunks read, value)`` for each done event at ``key``, from a Parser."""
    parser = instant.Parser(**options)
    out = []
    for n, chunk in enumerate(chunks, 1):
        out += [
            (n, e["value"]) for e in parser.feed(chunk) if e["event"] == "done" and e["key"] == key
        ]
    out += [
        (len(chunks), e["value"])
        for e in parser.close()
        if e["event"] == "done" and e["key"] == key
    ]
    return out


def run(coro: Any, timeout: float = 20.0) -> Any:
    """Run a coroutine in a fresh event loop, failing rather than hanging."""
    return asyncio.run(asyncio.wait_for(coro, timeout))
