"""instant.relay.sse and throttle: frames a browser reads back exactly, keep-alives, merging."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import instant
from instant.relay import KEEPALIVE, ag_ui, apply_patch, json_patch, sse, text, throttle, vercel_ui
from instant.strategies import chunkings
from tests.chunking import first_difference
from tests.test_relay_encoders import REPLIES, cuts, events_of

WAIT = 30.0  # seconds a test waits for another thread before it gives up (never reached)


def read_sse(stream: str) -> list[dict[str, Any]]:
    """What a browser's EventSource dispatches (the WHATWG algorithm), comments included."""
    out: list[dict[str, Any]] = []
    data: list[str] = []
    name, last_id = "", None
    for line in re.split(r"\r\n|\r|\n", stream):
        if line == "":
            if data:
                out.append({"event": name or "message", "data": "\n".join(data), "id": last_id})
            data, name = [], ""
            continue
        if line.startswith(":"):
            out.append({"comment": line[1:].strip()})
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "data":
            data.append(value)
        elif field == "event":
            name = value
        elif field == "id":
            last_id = value
        elif field == "retry":
            out.append({"retry": int(value)})
    return out


# -- framing --------------------------------------------------------------------------------


def test_frames_ids_and_multi_line_data() -> None:
    frames = list(sse(["plain", {"a": [1, "é"]}, "x\ny\r\nz\rw", "", [1.5]], keepalive=None))
    assert frames == [
        "id: 1\ndata: plain\n\n",
        'id: 2\ndata: {"a":[1,"é"]}\n\n',
        "id: 3\ndata: x\ndata: y\ndata: z\ndata: w\n\n",
        "id: 4\ndata: \n\n",
        "id: 5\ndata: [1.5]\n\n",
    ]
    assert [e["data"] for e in read_sse("".join(frames))] == [
        "plain",
        '{"a":[1,"é"]}',
        "x\ny\nz\nw",
        "",
        "[1.5]",
    ]


@given(items=st.lists(st.text(st.characters(codec="utf-8")), max_size=8))
def test_a_client_reads_back_every_item_with_its_line_breaks_as_newlines(items: list[str]) -> None:
    seen = read_sse("".join(sse(items, event="piece", keepalive=None)))
    assert [e["data"] for e in seen] == [re.sub(r"\r\n|\r", "\n", i) for i in items]
    assert [e["event"] for e in seen] == ["piece"] * len(items)
    assert [e["id"] for e in seen] == [str(i + 1) for i in range(len(items))]


def test_event_names_retry_end_and_resuming_after_the_last_event_id() -> None:
    items = ["a", "b", "c"]
    named = list(
        sse(items, event=lambda item: None if item == "b" else f"is-{item}", keepalive=None)
    )
    assert named[0] == "event: is-a\nid: 1\ndata: a\n\n" and named[1] == "id: 2\ndata: b\n\n"
    frames = list(sse(items, keepalive=None, retry=3000, end="end", last_event_id="2"))
    assert frames == ["retry: 3000\n\n", "id: 3\ndata: c\n\n", "event: end\nid: 4\ndata: \n\n"]
    assert read_sse("".join(frames))[-1] == {"event": "end", "data": "", "id": "4"}
    for nonsense in (None, "", "x1", "-3", -3, " 1a"):
        assert len(list(sse(items, keepalive=None, last_event_id=nonsense))) == 3
    assert list(sse(items, keepalive=None, last_event_id=3)) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"event": "two\nlines"}, "one line"),
        ({"end": "a\rb"}, "one line"),
        ({"retry": -1}, "milliseconds"),
        ({"keepalive": 0}, "keepalive"),
    ],
)
def test_bad_arguments_are_value_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        list(sse(["x"], **kwargs))


def test_nan_has_no_json_form_unless_dumps_says_one() -> None:
    with pytest.raises(ValueError, match=r"NaN and Infinity have no JSON form"):
        list(sse([{"x": float("nan")}], keepalive=None))
    frames = list(sse([{"x": float("nan")}], keepalive=None, dumps=lambda v: "custom"))
    assert frames == ["id: 1\ndata: custom\n\n"]
    assert list(sse(["\ud800"], keepalive=None)) == ["id: 1\ndata: \ud800\n\n"]  # str: as is
    assert list(sse([["\ud800"]], keepalive=None)) == ['id: 1\ndata: ["\\ud800"]\n\n']


