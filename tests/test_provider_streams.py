"""instant.stream on the real google-genai (Gemini and Vertex AI), boto3 bedrock-runtime,
ollama and mistralai clients, and on their raw streams as ``curl -N`` prints them.

The SDKs talk HTTP to the replay server on 127.0.0.1 (``tests/sse_server.py``, whose
``tests/provider_server.py`` answers these APIs in their own wire formats: SSE, JSON lines,
AWS event-stream frames). For each provider: a JSON reply, two parallel tool calls, a reply
cut by the token limit, and a stream with thinking and other non-reply events; sync and
async where the SDK has both (boto3 is sync only). No network beyond loopback.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.request
import warnings
from collections.abc import Coroutine, Iterator
from typing import Any

import boto3
import botocore.exceptions
import mistralai.client
import ollama
import pytest
from google import genai

import instant
from tests import aws_eventstream as aws
from tests.provider_server import (
    BEDROCK_ERROR,
    BEDROCK_IDS,
    ERROR_SENT,
    MISTRAL_IDS,
    THINKING_PIECES,
    TRUNCATED_SENT,
    TRUNCATED_VALUE,
    bedrock_events,
)
from tests.sse_server import JSON_PIECES, JSON_VALUE, TOOL_CALLS, SSEServer

TIMEOUT = 20.0
PROMPT = "Lisbon as JSON: city, days, tags, rain, note."
# (provider, mode): every client this file drives
CLIENTS = [
    ("gemini", "sync"),
    ("gemini", "async"),
    ("vertex", "sync"),
    ("vertex", "async"),
    ("bedrock", "sync"),
    ("ollama", "sync"),
    ("ollama", "async"),
    ("ollama.generate", "sync"),
    ("mistral", "sync"),
    ("mistral", "async"),
]
TOOL_CLIENTS = [c for c in CLIENTS if c[0] != "ollama.generate"]  # generate has no tools
# what each API says at the end of each scenario: (normalised, as the provider wrote it)
FINISH = {
    "gemini": {"json": ("stop", "STOP"), "tools": ("stop", "STOP"), "truncated": ("length", "MAX_TOKENS")},
    "bedrock": {"json": ("stop", "end_turn"), "tools": ("tool_calls", "tool_use"), "truncated": ("length", "max_tokens")},
    "ollama": {"json": ("stop", "stop"), "tools": ("stop", "stop"), "truncated": ("length", "length")},
    "mistral": {"json": ("stop", "stop"), "tools": ("tool_calls", "tool_calls"), "truncated": ("length", "length")},
}  # fmt: skip
FINISH["vertex"] = FINISH["gemini"]
FINISH["ollama.generate"] = FINISH["ollama"]


@pytest.fixture(scope="module")
def server() -> Iterator[SSEServer]:
    with SSEServer() as srv:
        yield srv


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro, TIMEOUT))


# --- opening a stream with each SDK ----------------------------------------------------------


def _genai(server: SSEServer, provider: str) -> genai.Client:
    vertex = {"vertexai": True} if provider == "vertex" else {}
    return genai.Client(api_key="test", http_options={"base_url": server.base_url}, **vertex)


def _genai_config(scenario: str) -> dict[str, Any]:
    if scenario != "tools":
        return {"response_mime_type": "application/json"}
    functions = [{"name": c.name, "parameters_json_schema": {"type": "object"}} for c in TOOL_CALLS]
    return {"tools": [{"function_declarations": functions}]}


def _bedrock(server: SSEServer) -> Any:
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=server.base_url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _bedrock_request(scenario: str) -> dict[str, Any]:
    kw: dict[str, Any] = {
        "modelId": scenario,
        "messages": [{"role": "user", "content": [{"text": PROMPT}]}],
    }
    if scenario == "tools":
        specs = [
            {"toolSpec": {"name": c.name, "inputSchema": {"json": {"type": "object"}}}}
            for c in TOOL_CALLS
        ]
        kw["toolConfig"] = {"tools": specs}
    return kw


def _tools_openai_style() -> list[dict[str, Any]]:
    return [
        {"type": "function", "function": {"name": c.name, "parameters": {"type": "object"}}}
        for c in TOOL_CALLS
    ]


def collect(
    server: SSEServer, provider: str, mode: str, scenario: str
) -> tuple[list[dict[str, Any]], Any, BaseException | None, list[warnings.WarningMessage]]:
    """(events, the stream, the exception raised if any, warnings) of one request."""
    messages = [{"role": "user", "content": PROMPT}]

    def consume(source: Any) -> tuple[list[dict[str, Any]], Any, BaseException | None]:
        events: list[dict[str, Any]] = []
        es = instant.stream(source)
        try:
            for event in es:
                events.append(event)
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            return events, es, exc
        return events, es, None

    async def aconsume(source: Any) -> tuple[list[dict[str, Any]], Any, BaseException | None]:
        events: list[dict[str, Any]] = []
        es = instant.stream(source)
        assert isinstance(es, instant.AsyncEventStream)
        try:
            async for event in es:
                events.append(event)
        except Exception as exc:  # noqa: BLE001
            return events, es, exc
        return events, es, None

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if provider in ("gemini", "vertex"):
            client = _genai(server, provider)
            kw = {"model": scenario, "contents": PROMPT, "config": _genai_config(scenario)}
            if mode == "sync":
                result = consume(client.models.generate_content_stream(**kw))
            else:

                async def main() -> Any:
                    return await aconsume(await client.aio.models.generate_content_stream(**kw))

                result = run(main())
        elif provider == "bedrock":
            response = _bedrock(server).converse_stream(**_bedrock_request(scenario))
            result = consume(response)  # the response dict: instant reads its "stream"
        elif provider.startswith("ollama"):
            tools = _tools_openai_style() if scenario == "tools" else None
            if provider == "ollama.generate":
                kw = {"model": scenario, "prompt": PROMPT, "format": "json", "stream": True}
                method = "generate"
            else:
                kw = {"model": scenario, "messages": messages, "tools": tools, "stream": True}
                method = "chat"
            if mode == "sync":
                result = consume(getattr(ollama.Client(host=server.base_url), method)(**kw))
            else:

                async def main() -> Any:
                    client = ollama.AsyncClient(host=server.base_url)
                    return await aconsume(await getattr(client, method)(**kw))

                result = run(main())
        else:  # mistral
            client = mistralai.client.Mistral(api_key="test", server_url=server.mistral_server_url)
            kw = {"model": scenario, "messages": messages}
            if scenario == "tools":
                kw["tools"] = _tools_openai_style()
            else:
                kw["response_format"] = {"type": "json_object"}
            if mode == "sync":
                with client.chat.stream(**kw) as sdk_stream:
                    result = consume(sdk_stream)
            else:

                async def main() -> Any:
                    async with await client.chat.stream_async(**kw) as sdk_stream:
                        return await aconsume(sdk_stream)

                result = run(main())
    events, es, exc = result
    return events, es, exc, list(caught)


# --- what the events should be -------------------------------------------------------------


def parser_events(pieces: list[str], **options: Any) -> list[Any]:
    parser = instant.Parser(**options)
    events: list[Any] = []
    for piece in pieces:
        events.extend(parser.feed(piece))
    events.extend(parser.close())
    return events


def merged(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events with each run of deltas of one string made one delta (the later fields),
    without ``complete_value`` (the document as of each call's last event: it depends on
    where the chunks end, SPEC 3)."""
    out: list[dict[str, Any]] = []
    for e in events:
        e = {k: v for k, v in e.items() if k != "complete_value"}
        last = out[-1] if out else None
        if (
            last is not None
            and e["event"] == "delta" == last["event"]
            and e["path"] == last["path"]
            and e.get("tool_call") == last.get("tool_call")
        ):
            out[-1] = {**e, "delta": last["delta"] + e["delta"]}
        else:
            out.append(dict(e))
    return out


