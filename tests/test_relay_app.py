"""The relay demo app over HTTP (no browser): each stream carries the reply, resumable, and
the package ships the JavaScript and pages it serves."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

import instant
from instant.relay import SSE_HEADERS, VERCEL_UI_HEADERS, apply_patch, javascript
from instant.relay.demo import bundled_reply, create_app, replay, tokens
from tests.relay_serve import WAIT, serve
from tests.test_relay_sse import read_sse

REPO = Path(__file__).resolve().parent.parent
VALUE = instant.parse(bundled_reply())


@pytest.fixture(scope="module")
def client() -> Any:
    with TestClient(create_app(replay(rate=None))) as test_client:
        yield test_client


def test_the_patch_stream_rebuilds_the_reply_and_ends_with_an_end_event(client: Any) -> None:
    for query, ops_seen in (("", {"add", "append"}), ("?append=false", {"add", "replace"})):
        response = client.get("/stream/patches" + query)
        assert response.headers["content-type"] == SSE_HEADERS["content-type"]
        assert response.headers["x-accel-buffering"] == "no"
        events = read_sse(response.text)
        assert events[-1] == {"event": "end", "data": "", "id": str(len(events))}
        doc = None
        for event in events[:-1]:
            ops = json.loads(event["data"])
            doc = apply_patch(doc, ops)
        assert doc == VALUE
        assert {op["op"] for e in events[:-1] for op in json.loads(e["data"])} == ops_seen


def test_a_reconnecting_client_gets_only_what_follows_its_last_event_id(client: Any) -> None:
    whole = read_sse(client.get("/stream/patches").text)
    rest = read_sse(client.get("/stream/patches", headers={"Last-Event-ID": "40"}).text)
    assert rest == whole[40:]
    doc = None
    for event in whole[:40] + rest[:-1]:
        doc = apply_patch(doc, json.loads(event["data"]))
    assert doc == VALUE


def test_the_text_stream_is_the_canonical_json(client: Any) -> None:
    response = client.get("/stream/text")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == json.dumps(VALUE, ensure_ascii=False, separators=(",", ":"))


def test_the_ag_ui_and_vercel_streams(client: Any) -> None:
    ag = [json.loads(e["data"]) for e in read_sse(client.get("/stream/ag-ui").text)]
    assert ag[0]["type"] == "RUN_STARTED" and ag[-1]["type"] == "RUN_FINISHED"
    state = None
    for event in ag:
        if event["type"] == "STATE_DELTA":
            state = apply_patch(state, event["delta"])
    assert state == VALUE
    response = client.get("/stream/vercel")
    for name, value in VERCEL_UI_HEADERS.items():
        if name != "connection":  # hop-by-hop: the server manages it
            assert response.headers[name] == value
    data = [e["data"] for e in read_sse(response.text)]
    assert data[-1] == "[DONE]" and json.loads(data[-2]) == {"type": "finish"}
    parts = [json.loads(d) for d in data[:-1]]
    assert [p for p in parts if p["type"] == "data-reply"][-1]["data"] == VALUE


def test_the_pages_and_the_applier_are_served(client: Any) -> None:
    js = client.get("/instant-patch.js")
    assert js.headers["content-type"].startswith("text/javascript")
    assert js.text == javascript() and "export function subscribe" in js.text
    assert 'from "/instant-patch.js"' in client.get("/").text
    assert 'from "/instant-patch.js"' in client.get("/text").text


def test_the_replay_is_the_bundled_reply_token_by_token() -> None:
    pieces = tokens(bundled_reply())
    assert "".join(pieces) == bundled_reply() and len(pieces) > 300


def test_streams_reach_a_client_while_the_reply_is_still_being_written() -> None:
    """Over real HTTP (uvicorn), the first event arrives while the model stream is waiting
    for it: nothing on the way buffers the stream."""
    pieces = tokens(bundled_reply())
    seen = threading.Event()
    parser = instant.Parser()
    k = next(i for i, piece in enumerate(pieces) if parser.feed(piece)) + 1  # the first event

    async def waiting() -> Any:
        for piece in pieces[:k]:
            yield piece
        assert await asyncio.to_thread(seen.wait, WAIT), "the first event never reached the client"
        for piece in pieces[k:]:
            yield piece

    with (
        serve(create_app(waiting)) as url,
        httpx.stream("GET", url + "/stream/patches", timeout=WAIT) as r,
    ):
        frames = r.iter_text()
        first = next(frames)
        seen.set()
        rest = first + "".join(frames)
    assert first.startswith("id: 1\ndata: ")
    events = read_sse(rest)
    assert events[-1]["event"] == "end"
    doc = None
    for event in events[:-1]:
        doc = apply_patch(doc, json.loads(event["data"]))
    assert doc == VALUE


def test_the_wheel_ships_the_javascript_and_the_pages(tmp_path: Path) -> None:
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    [wheel] = tmp_path.glob("instant_json-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for name in ("instant-patch.js", "patches.html", "text.html"):
        assert f"instant/relay/static/{name}" in names
    assert "instant/relay/demo.py" in names
