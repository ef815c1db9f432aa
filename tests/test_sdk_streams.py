"""instant.stream on the official openai and anthropic SDKs' own stream objects.

The SDKs talk HTTP to ``tests/sse_server.py`` on 127.0.0.1, which replays the server-sent
events of the Chat Completions, Responses and Messages APIs (text, JSON mode, two tool calls,
an error mid-stream). The clients validate every event against the SDKs' types
(``_strict_response_validation``), so the fixtures are what the SDKs accept. Sync and async
clients, the raw streams and the SDKs' helper streams (``.stream()``). No network beyond
loopback; async tests run under ``asyncio.run`` with a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any

import anthropic
import openai
import pytest

import instant
from tests.sse_server import (
    ANTHROPIC_ERROR,
    ERROR_PIECES,
    ERROR_SENT,
    JSON_PIECES,
    JSON_VALUE,
    LENGTH_PIECES,
    LENGTH_VALUE,
    OPENAI_ERROR,
    REFUSAL_PIECES,
    TEXT_PIECES,
    TEXT_VALUE,
    TOOL_CALLS,
    TOOLS_TEXT_PIECES,
    TOOLS_TEXT_VALUE,
    SSEServer,
)

TIMEOUT = 20.0
MESSAGES = [{"role": "user", "content": "Plan a trip to Lisbon, as JSON."}]
APIS = ["chat", "chat.stream", "responses", "responses.stream", "messages", "messages.stream"]
MODES = ["sync", "async"]


@pytest.fixture(scope="module")
def server() -> Iterator[SSEServer]:
    with SSEServer() as srv:
        yield srv


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine in a fresh event loop, failing rather than hanging."""
    return asyncio.run(asyncio.wait_for(coro, TIMEOUT))


# --- opening a stream with the SDKs --------------------------------------------------------


def _openai(server: SSEServer, cls: Any) -> Any:
    return cls(
        base_url=server.openai_base_url,
        api_key="test",
        max_retries=0,
        timeout=TIMEOUT,
        _strict_response_validation=True,
    )


def _anthropic(server: SSEServer, cls: Any) -> Any:
    return cls(
        base_url=server.anthropic_base_url,
        api_key="test",
        max_retries=0,
        timeout=TIMEOUT,
        _strict_response_validation=True,
    )


def _request(api: str, model: str, json_mode: bool, usage: bool) -> dict[str, Any]:
    if api.startswith("chat"):
        kw: dict[str, Any] = {"model": model, "messages": MESSAGES}
        if json_mode:
            kw["response_format"] = {"type": "json_object"}
        if usage:
            kw["stream_options"] = {"include_usage": True}
        return kw
    if api.startswith("responses"):
        kw = {"model": model, "input": MESSAGES[0]["content"]}
        if json_mode:
            kw["text"] = {"format": {"type": "json_object"}}
        return kw
    return {"model": model, "max_tokens": 1024, "messages": MESSAGES}


@contextlib.contextmanager
def open_sync(
    server: SSEServer, api: str, model: str, *, json_mode: bool = False, usage: bool = False
) -> Iterator[Any]:
    """The SDK's stream object for ``api`` (sync client); closed on exit."""
    kw = _request(api, model, json_mode, usage)
    if api.startswith(("chat", "responses")):
        client = _openai(server, openai.OpenAI)
        resource = client.chat.completions if api.startswith("chat") else client.responses
    else:
        client = _anthropic(server, anthropic.Anthropic)
        resource = client.messages
    with client:
        if api.endswith(".stream"):
            with resource.stream(**kw) as s:
                yield s
        else:
            with resource.create(stream=True, **kw) as s:
                yield s


@contextlib.asynccontextmanager
async def open_async(
    server: SSEServer, api: str, model: str, *, json_mode: bool = False, usage: bool = False
) -> AsyncIterator[Any]:
    """The SDK's stream object for ``api`` (async client); closed on exit."""
    kw = _request(api, model, json_mode, usage)
    if api.startswith(("chat", "responses")):
        client = _openai(server, openai.AsyncOpenAI)
        resource = client.chat.completions if api.startswith("chat") else client.responses
    else:
        client = _anthropic(server, anthropic.AsyncAnthropic)
        resource = client.messages
    async with client:
        if api.endswith(".stream"):
            async with resource.stream(**kw) as s:
                yield s
        else:
            async with await resource.create(stream=True, **kw) as s:
                yield s


def http_response(sdk_stream: Any) -> Any:
    """The httpx response under an SDK stream (raw streams and helper streams alike)."""
    response = getattr(sdk_stream, "response", None)
    return response if response is not None else sdk_stream._response