def reply_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if "tool_call" not in e]


def call_events(events: list[dict[str, Any]], index: int) -> list[dict[str, Any]]:
    return [e for e in events if "tool_call" in e and e["tool_call"]["index"] == index]


def no_stream_warnings(caught: list[warnings.WarningMessage]) -> None:
    assert not [w for w in caught if issubclass(w.category, instant.StreamWarning)]


# --- the four scenarios, every client ------------------------------------------------------


@pytest.mark.parametrize(("provider", "mode"), CLIENTS)
def test_json_reply(server: SSEServer, provider: str, mode: str) -> None:
    events, es, exc, caught = collect(server, provider, mode, "json")
    assert exc is None
    assert events == parser_events(JSON_PIECES)
    assert es.value == JSON_VALUE
    assert es.text == "".join(JSON_PIECES)
    assert es.tool_calls == []
    assert (es.finish_reason, es._core.raw_finish_reason) == FINISH[provider]["json"]
    assert es.truncated is False
    assert es.wire == "objects"
    no_stream_warnings(caught)


@pytest.mark.parametrize(("provider", "mode"), TOOL_CLIENTS)
def test_parallel_tool_calls(server: SSEServer, provider: str, mode: str) -> None:
    events, es, exc, caught = collect(server, provider, mode, "tools")
    assert exc is None
    assert reply_events(events) == []
    assert es.text == "" and es.value is None
    ids: list[str | None] = {
        "bedrock": BEDROCK_IDS,
        "mistral": MISTRAL_IDS,
    }.get(provider, [None, None])  # Gemini gives no ids; ollama's SDK drops them
    assert len(es.tool_calls) == 2
    for index, (call, script) in enumerate(zip(es.tool_calls, TOOL_CALLS)):
        info = {"index": index, "id": ids[index], "name": script.name}
        assert (call.index, call.id, call.name) == (index, ids[index], script.name)
        assert call.value == script.value
        assert json.loads(call.arguments) == script.value
        if provider == "bedrock":  # the fragments as the API sent them
            expected = parser_events(script.pieces, expect="object")
            got = call_events(events, index)
        else:  # whole arguments, or (Vertex) partialArgs: the events of the JSON text
            expected = merged(parser_events([json.dumps(script.value)], expect="object"))
            got = merged(call_events(events, index))
        assert got == [{**e, "tool_call": info} for e in expected]
        assert call.closed
    # each call's events come together, the first call's before the second's
    order = [e["tool_call"]["index"] for e in events]
    assert order == sorted(order)
    assert (es.finish_reason, es._core.raw_finish_reason) == FINISH[provider]["tools"]
    no_stream_warnings(caught)