def test_an_error_from_the_items_is_raised_after_the_frames_before_it() -> None:
    def items() -> Iterator[str]:
        yield "a"
        raise RuntimeError("model went away")

    for keepalive in (None, 5.0):
        got: list[str] = []
        with pytest.raises(RuntimeError, match="model went away"):
            for frame in sse(items(), keepalive=keepalive, end="end"):
                got.append(frame)
        assert got == ["id: 1\ndata: a\n\n"]  # no end event: the client reconnects


# -- keep-alive -----------------------------------------------------------------------------


def test_sync_keepalive_comments_while_the_source_is_silent_and_closing_closes_it() -> None:
    go, closed = threading.Event(), threading.Event()

    def items() -> Iterator[str]:
        try:
            yield "first"
            assert go.wait(WAIT), "the consumer never saw a keep-alive"
            yield "second"
            go.clear()
            go.wait(WAIT)
            yield "never"
        finally:
            closed.set()

    frames = sse(items(), keepalive=0.01)
    assert next(frames) == "id: 1\ndata: first\n\n"
    assert next(frames) == KEEPALIVE
    go.set()
    frame = next(frames)
    while frame == KEEPALIVE:
        frame = next(frames)
    assert frame == "id: 2\ndata: second\n\n"
    frames.close()  # type: ignore[attr-defined]
    go.set()  # the source's helper thread leaves its wait, then closes the source
    assert closed.wait(WAIT)


def test_async_keepalive_comments_and_aclose_cancels_the_source() -> None:
    closed: list[str] = []

    async def main() -> list[str]:
        go = asyncio.Event()

        async def items() -> AsyncIterator[str]:
            try:
                yield "first"
                await go.wait()
                yield "second"
                await asyncio.Event().wait()  # silent for ever: only cancelling ends it
            finally:
                closed.append("closed")

        frames = sse(items(), keepalive=0.01)
        got = [await frames.__anext__(), await frames.__anext__()]
        go.set()
        frame = await frames.__anext__()
        while frame == KEEPALIVE:
            frame = await frames.__anext__()
        got.append(frame)
        got.append(await frames.__anext__())
        await frames.aclose()  # type: ignore[attr-defined]
        return got

    got = asyncio.run(main())
    assert got == ["id: 1\ndata: first\n\n", KEEPALIVE, "id: 2\ndata: second\n\n", KEEPALIVE]
    assert closed == ["closed"]


def test_async_items_give_async_frames_and_errors_pass_through() -> None:
    async def items() -> AsyncIterator[Any]:
        yield {"n": 1}
        raise ValueError("bad reply")

    async def main(keepalive: float | None) -> list[str]:
        got: list[str] = []
        with pytest.raises(ValueError, match="bad reply"):
            async for frame in sse(items(), keepalive=keepalive):
                got.append(frame)
        return got

    assert asyncio.run(main(None)) == asyncio.run(main(1.0)) == ['id: 1\ndata: {"n":1}\n\n']


# -- throttle -------------------------------------------------------------------------------


@given(output=REPLIES, data=st.data())
def test_throttled_events_keep_every_done_in_order_and_every_character(
    output: tuple[str, Any], data: st.DataObject
) -> None:
    events = events_of(data.draw(cuts(output[0])))
    merged = list(throttle(events, interval=3600))  # all at once: every merge happens
    assert [e for e in merged if e["event"] == "done"] == [
        e for e in events if e["event"] == "done"
    ]
    texts: dict[Any, str] = {}
    for e in events:
        if e["event"] == "delta":
            texts[e["path"]] = texts.get(e["path"], "") + e["delta"]
    for e in merged:
        if e["event"] == "delta":
            texts[e["path"]] = (
                texts[e["path"]][len(e["delta"]) :]
                if texts[e["path"]].startswith(e["delta"])
                else "MISMATCH"
            )
    assert set(texts.values()) <= {""}
    for a, b in zip(merged, merged[1:]):  # no two deltas of one string left side by side
        assert not (a["event"] == b["event"] == "delta" and a["path"] == b["path"])
    doc = None
    for ops in json_patch(merged):
        doc = apply_patch(doc, ops)
    assert first_difference(doc, output[1]) is None