def collect(
    server: SSEServer, api: str, mode: str, model: str, **kw: Any
) -> tuple[list[dict[str, Any]], Any, BaseException | None, Any]:
    """(events, the EventStream, the exception raised if any, the SDK stream) for one request."""
    events: list[dict[str, Any]] = []
    if mode == "sync":
        with open_sync(server, api, model, **kw) as s:
            es = instant.stream(s)
            try:
                for event in es:
                    events.append(event)
            except Exception as exc:  # noqa: BLE001 - the test looks at it
                return events, es, exc, s
            return events, es, None, s

    async def main() -> tuple[list[dict[str, Any]], Any, BaseException | None, Any]:
        async with open_async(server, api, model, **kw) as s:
            es = instant.stream(s)
            assert isinstance(es, instant.AsyncEventStream)
            try:
                async for event in es:
                    events.append(event)
            except Exception as exc:  # noqa: BLE001 - the test looks at it
                return events, es, exc, s
            return events, es, None, s

    result: tuple[list[dict[str, Any]], Any, BaseException | None, Any] = run(main())
    return result


# --- what the events should be -------------------------------------------------------------


def parser_events(pieces: list[str], *, close: bool = True, **options: Any) -> list[Any]:
    """What a Parser makes of the same pieces (the SDKs hand over one piece per event)."""
    parser = instant.Parser(**options)
    events: list[Any] = []
    for piece in pieces:
        events.extend(parser.feed(piece))
    if close:
        events.extend(parser.close())
    return events


def text_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if "tool_call" not in e]