@pytest.mark.parametrize(("provider", "mode"), CLIENTS)
def test_truncated_reply(server: SSEServer, provider: str, mode: str) -> None:
    events, es, exc, caught = collect(server, provider, mode, "truncated")
    assert exc is None
    assert events == parser_events(JSON_PIECES[:TRUNCATED_SENT])
    assert es.value == TRUNCATED_VALUE
    assert es.truncated is True
    assert (es.finish_reason, es._core.raw_finish_reason) == FINISH[provider]["truncated"]
    no_stream_warnings(caught)


@pytest.mark.parametrize(("provider", "mode"), CLIENTS)
def test_thinking_and_other_non_reply_events(server: SSEServer, provider: str, mode: str) -> None:
    events, es, exc, caught = collect(server, provider, mode, "extras")
    assert exc is None
    # the thinking text (which holds braces) is not reply text: the events are the reply's
    assert events == parser_events(JSON_PIECES)
    assert es.text == "".join(JSON_PIECES)
    assert not any(piece in es.text for piece in THINKING_PIECES)
    assert es.value == JSON_VALUE
    assert es.finish_reason == "stop"
    no_stream_warnings(caught)


def test_bedrock_exception_mid_stream(server: SSEServer) -> None:
    """botocore raises the modeled exception; the events before it came out first and
    the HTTP stream is closed."""
    response = _bedrock(server).converse_stream(**_bedrock_request("error"))
    events = []
    es = instant.stream(response)
    with pytest.raises(botocore.exceptions.EventStreamError, match=BEDROCK_ERROR):
        for event in es:
            events.append(event)
    assert events == parser_events(JSON_PIECES[:ERROR_SENT])[: len(events)]
    assert es.value == {"city": "Lisbon"}
    assert response["stream"]._raw_stream.closed