@given(output=REPLIES, data=st.data(), append=st.booleans())
def test_throttled_patch_lists_and_text_give_the_same_document(
    output: tuple[str, Any], data: st.DataObject, append: bool
) -> None:
    events = events_of(data.draw(chunkings(output[0])))
    lists = list(throttle(json_patch(events, append=append), interval=3600))
    assert len(lists) <= 1
    doc = None
    for ops in lists:
        doc = apply_patch(doc, ops)
    assert first_difference(doc, output[1]) is None
    assert list(throttle(text(events), 3600)) == (["".join(text(events))] if events else [])


def test_throttle_merges_protocol_items_of_one_kind_and_passes_the_rest() -> None:
    reply = '{"a": "xyz"}'
    call = [
        {"choices": [{"delta": {"content": reply[:8]}}]},
        {"choices": [{"delta": {"content": reply[8:]}}]},
        {
            "choices": [
                {
                    "delta": {
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "c",
                                "function": {"name": "f", "arguments": '{"q": "ab'},
                            }
                        ]
                    }
                }
            ]
        },
        {"choices": [{"delta": {"tool_calls": [{"index": 0, "function": {"arguments": 'cd"}'}}]}}]},
    ]
    ag = list(throttle(ag_ui(instant.stream(call), thread_id="t", run_id="r"), 3600))
    assert [e["type"] for e in ag] == [
        "RUN_STARTED",
        "STATE_DELTA",
        "TOOL_CALL_START",
        "TOOL_CALL_ARGS",
        "TOOL_CALL_END",
        "RUN_FINISHED",
    ]
    assert ag[1]["delta"] == [
        {"op": "add", "path": "", "value": {}},
        {"op": "add", "path": "/a", "value": "xyz"},
    ]
    assert ag[3]["delta"] == '{"q":"abcd"}'
    ui = list(throttle(vercel_ui(instant.stream(call), "doc"), 3600))
    assert [p if isinstance(p, str) else p["type"] for p in ui] == [
        "start",
        "data-doc",
        "tool-input-start",
        "tool-input-delta",
        "tool-input-available",
        "finish",
        "[DONE]",
    ]
    assert ui[1]["data"] == {"a": "xyz"} and ui[3]["inputTextDelta"] == '{"q":"abcd"}'


def test_a_held_item_is_sent_when_the_interval_ends_even_if_the_source_is_silent() -> None:
    released = threading.Event()

    def events() -> Iterator[dict[str, Any]]:
        parser = instant.Parser()
        yield from parser.feed('{"a": "x')
        yield from parser.feed("y")  # two deltas of one string, then silence
        assert released.wait(WAIT), "throttle held the deltas while the source was silent"
        yield from parser.feed('"}')

    # long enough for the two deltas to meet even on a loaded machine; the silence after them
    # is ended by the interval, not by the source
    out = throttle(events(), interval=0.5)
    first = next(out)
    assert (first["event"], first["delta"], first["value"]) == ("delta", "xy", "xy")
    released.set()
    assert [e["event"] for e in out] == ["done", "done"]


def test_a_done_is_never_held() -> None:
    released = threading.Event()

    def events() -> Iterator[dict[str, Any]]:
        parser = instant.Parser()  # not closed: the reply goes on
        for chunk in ['{"a": "x', 'y", "b": 1, "c": "long']:
            yield from parser.feed(chunk)
        assert released.wait(WAIT)

    out = throttle(events(), interval=3600)
    got = [next(out) for _ in range(3)]  # while the source is silent, and c's delta held
    released.set()
    assert [(e["event"], e["key"]) for e in got] == [("delta", "a"), ("done", "a"), ("done", "b")]
    assert got[0]["delta"] == "xy"
    assert [(e["event"], e["key"], e["delta"]) for e in out] == [("delta", "c", "long")]


def test_async_throttle_flushes_on_time_and_before_an_error() -> None:
    async def main() -> tuple[list[Any], list[Any]]:
        go = asyncio.Event()

        async def pieces() -> AsyncIterator[str]:
            yield "a"
            yield "b"
            await go.wait()
            yield "c"
            raise RuntimeError("stop")

        out = throttle(pieces(), interval=0.5)  # "a" and "b" meet even on a loaded machine
        first = [await out.__anext__()]
        go.set()
        rest: list[Any] = []
        with pytest.raises(RuntimeError, match="stop"):
            async for item in out:
                rest.append(item)
        return first, rest

    assert asyncio.run(main()) == (["ab"], ["c"])
    with pytest.raises(ValueError, match="interval"):
        throttle([], interval=0)
