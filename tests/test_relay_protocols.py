"""instant.relay.ag_ui and vercel_ui: the protocols' own shapes, and the document they carry."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from ag_ui.core import Event as AgUiEvent
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

import instant
from instant.relay import VERCEL_UI_HEADERS, ag_ui, apply_patch, vercel_ui
from tests.chunking import first_difference
from tests.test_relay_encoders import REPLIES, cuts

AG_UI_EVENT: TypeAdapter[Any] = TypeAdapter(AgUiEvent)  # the AG-UI SDK's own models


def openai_chunks(reply: str, calls: list[tuple[str, str, str]], size: int = 7) -> list[Any]:
    """OpenAI chat-completion chunk dicts: the reply's text, then each call's arguments."""
    out: list[Any] = [
        {"choices": [{"delta": {"content": reply[i : i + size]}}]}
        for i in range(0, len(reply), size)
    ]
    for index, (call_id, name, arguments) in enumerate(calls):
        for i in range(0, len(arguments), size):
            call: dict[str, Any] = {
                "index": index,
                "function": {"arguments": arguments[i : i + size]},
            }
            if i == 0:
                call["id"] = call_id
                call["function"]["name"] = name
            out.append({"choices": [{"delta": {"tool_calls": [call]}}]})
    return out


REPLY = 'Here: {"city": "Lisbon", "days": [1, 2], "note": "bring a \\"jacket\\""}'
CALLS = [
    ("call_W", "get_weather", '{"city": "Paris", "unit": "celsius"}'),
    ("call_T", "get_time", '{"tz": "Asia/Tokyo"}'),
]


def test_ag_ui_events_of_a_run_with_tool_calls() -> None:
    events = list(ag_ui(instant.stream(openai_chunks(REPLY, CALLS)), thread_id="t1", run_id="r1"))
    for event in events:
        AG_UI_EVENT.validate_python(event)
    types = [e["type"] for e in events]
    assert types[0] == "RUN_STARTED" and events[0] == {
        "type": "RUN_STARTED",
        "threadId": "t1",
        "runId": "r1",
    }
    assert types[-1] == "RUN_FINISHED"
    assert set(types[1:-1]) == {"STATE_DELTA", "TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_END"}
    state: Any = None
    for e in events:
        if e["type"] == "STATE_DELTA":
            assert all(op["op"] in ("add", "replace") for op in e["delta"])  # RFC 6902 only
            state = apply_patch(state, e["delta"])
    assert state == {"city": "Lisbon", "days": [1, 2], "note": 'bring a "jacket"'}
    for call_id, name, arguments in CALLS:
        mine = [e for e in events if e.get("toolCallId") == call_id]
        assert mine[0] == {"type": "TOOL_CALL_START", "toolCallId": call_id, "toolCallName": name}
        assert mine[-1] == {"type": "TOOL_CALL_END", "toolCallId": call_id}
        args = "".join(e["delta"] for e in mine if e["type"] == "TOOL_CALL_ARGS")
        assert args == json.dumps(json.loads(arguments), separators=(",", ":"))


def test_ag_ui_under_a_path_with_append_and_snapshots() -> None:
    stream = instant.stream(['{"a": "x', 'yz", "b": [true]}'])
    events = list(ag_ui(stream, path="/reply", append=True, message_id="m1"))
    ops = [op for e in events for op in e["delta"]]
    assert ops[:2] == [
        {"op": "add", "path": "/reply", "value": {}},
        {"op": "add", "path": "/reply/a", "value": "x"},
    ]
    assert {"op": "append", "path": "/reply/a", "value": "yz"} in ops
    with pytest.raises(ValidationError, match="append"):  # AG-UI 1.0 clients reject append
        AG_UI_EVENT.validate_python(next(e for e in events if e["delta"][0]["op"] == "append"))
    assert apply_patch({"other": 1}, ops) == {"other": 1, "reply": {"a": "xyz", "b": [True]}}
    snaps = [
        e
        for e in ag_ui(instant.stream(['[1] {"x": 2}'], multiple=True), snapshot=True)
        if e["type"] == "STATE_SNAPSHOT"
    ]
    assert snaps == [
        {"type": "STATE_SNAPSHOT", "snapshot": [1]},
        {"type": "STATE_SNAPSHOT", "snapshot": {"x": 2}},
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"thread_id": "t"}, "both thread_id and run_id"),
        ({"path": "/a", "snapshot": True}, "snapshot=True"),
        ({"path": "a"}, "starts with '/'"),
    ],
)
def test_ag_ui_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ag_ui([], **kwargs)


def test_a_parse_error_ends_the_run_with_run_error_then_is_raised() -> None:
    got: list[dict[str, Any]] = []
    with pytest.raises(instant.ParseError):
        for event in ag_ui(instant.stream(['{"a": 1', ' "b": 2}']), thread_id="t", run_id="r"):
            got.append(event)
    assert got[-1]["type"] == "RUN_ERROR" and got[-1]["code"] == "syntax"
    assert "expected ',' or '}'" in got[-1]["message"]
    AG_UI_EVENT.validate_python(got[-1])
    assert "RUN_FINISHED" not in [e["type"] for e in got]


@given(output=REPLIES, data=st.data())
def test_ag_ui_state_and_vercel_data_are_the_document_in_every_chunking(
    output: tuple[str, Any], data: st.DataObject
) -> None:
    reply, value = output
    chunks = data.draw(cuts(reply))
    state: Any = None
    for event in ag_ui(instant.stream(chunks)):
        AG_UI_EVENT.validate_python(event)
        state = apply_patch(state, event["delta"])
    assert first_difference(state, value) is None
    parts = list(vercel_ui(instant.stream(chunks), "doc"))
    kept = [p for p in parts if isinstance(p, dict) and p["type"] == "data-doc"]
    assert all(p["id"] == "doc" for p in kept)
    assert first_difference(kept[-1]["data"], value) is None


def test_vercel_ui_parts_of_a_reply_with_tool_calls() -> None:
    parts = list(
        vercel_ui(instant.stream(openai_chunks(REPLY, CALLS[:1])), "city", message_id="msg1")
    )
    assert parts[0] == {"type": "start", "messageId": "msg1"}
    assert parts[-2:] == [{"type": "finish"}, "[DONE]"]
    data = [p for p in parts[1:-2] if p["type"] == "data-city"]  # type: ignore[index]
    assert data[-1] == {
        "type": "data-city",
        "id": "city",
        "data": {"city": "Lisbon", "days": [1, 2], "note": 'bring a "jacket"'},
    }
    assert data[0]["data"] == {"city": "Lisbo"}  # 7-character chunks
    tool = [p for p in parts[1:-2] if not p["type"].startswith("data-")]  # type: ignore[index]
    assert tool[0] == {
        "type": "tool-input-start",
        "toolCallId": "call_W",
        "toolName": "get_weather",
    }
    assert {p["type"] for p in tool[1:-1]} == {"tool-input-delta"}
    assert "".join(p["inputTextDelta"] for p in tool[1:-1]) == '{"city":"Paris","unit":"celsius"}'
    assert tool[-1] == {
        "type": "tool-input-available",
        "toolCallId": "call_W",
        "toolName": "get_weather",
        "input": {"city": "Paris", "unit": "celsius"},
    }
    assert VERCEL_UI_HEADERS["x-vercel-ai-ui-message-stream"] == "v1"
    assert VERCEL_UI_HEADERS["content-type"] == "text/event-stream"


def test_vercel_data_parts_are_snapshots_that_never_change() -> None:
    chunks = ['{"items": [{"n": "a', 'b"}, {"n": "c"}', '], "t": "x', 'y"}']
    parts = [
        p
        for p in vercel_ui(instant.stream(chunks))
        if isinstance(p, dict) and p["type"] == "data-object"
    ]
    seen = [json.dumps(p["data"]) for p in parts]
    assert seen == [
        '{"items": [{"n": "a"}]}',
        '{"items": [{"n": "ab"}]}',
        '{"items": [{"n": "ab"}, {"n": "c"}]}',
        '{"items": [{"n": "ab"}, {"n": "c"}], "t": "x"}',
        '{"items": [{"n": "ab"}, {"n": "c"}], "t": "xy"}',
    ]
    several = [
        p["id"]
        for p in vercel_ui(instant.stream(["1 2"], multiple=True), "n", id="v")
        if isinstance(p, dict) and "id" in p
    ]
    assert several == ["v", "v-1"]


def test_vercel_ui_async_and_errors() -> None:
    async def chunks() -> AsyncIterator[str]:
        yield '{"a": [1,'
        yield " oops]}"

    async def main() -> list[Any]:
        got: list[Any] = []
        with pytest.raises(instant.ParseError):
            async for part in vercel_ui(instant.stream(chunks())):
                got.append(part)
        return got

    got = asyncio.run(main())
    assert got[0] == {"type": "start"} and got[-1]["type"] == "error"
    assert "oops" in got[-1]["errorText"] or "expected" in got[-1]["errorText"]
    with pytest.raises(ValueError, match="name"):
        vercel_ui([], "")