def test_early_stop_closes_the_sdk_streams(server: SSEServer) -> None:
    response = _bedrock(server).converse_stream(**_bedrock_request("json"))
    with instant.stream(response) as es:
        next(iter(es))
    assert response["stream"]._raw_stream.closed
    client = _genai(server, "gemini")
    gemini = client.models.generate_content_stream(model="json", contents=PROMPT)
    for _ in instant.stream(gemini):
        break
    with pytest.raises(StopIteration):
        next(gemini)  # the generator was closed


def test_the_server_saw_each_sdks_request(server: SSEServer) -> None:
    """The SDKs really asked for streams on the paths and with the credentials of the
    real APIs."""
    seen = {}
    for provider in ("gemini", "vertex", "bedrock", "ollama", "mistral"):
        collect(server, provider, "sync", "json")
        seen[provider] = server.requests[-1]
    assert seen["gemini"].path.endswith("/models/json:streamGenerateContent")
    assert seen["gemini"].headers.get("x-goog-api-key") == "test"
    assert "/publishers/google/models/json:streamGenerateContent" in seen["vertex"].path
    assert seen["bedrock"].path == "/model/json/converse-stream"
    assert seen["bedrock"].headers["authorization"].startswith("AWS4-HMAC-SHA256")
    assert seen["ollama"].path == "/api/chat" and seen["ollama"].body["stream"] is True
    assert seen["mistral"].path == "/mistral/v1/chat/completions"
    assert seen["mistral"].body["stream"] is True
    assert seen["mistral"].headers["authorization"] == "Bearer test"


