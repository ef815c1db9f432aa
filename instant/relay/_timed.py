"""Reading a source with a time limit per item: what keep-alive comments and throttling need.

A generator cannot give up on a ``next()`` that blocks, so each reader runs the source in one
helper of its own and hands items over on request:

* :class:`ThreadReader`, for a sync iterable: a daemon thread calls ``next()``;
* :class:`TaskReader`, for an async iterable: one asyncio task awaits ``__anext__()``.

One helper for the whole life of the source, so the source always runs in the same thread
or task (context managers and cancel scopes inside an async generator stay valid). An item
is read only when :meth:`get` asks for one (no read-ahead), and :meth:`get` may return
``TIMEOUT`` and be called again for the same item. Closing the reader closes the source's
iterator in the helper, once it is not inside ``next()``: a source blocked for ever keeps
only a daemon thread (sync) or is cancelled (async).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, Final

ITEM: Final = "item"
END: Final = "end"
TIMEOUT: Final = "timeout"
_ERROR: Final = "error"


class ThreadReader:
    """Items of a sync iterable, read in a helper thread, with a timeout per :meth:`get`."""

    def __init__(self, source: Iterable[Any]) -> None:
        self._source = source
        self._iterator: Iterator[Any] | None = None
        self._requests = threading.Semaphore(0)
        self._results: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._stop = False
        self._waiting = False  # a request is out and its answer not yet taken
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        iterator = self._iterator
        assert iterator is not None
        try:
            while True:
                self._requests.acquire()
                if self._stop:
                    return
                try:
                    item = next(iterator)
                except StopIteration:
                    self._results.put((END, None))
                    return
                except BaseException as exc:  # handed to the consumer, raised there
                    self._results.put((_ERROR, exc))
                    return
                self._results.put((ITEM, item))
        finally:
            close = getattr(iterator, "close", None)
            if callable(close):
                close()

    def get(self, timeout: float | None) -> tuple[str, Any]:
        """``(ITEM, item)``, ``(END, None)`` or ``(TIMEOUT, None)``; the source's error is
        raised. ``timeout=None`` waits as long as it takes."""
        if self._thread is None:
            self._iterator = iter(self._source)
            self._thread = threading.Thread(target=self._run, name="instant.relay", daemon=True)
            self._thread.start()
        if not self._waiting:
            self._waiting = True
            self._requests.release()
        try:
            kind, item = self._results.get(timeout=timeout)
        except queue.Empty:
            return TIMEOUT, None
        self._waiting = False
        if kind == _ERROR:
            raise item
        return kind, item

    def close(self) -> None:
        """Stop reading; the iterator is closed in the helper (at once if it is idle)."""
        if self._thread is None:
            close = getattr(self._source, "close", None)
            if callable(close):
                close()
            return
        self._stop = True
        self._requests.release()


class TaskReader:
    """Items of an async iterable, read by one helper task, with a timeout per :meth:`get`."""

    def __init__(self, source: AsyncIterable[Any]) -> None:
        self._source = source
        self._requests: asyncio.Queue[asyncio.Future[tuple[str, Any]]] | None = None
        self._answer: asyncio.Future[tuple[str, Any]] | None = None
        self._task: asyncio.Task[None] | None = None

    async def _run(self, iterator: AsyncIterator[Any]) -> None:
        assert self._requests is not None
        try:
            while True:
                answer = await self._requests.get()
                try:
                    item = await iterator.__anext__()
                except StopAsyncIteration:
                    answer.set_result((END, None))
                    return
                except Exception as exc:  # handed to the consumer, raised there
                    answer.set_result((_ERROR, exc))
                    return
                except BaseException as exc:  # cancelled: the consumer must not wait for ever
                    if not answer.done():
                        answer.set_result((_ERROR, exc))
                    raise
                answer.set_result((ITEM, item))
        finally:
            aclose = getattr(iterator, "aclose", None)
            if callable(aclose):
                await aclose()

    async def get(self, timeout: float | None) -> tuple[str, Any]:
        """As :meth:`ThreadReader.get`, awaited."""
        if self._task is None:
            self._requests = asyncio.Queue()
            iterator = self._source.__aiter__()
            self._task = asyncio.get_running_loop().create_task(self._run(iterator))
        if self._answer is None:
            assert self._requests is not None
            self._answer = asyncio.get_running_loop().create_future()
            self._requests.put_nowait(self._answer)
        done, _ = await asyncio.wait((self._answer,), timeout=timeout)
        if not done:
            return TIMEOUT, None
        kind, item = self._answer.result()
        self._answer = None
        if kind == _ERROR:
            raise item
        return kind, item

    async def aclose(self) -> None:
        """Stop reading: cancel the helper (the iterator is closed inside it) and wait."""
        task = self._task
        if task is None:
            aclose = getattr(self._source, "aclose", None)
            if callable(aclose):
                await aclose()
            return
        if not task.done():
            task.cancel()
        await asyncio.wait((task,))
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
