"""The relay demo app on loopback for the tests: uvicorn in a thread, and gated replays."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

import instant
from instant.relay.demo import bundled_reply, tokens

WAIT = 60.0  # the longest any side waits for the other (a bound, never a measurement)


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(WAIT)
        sock.close()


class GatedReply:
    """The bundled model reply as a model stream, held at a gate until the test opens it.

    ``gate_at`` is the number of token pieces sent before the gate: chosen so that the
    reply stops inside the ``verdict`` string of ``items[2]`` (two list items are done, a
    third is being written). Each request gets a new stream; :meth:`reset` closes the gate.
    """

    def __init__(self) -> None:
        self.pieces = tokens(bundled_reply())
        self.gate = threading.Event()
        parser = instant.Parser()
        self.before: list[dict[str, Any]] = []  # the events the pieces before the gate give
        for k, piece in enumerate(self.pieces):
            self.before += parser.feed(piece)
            last = self.before[-1] if self.before else None
            if last and last["event"] == "delta" and last["path"] == ("items", 2, "verdict"):
                if len(last["value"]) > 10:
                    self.gate_at = k + 1
                    break
        else:
            raise AssertionError("the bundled reply has no items[2].verdict to stop in")
        self.after: list[dict[str, Any]] = []
        for piece in self.pieces[self.gate_at :]:
            self.after += parser.feed(piece)
        self.after += parser.close()
        self.value = parser.value

    def reset(self) -> None:
        self.gate = threading.Event()

    def __call__(self) -> AsyncIterator[str]:
        gate = self.gate

        async def chunks() -> AsyncIterator[str]:
            for piece in self.pieces[: self.gate_at]:
                yield piece
            opened = await asyncio.to_thread(gate.wait, WAIT)
            assert opened, "the test never opened the gate"
            for piece in self.pieces[self.gate_at :]:
                yield piece

        return chunks()