def test_clients_configured_from_the_environment(
    server: SSEServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's examples make their clients with no arguments (Mistral: its server URL
    read in MISTRAL_SERVER_URL): the server picks the scenario from the request."""
    for name, value in server.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    client = genai.Client()  # kept: the stream sends its request when first read
    reply = client.models.generate_content_stream(model="gemini-2.5-flash", contents=PROMPT)
    assert instant.parse(reply) == JSON_VALUE
    reply = boto3.client("bedrock-runtime").converse_stream(**_bedrock_request("tools"))
    events = instant.stream(reply)
    list(events)
    assert [c.value for c in events.tool_calls] == [c.value for c in TOOL_CALLS]
    messages = [{"role": "user", "content": PROMPT}]
    reply = ollama.Client().chat(model="llama3.2", messages=messages, stream=True)
    assert instant.parse(reply) == JSON_VALUE


# --- the raw streams, as curl -N prints them ------------------------------------------------


def raw(server: SSEServer, path: str, body: dict[str, Any]) -> bytes:
    """The response body of a POST, as curl -N would print it."""
    request = urllib.request.Request(
        server.base_url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        return bytes(response.read())


RAW = {
    # name: (path, body, how the wire is told)
    "openai chat": ("/v1/chat/completions", {"model": "json", "stream": True}, "sse"),
    "openai responses": ("/v1/responses", {"model": "json", "stream": True}, "sse"),
    "anthropic": ("/v1/messages", {"model": "json", "stream": True}, "sse"),
    "gemini": ("/v1beta/models/json:streamGenerateContent", {}, "sse"),
    "vertex": ("/v1beta1/publishers/google/models/json:streamGenerateContent", {}, "sse"),
    "mistral": ("/mistral/v1/chat/completions", {"model": "json", "stream": True}, "sse"),
    "ollama": ("/api/chat", {"model": "json", "stream": True}, "ndjson"),
}


@pytest.mark.parametrize("name", sorted(RAW))
def test_raw_stream_split_anywhere(server: SSEServer, name: str) -> None:
    path, body, wire = RAW[name]
    data = raw(server, path, body)
    expected = parser_events(JSON_PIECES)
    for size in (1, 7, 64, len(data)):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        es = instant.stream(chunks)  # told from the first bytes
        assert list(es) == expected
        assert (es.wire, es.value, es.finish_reason) == (wire, JSON_VALUE, "stop")
        texts = [c.decode("utf-8", "replace") for c in chunks] if size == len(data) else None
        if texts:
            assert list(instant.stream(texts, wire=wire)) == expected
    assert instant.parse(data) == JSON_VALUE


@pytest.mark.parametrize("name", ["vertex tools", "gemini tools", "anthropic tools"])
def test_raw_stream_tool_calls(server: SSEServer, name: str) -> None:
    path = {
        "vertex tools": "/v1beta1/publishers/google/models/tools:streamGenerateContent",
        "gemini tools": "/v1beta/models/tools:streamGenerateContent",
        "anthropic tools": "/v1/messages",
    }[name]
    data = raw(server, path, {"model": "tools_only", "stream": True})
    es = instant.stream(data[i : i + 5] for i in range(0, len(data), 5))
    events = list(es)
    assert [c.value for c in es.tool_calls] == [c.value for c in TOOL_CALLS]
    assert [c.name for c in es.tool_calls] == [c.name for c in TOOL_CALLS]
    assert {e["tool_call"]["index"] for e in events} == {0, 1}


def test_curl_into_instant_parse(server: SSEServer) -> None:
    """`curl -N ... | instant parse`: the reply's events, detected or asked for, for SSE
    and JSON lines; tool calls' events carry tool_call."""
    expected = [
        json.dumps(
            {
                k: v
                for k, v in e.items()
                if k != "complete_value" and (k != "value" or e["event"] != "delta")
            },
            ensure_ascii=False,
        )
        for e in parser_events(JSON_PIECES)
    ]
    for name in ("openai chat", "anthropic", "gemini", "ollama"):
        path, body, wire = RAW[name]
        data = raw(server, path, body)
        for args in ([], [f"--{wire}"]):
            cli = subprocess.run(
                [sys.executable, "-m", "instant", "parse", *args],
                input=data,
                capture_output=True,
                timeout=60,
            )
            assert cli.returncode == 0, cli.stderr
            assert cli.stdout.decode().splitlines() == expected, (name, args)
            assert cli.stderr == b""
    data = raw(server, "/v1/messages", {"model": "tools_only", "stream": True})
    cli = subprocess.run(
        [sys.executable, "-m", "instant", "parse", "--format", "values"],
        input=data,
        capture_output=True,
        timeout=60,
    )
    assert cli.returncode == 0, cli.stderr
    assert [json.loads(line) for line in cli.stdout.decode().splitlines()] == [
        c.value for c in TOOL_CALLS
    ]
    truncated = raw(server, "/mistral/v1/chat/completions", {"model": "truncated", "stream": True})
    cli = subprocess.run(
        [sys.executable, "-m", "instant", "parse", "--format", "values"],
        input=truncated,
        capture_output=True,
        timeout=60,
    )
    assert cli.returncode == 0
    assert json.loads(cli.stdout) == TRUNCATED_VALUE
    assert b"truncated" in cli.stderr and b"finish_reason 'length'" in cli.stderr


def test_the_event_stream_encoder_is_what_botocore_reads() -> None:
    """tests/aws_eventstream.py against botocore's own decoder, and back."""
    from botocore.eventstream import EventStreamBuffer

    blobs = [aws.event(kind, body) for kind, body in bedrock_events("tools")]
    buffer = EventStreamBuffer()
    for blob in blobs:
        buffer.add_data(blob)
    messages = list(buffer)
    assert [m.headers[":event-type"] for m in messages] == [k for k, _ in bedrock_events("tools")]
    assert all(m.headers[":message-type"] == "event" for m in messages)
    assert [json.loads(m.payload) for m in messages] == [b for _, b in bedrock_events("tools")]
    assert [p for _, p in aws.decode(b"".join(blobs))] == [m.payload for m in messages]