def call_events(events: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    return [e for e in events if "tool_call" in e and e["tool_call"]["index"] == index]


def call_id(api: str, index: int) -> str:
    call = TOOL_CALLS[index]
    return call.toolu_id if api.startswith("messages") else call.call_id


def assert_deltas_add_up(events: list[dict[str, Any]]) -> None:
    """Each string's deltas concatenate to its done value, and ``value`` is the text so far."""
    so_far: dict[Any, str] = {}
    for e in events:
        where = (e.get("tool_call", {}).get("index"), e["path"])
        if e["event"] == "delta":
            assert isinstance(e["delta"], str) and e["delta"]
            so_far[where] = so_far.get(where, "") + e["delta"]
            assert e["value"] == so_far[where]
        elif e["event"] == "done" and isinstance(e["value"], str):
            assert so_far.pop(where, "") == e["value"]
    assert not so_far, f"strings without a done event: {so_far}"


# --- the tests -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_text_reply_with_fenced_json(server: SSEServer, api: str, mode: str) -> None:
    usage = api.startswith("chat")  # the last chunk then has no choices, only usage
    events, es, exc, s = collect(server, api, mode, "text", usage=usage)
    assert exc is None
    assert events == parser_events(TEXT_PIECES)
    assert [e["key"] for e in events if e["event"] == "done"] == [
        "title",
        "stops.[].name",
        "stops.[]",
        "stops.[].name",
        "stops.[]",
        "stops",
        "budget_eur",
        "",
    ]
    assert_deltas_add_up(events)
    assert es.value == TEXT_VALUE
    assert events[-1]["complete_value"] == TEXT_VALUE
    # the helper streams repeat the text in derived events: it must be counted once
    assert es.text == "".join(TEXT_PIECES)
    assert es.tool_calls == []
    assert http_response(s).is_closed


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_json_mode(server: SSEServer, api: str, mode: str) -> None:
    events, es, exc, _ = collect(server, api, mode, "json", json_mode=True)
    assert exc is None
    assert events == parser_events(JSON_PIECES)
    assert_deltas_add_up(events)
    assert es.value == JSON_VALUE
    assert es.text == "".join(JSON_PIECES)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_text_and_two_tool_calls(server: SSEServer, api: str, mode: str) -> None:
    events, es, exc, _ = collect(server, api, mode, "tools")
    assert exc is None
    assert text_events(events) == parser_events(TOOLS_TEXT_PIECES)
    assert es.text == "".join(TOOLS_TEXT_PIECES)
    assert es.value == TOOLS_TEXT_VALUE
    _check_tool_calls(api, events, es)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_tool_calls_without_text(server: SSEServer, api: str, mode: str) -> None:
    events, es, exc, _ = collect(server, api, mode, "tools_only")
    assert exc is None
    assert text_events(events) == []
    assert es.text == ""
    assert es.value is None
    _check_tool_calls(api, events, es)


def _check_tool_calls(api: str, events: list[dict[str, Any]], es: Any) -> None:
    assert all(e["tool_call"]["index"] in (0, 1) for e in events if "tool_call" in e)
    for index, call in enumerate(TOOL_CALLS):
        info = {"index": index, "id": call_id(api, index), "name": call.name}
        expected = [{**e, "tool_call": info} for e in parser_events(call.pieces, expect="object")]
        assert call_events(events, index) == expected
    assert_deltas_add_up(events)
    assert len(es.tool_calls) == 2
    for index, (got, call) in enumerate(zip(es.tool_calls, TOOL_CALLS)):
        assert (got.index, got.id, got.name) == (index, call_id(api, index), call.name)
        assert got.arguments == call.arguments
        assert got.value == call.value
    calls_in_order = [e["tool_call"]["index"] for e in events if "tool_call" in e]
    runs = [i for n, i in enumerate(calls_in_order) if n == 0 or calls_in_order[n - 1] != i]
    if api.startswith("chat"):
        # Chat Completions: the two calls' fragments interleave, and so do their events
        assert runs[:4] == [0, 1, 0, 1]
    else:
        # Anthropic content blocks and Responses output items come one after the other
        assert runs == [0, 1]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_error_mid_stream(server: SSEServer, api: str, mode: str) -> None:
    events, es, exc, s = collect(server, api, mode, "error")
    # every event parsed before the error came out first
    assert events == parser_events(ERROR_PIECES[:ERROR_SENT], close=False)
    assert [e["key"] for e in events if e["event"] == "done"] == ["title"]
    assert es.text == "".join(ERROR_PIECES[:ERROR_SENT])
    assert es.value == {"title": "Lisbon", "stops": [{"name": "Bel"}]}
    if api.startswith("chat"):
        # the SDK raises it on the `data: {"error": ...}` line; it comes through unchanged
        assert type(exc) is openai.APIError
        assert exc.message == OPENAI_ERROR["message"]
        assert exc.body == OPENAI_ERROR
    elif api.startswith("responses"):
        # the SDK yields the Responses API's `error` event as an ordinary event (it raises
        # nothing): instant.stream turns it into a StreamError
        assert isinstance(exc, instant.StreamError)
        assert OPENAI_ERROR["message"] in str(exc)
    else:
        # the SDK raises APIStatusError (status 200: the error came inside the stream)
        assert isinstance(exc, anthropic.APIStatusError)
        assert exc.body["error"] == ANTHROPIC_ERROR
    assert http_response(s).is_closed


# --- stopping early closes the SDK stream ----------------------------------------------------


def _long_events_taken(events: list[dict[str, Any]]) -> None:
    assert events and all(e["key"] == "[].i" or e["key"] == "[]" for e in events)


@pytest.mark.parametrize("how", ["break", "close", "with"])
@pytest.mark.parametrize("api", APIS)
def test_early_stop_closes_the_sdk_stream_sync(server: SSEServer, api: str, how: str) -> None:
    before = server.disconnects
    with open_sync(server, api, "long") as s:
        taken: list[dict[str, Any]] = []
        if how == "break":
            for event in instant.stream(s):  # the EventStream is dropped with the loop
                taken.append(event)
                if len(taken) == 3:
                    break
        elif how == "close":
            es = instant.stream(s)
            for event in es:
                taken.append(event)
                if len(taken) == 3:
                    break
            es.close()
        else:
            with instant.stream(s) as es:
                for event in es:
                    taken.append(event)
                    if len(taken) == 3:
                        break
        _long_events_taken(taken)
        # closed by instant, not by the SDK's context manager (still open here)
        assert http_response(s).is_closed
    assert server.wait_for_disconnects(before + 1)


@pytest.mark.parametrize("how", ["aclose", "async with", "cancel"])
@pytest.mark.parametrize("api", APIS)
def test_early_stop_closes_the_sdk_stream_async(server: SSEServer, api: str, how: str) -> None:
    before = server.disconnects

    async def main() -> None:
        async with open_async(server, api, "long") as s:
            taken: list[dict[str, Any]] = []
            if how == "aclose":
                es = instant.stream(s)
                async for event in es:
                    taken.append(event)
                    if len(taken) == 3:
                        break
                await es.aclose()
            elif how == "async with":
                async with instant.stream(s) as es:
                    async for event in es:
                        taken.append(event)
                        if len(taken) == 3:
                            break
            else:
                got_some = asyncio.Event()

                async def consume() -> None:
                    async for event in instant.stream(s):
                        taken.append(event)
                        if len(taken) == 3:
                            got_some.set()

                task = asyncio.create_task(consume())
                await asyncio.wait_for(got_some.wait(), TIMEOUT)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
            _long_events_taken(taken)
            assert http_response(s).is_closed

    run(main())
    assert server.wait_for_disconnects(before + 1)


def test_server_saw_streaming_requests(server: SSEServer) -> None:
    """The SDKs really asked for streams, on the paths of the real APIs."""
    with open_sync(server, "chat", "json", json_mode=True) as s:
        list(instant.stream(s))
    request = server.requests[-1]
    assert request.path == "/v1/chat/completions"
    assert request.body["stream"] is True
    assert request.body["response_format"] == {"type": "json_object"}
    assert request.headers.get("authorization") == "Bearer test"
    with open_sync(server, "messages", "json") as s:
        list(instant.stream(s))
    request = server.requests[-1]
    assert request.path == "/v1/messages"
    assert request.body["stream"] is True
    assert "anthropic-version" in request.headers
    # older SDKs send the key as x-api-key, newer ones as a bearer token
    key = request.headers.get("x-api-key") or request.headers.get("authorization")
    assert key in ("test", "Bearer test")


def test_clients_configured_from_the_environment(
    server: SSEServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``OpenAI()`` / ``Anthropic()`` with no arguments and real model names (the README's
    examples run this way): the server picks the scenario from the request."""
    for name, value in server.env.items():
        monkeypatch.setenv(name, value)
    tools = [
        {"type": "function", "function": {"name": call.name, "parameters": {"type": "object"}}}
        for call in TOOL_CALLS
    ]
    with openai.OpenAI(max_retries=0, timeout=TIMEOUT) as client:
        reply = client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, tools=tools, stream=True
        )
        events = instant.stream(reply)
        roots = [e for e in events if "tool_call" in e and e["key"] == ""]
        # the calls' fragments interleave: get_time's arguments happen to close first
        assert [e["tool_call"]["name"] for e in roots] == ["get_time", "get_weather"]
        assert [call.value for call in events.tool_calls] == [c.value for c in TOOL_CALLS]
        reply = client.responses.create(
            model="gpt-4.1", input="Lisbon?", text={"format": {"type": "json_object"}}, stream=True
        )
        events = instant.stream(reply)
        assert list(events) == parser_events(JSON_PIECES)
        assert events.value == JSON_VALUE
    with anthropic.Anthropic(max_retries=0, timeout=TIMEOUT) as client:
        reply = client.messages.create(
            model="claude-sonnet-4-6", max_tokens=1024, messages=MESSAGES, stream=True
        )
        events = instant.stream(reply)
        assert list(events) == parser_events(TEXT_PIECES)
        assert events.value == TEXT_VALUE


# --- the verdict: cut off by the token limit, refused --------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_a_reply_cut_off_by_the_token_limit(server: SSEServer, api: str, mode: str) -> None:
    events, es, exc, s = collect(server, api, mode, "length")
    assert exc is None  # a stream hands out what there is: the verdict is on the stream
    assert events == parser_events(LENGTH_PIECES)
    assert es.value == LENGTH_VALUE
    assert es.truncated is True
    assert es.finish_reason == "length"
    assert es.text == "".join(LENGTH_PIECES)
    assert http_response(s).is_closed


@pytest.mark.parametrize("api", APIS)
def test_parse_of_a_cut_off_stream_raises_truncated_error(server: SSEServer, api: str) -> None:
    with open_sync(server, api, "length") as s:
        with pytest.raises(instant.TruncatedError) as info:
            instant.parse(s)
    assert info.value.value == LENGTH_VALUE and info.value.kind == "truncated"
    assert info.value.offset == len("".join(LENGTH_PIECES))
    with open_sync(server, api, "length") as s:
        assert instant.parse(s, allow_truncated=True) == LENGTH_VALUE


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", APIS)
def test_a_complete_reply_says_stop(server: SSEServer, api: str, mode: str) -> None:
    _, es, exc, _ = collect(server, api, mode, "text")
    assert exc is None and es.truncated is False and es.finish_reason == "stop"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", ["chat", "chat.stream", "responses", "responses.stream"])
def test_a_refusal_raises_refusal_error(server: SSEServer, api: str, mode: str) -> None:
    events, es, exc, s = collect(server, api, mode, "refusal")
    assert events == []
    assert isinstance(exc, instant.RefusalError), repr(exc)
    assert exc.refusal == "".join(REFUSAL_PIECES)
    assert es.refusal == "".join(REFUSAL_PIECES)
    assert es.value is None and es.text == ""
    assert http_response(s).is_closed
    with open_sync(server, api, "refusal") as s, pytest.raises(instant.RefusalError):
        instant.parse(s)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("api", ["messages", "messages.stream"])
def test_an_anthropic_refusal_is_its_stop_reason(server: SSEServer, api: str, mode: str) -> None:
    # Anthropic has no refusal text apart from the reply: the reply is prose, and the stop
    # reason says why it ended
    events, es, exc, _ = collect(server, api, mode, "refusal")
    assert exc is None and events == []
    assert es.value is None and es.text == "".join(REFUSAL_PIECES)
    assert es.finish_reason == "refusal"
