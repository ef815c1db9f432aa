"""An example FastAPI app: a model reply replayed at model speed, shown filling in live.

    pip install "instant-json[relay]"
    python -m instant.relay.demo              # then open http://127.0.0.1:8000/

Pages: ``/`` renders the patch stream (the document as it fills in, and each list item as
it is done) and ``/text`` the canonical text stream. Streams: ``/stream/patches``
(:func:`~instant.relay.json_patch` framed by :func:`~instant.relay.sse`, ``?append=false``
for the RFC-strict form; resumes from ``Last-Event-ID``), ``/stream/text``
(:func:`~instant.relay.text`, ``text/plain``), ``/stream/ag-ui`` and ``/stream/vercel``
(throttled :func:`~instant.relay.ag_ui` and :func:`~instant.relay.vercel_ui` events). The
reply is the one ``instant demo`` plays (prose, then a fenced JSON answer), or any source you
pass to :func:`create_app`.

This is an application on top of the library (it imports FastAPI, the ``relay`` extra);
nothing else in ``instant`` imports it.
"""

from __future__ import annotations

import argparse
import asyncio
import re
from collections.abc import AsyncIterator, Callable, Sequence
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from ..streams.eventstream import stream
from . import (
    SSE_HEADERS,
    VERCEL_UI_HEADERS,
    ag_ui,
    javascript,
    json_patch,
    sse,
    text,
    throttle,
    vercel_ui,
)

__all__ = ["Source", "create_app", "main", "replay", "tokens"]

Source = Callable[[], Any]
"""Makes one model stream per request: an iterable or async iterable of chunks."""

# BPE-like pieces: a word with its leading space, a few digits, whitespace, punctuation
_TOKEN = re.compile(r" ?[^\W\d_]{1,8}| ?\d{1,3}|\s+|[^\w\s]{1,2}|.", re.S)


def tokens(reply: str) -> list[str]:
    """``reply`` cut into pieces the size of a model's tokens (deterministic, lossless)."""
    return _TOKEN.findall(reply)


def bundled_reply() -> str:
    """The model reply ``instant demo`` replays (package data of ``instant.cli``)."""
    return resources.files("instant.cli").joinpath("demo_reply.txt").read_text(encoding="utf-8")


def replay(reply: str | None = None, rate: float | None = 80.0) -> Source:
    """A source that replays ``reply`` (default: :func:`bundled_reply`) token by token at
    ``rate`` tokens per second (``None``: at once), as an async iterable of ``str``."""
    pieces = tokens(bundled_reply() if reply is None else reply)

    async def chunks() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        for i, piece in enumerate(pieces):
            if rate:
                wait = start + i / rate - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
            yield piece

    return chunks


def _static(name: str) -> str:
    return resources.files("instant.relay").joinpath("static", name).read_text(encoding="utf-8")


def create_app(source: Source | None = None) -> FastAPI:
    """The example app; ``source()`` makes the model stream of each request (default:
    :func:`replay` of the bundled reply)."""
    make = replay() if source is None else source
    app = FastAPI(title="instant relay demo", docs_url=None, redoc_url=None)

    @app.get("/", response_class=HTMLResponse)
    def patches_page() -> str:
        return _static("patches.html")

    @app.get("/text", response_class=HTMLResponse)
    def text_page() -> str:
        return _static("text.html")

    @app.get("/instant-patch.js")
    def applier() -> Response:
        return Response(javascript(), media_type="text/javascript")

    @app.get("/stream/patches")
    def patches(request: Request, append: bool = True) -> StreamingResponse:
        events = stream(make())
        frames = sse(
            json_patch(events, append=append),
            end="end",
            last_event_id=request.headers.get("last-event-id"),
        )
        return StreamingResponse(frames, headers=SSE_HEADERS)

    @app.get("/stream/text")
    def text_stream() -> StreamingResponse:
        return StreamingResponse(text(stream(make())), media_type="text/plain; charset=utf-8")

    @app.get("/stream/ag-ui")
    def ag_ui_stream() -> StreamingResponse:
        events = ag_ui(stream(make()), thread_id="demo", run_id="run-1")
        return StreamingResponse(sse(throttle(events)), headers=SSE_HEADERS)

    @app.get("/stream/vercel")
    def vercel_stream() -> StreamingResponse:
        parts = vercel_ui(stream(make()), "reply")
        return StreamingResponse(sse(throttle(parts)), headers=VERCEL_UI_HEADERS)

    return app


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m instant.relay.demo [--host H] [--port P] [--rate TOKENS_PER_SECOND]``."""
    import uvicorn

    ap = argparse.ArgumentParser(prog="python -m instant.relay.demo", description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--rate", type=float, default=80.0, help="tokens per second (0: at once)")
    args = ap.parse_args(argv)
    print(f"instant relay demo: http://{args.host}:{args.port}/  (Ctrl-C to stop)")
    uvicorn.run(create_app(replay(rate=args.rate or None)), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
