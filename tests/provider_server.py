"""What the local replay server (``tests/sse_server.py``) answers for Gemini, Vertex AI,
Bedrock, Ollama and Mistral, in each API's own wire format (not a test file).

:func:`route` maps a request (path and JSON body) to a content type and the byte blobs of
the response; the server writes each blob in two HTTP chunks, so the SDKs' decoders see
events split across reads. The request's model picks the scenario, as in ``sse_server``:

* ``"json"``      -- the bare JSON document (``sse_server.JSON_PIECES``);
* ``"tools"``     -- two tool calls (``sse_server.TOOL_CALLS``) in the API's parallel form:
  Gemini and Ollama send both calls whole in one chunk, Bedrock streams one content block
  after the other, Mistral sends both in one chunk (one's arguments a JSON string, the
  other's a mapping), Vertex streams each call's arguments as ``partialArgs``;
* ``"truncated"`` -- the start of the JSON document, then the API's "token limit" reason;
* ``"extras"``    -- thinking / reasoning text that looks like JSON, usage and other
  non-reply events around the same JSON document;
* ``"error"``     -- (Bedrock) the start of the document, then a modeled stream exception.

Any other model name (the README's real ones) gets ``"tools"`` if the request offers tools,
else ``"json"``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from tests import aws_eventstream as aws
from tests.sse_server import JSON_PIECES, TOOL_CALLS

SCENARIOS = ("json", "tools", "truncated", "extras", "error")

#: the truncated scenario sends this many of JSON_PIECES, then the token-limit reason
TRUNCATED_SENT = 9
TRUNCATED_VALUE = {"city": "Lisbon", "days": 14, "tags": ["food", "tram"]}

#: thinking text: it must not become reply text (its braces would be taken for the JSON)
THINKING_PIECES = ["The user wants ", '{"city": ..., "days": ...}', ", as JSON; I will answer."]

#: ids each API gives the two calls (Gemini's API gives none)
BEDROCK_IDS = ["tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", "tooluse_Xw1Tq0r5SsmlJ4JR8qzVfQ"]
MISTRAL_IDS = ["D681PevKs", "X3sAq9LmP"]
OLLAMA_IDS = ["call_0x9vbn2q", "call_mr7t1k4e"]

#: Vertex's partialArgs for the two calls: string values in pieces (the last an empty
#: string without willContinue, as Vertex sends), numbers whole; the second call's last
#: chunk has partialArgs and no willContinue (the call ends with it, no empty functionCall)
VERTEX_ARGS: list[list[list[dict[str, Any]]]] = [
    [  # get_weather {"city": "Paris", "unit": "celsius"}: one list per chunk
        [{"jsonPath": "$.city", "stringValue": "Pa", "willContinue": True}],
        [{"jsonPath": "$.city", "stringValue": "ris", "willContinue": True}],
        [{"jsonPath": "$.city", "stringValue": ""}],
        [
            {"jsonPath": "$.unit", "stringValue": "cel", "willContinue": True},
            {"jsonPath": "$.unit", "stringValue": "sius", "willContinue": True},
        ],
        [{"jsonPath": "$.unit", "stringValue": ""}],
    ],
    [  # get_time {"city": "Tokyo", "hours": [9, 17]}
        [{"jsonPath": "$.city", "stringValue": "Tok", "willContinue": True}],
        [{"jsonPath": "$.city", "stringValue": "yo"}],
        [{"jsonPath": "$.hours[0]", "numberValue": 9}],
        [{"jsonPath": "$.hours[1]", "numberValue": 17}],
    ],
]

MODEL_NAMES = {
    "gemini": "gemini-2.5-flash",
    "vertex": "gemini-3-pro-preview",
    "bedrock": "anthropic.claude-sonnet-4-20250514-v1:0",
    "ollama": "llama3.2",
    "mistral": "mistral-small-latest",
}
CREATED = 1_735_689_600
CREATED_AT = "2025-01-01T00:00:00.000000Z"


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def scenario_of(model: str | None, body: dict[str, Any]) -> str:
    if model in SCENARIOS:
        return str(model)
    if body.get("tools") or body.get("toolConfig"):
        return "tools"
    return "json"


def _reply(scenario: str) -> list[str]:
    return JSON_PIECES[:TRUNCATED_SENT] if scenario == "truncated" else JSON_PIECES


def sse(data: Any, crlf: bool = False) -> bytes:
    end = "\r\n" if crlf else "\n"
    return f"data: {_dumps(data) if not isinstance(data, str) else data}{end}{end}".encode()


# --- Gemini / Vertex (streamGenerateContent?alt=sse) -------------------------------------


def gemini_chunks(scenario: str, vertex: bool) -> Iterator[dict[str, Any]]:
    """The GenerateContentResponse JSON objects of one stream."""
    model = MODEL_NAMES["vertex" if vertex else "gemini"]

    def chunk(parts: list[dict[str, Any]] | None, finish: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if parts is not None:
            candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}}
            if finish:
                candidate["finishReason"] = finish
            if vertex:
                candidate["index"] = 0
            data["candidates"] = [candidate]
        usage: dict[str, Any] = {"promptTokenCount": 12, "totalTokenCount": 12}
        if finish:
            usage.update(candidatesTokenCount=41, totalTokenCount=53)
        if vertex:
            usage["trafficType"] = "ON_DEMAND"
        data["usageMetadata"] = usage
        data["modelVersion"] = model
        data["responseId"] = "dqHOab6xGLzWodAPkPuViA4"
        if vertex:
            data["createTime"] = "2026-04-02T17:03:50.399550Z"
        return data

    if scenario == "extras":
        for n, piece in enumerate(THINKING_PIECES):
            part: dict[str, Any] = {"text": piece, "thought": True}
            if n == 0:
                part["thoughtSignature"] = "CiQBjz1rX25KieIB4d4AwFn8"
            yield chunk([part])
        # a chunk with usage only: nothing for the reply
        yield {"usageMetadata": {"promptTokenCount": 12, "thoughtsTokenCount": 30}}
    if scenario == "tools":
        if vertex:
            for call, chunks in zip(TOOL_CALLS, VERTEX_ARGS):
                yield chunk(
                    [
                        {
                            "functionCall": {"name": call.name, "willContinue": True},
                            "thoughtSignature": "CiMBjz1rX25KieIB",
                        }
                    ]
                )
                for n, args in enumerate(chunks):
                    more = call is TOOL_CALLS[0] or n < len(chunks) - 1
                    fc: dict[str, Any] = {"partialArgs": args}
                    if more:
                        fc["willContinue"] = True
                    yield chunk([{"functionCall": fc}])
                if call is TOOL_CALLS[0]:
                    yield chunk([{"functionCall": {}}])  # the end of the first call
            yield chunk([{"text": ""}], "STOP")
        else:
            parts = [{"functionCall": {"name": c.name, "args": c.value}} for c in TOOL_CALLS]
            parts[0]["thoughtSignature"] = "CiMBjz1rX25KieIB"
            yield chunk(parts, "STOP")
        return
    pieces = _reply(scenario)
    for piece in pieces[:-1]:
        yield chunk([{"text": piece}])
    yield chunk([{"text": pieces[-1]}], "MAX_TOKENS" if scenario == "truncated" else "STOP")


def gemini_route(path: str, body: dict[str, Any]) -> tuple[str, list[bytes]]:
    vertex = "/publishers/" in path
    model = path.rsplit("/models/", 1)[-1].split(":", 1)[0]
    tools = bool(body.get("tools"))
    scenario = scenario_of(model, {"tools": tools})
    blobs = [sse(c, crlf=True) for c in gemini_chunks(scenario, vertex)]
    return "text/event-stream", blobs


# --- Bedrock ConverseStream (application/vnd.amazon.eventstream) --------------------------


def bedrock_events(scenario: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event type, payload) of one ConverseStream; payloads carry the "p" padding field
    that the service adds to hide lengths."""
    pad = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0"

    def ev(kind: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return kind, {**body, "p": pad[: 7 + len(_dumps(body)) % 20]}

    yield ev("messageStart", {"role": "assistant"})
    index = 0
    if scenario == "extras":
        for piece in THINKING_PIECES:
            yield ev(
                "contentBlockDelta",
                {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": piece}}},
            )
        yield ev(
            "contentBlockDelta",
            {"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "EqoBCkgIAR"}}},
        )
        yield ev("contentBlockStop", {"contentBlockIndex": 0})
        index = 1
    if scenario == "tools":
        for call, call_id in zip(TOOL_CALLS, BEDROCK_IDS):
            start = {"toolUse": {"toolUseId": call_id, "name": call.name}}
            yield ev("contentBlockStart", {"contentBlockIndex": index, "start": start})
            for piece in call.pieces:
                delta = {"toolUse": {"input": piece}}
                yield ev("contentBlockDelta", {"contentBlockIndex": index, "delta": delta})
            yield ev("contentBlockStop", {"contentBlockIndex": index})
            index += 1
        stop = "tool_use"
    else:
        pieces = JSON_PIECES[:ERROR_SENT] if scenario == "error" else _reply(scenario)
        for piece in pieces:
            yield ev("contentBlockDelta", {"contentBlockIndex": index, "delta": {"text": piece}})
        if scenario == "error":
            return
        yield ev("contentBlockStop", {"contentBlockIndex": index})
        stop = "max_tokens" if scenario == "truncated" else "end_turn"
    yield ev("messageStop", {"stopReason": stop})
    usage = {"inputTokens": 25, "outputTokens": 48, "totalTokens": 73}
    yield ev("metadata", {"usage": usage, "metrics": {"latencyMs": 812}})


#: the error scenario sends this many of JSON_PIECES, then a modelStreamErrorException
ERROR_SENT = 4
BEDROCK_ERROR = "The model stream ended unexpectedly; try again."


def bedrock_route(path: str, body: dict[str, Any]) -> tuple[str, list[bytes]]:
    model = unquote(path.split("/model/", 1)[1].rsplit("/", 1)[0])
    scenario = scenario_of(model, body)
    blobs = [aws.event(kind, payload) for kind, payload in bedrock_events(scenario)]
    if scenario == "error":
        blobs.append(aws.exception("modelStreamErrorException", BEDROCK_ERROR))
    return "application/vnd.amazon.eventstream", blobs


# --- Ollama (/api/chat, /api/generate: JSON lines) -----------------------------------------


def ollama_lines(scenario: str, generate: bool = False) -> Iterator[dict[str, Any]]:
    model = MODEL_NAMES["ollama"]

    def line(content: str = "", **extra: Any) -> dict[str, Any]:
        data: dict[str, Any] = {"model": model, "created_at": CREATED_AT}
        if generate:
            data["response"] = content
            if "thinking" in extra:
                data["thinking"] = extra.pop("thinking")
        else:
            message: dict[str, Any] = {"role": "assistant", "content": content}
            for name in ("thinking", "tool_calls"):
                if name in extra:
                    message[name] = extra.pop(name)
            data["message"] = message
        data["done"] = False
        data.update(extra)
        return data

    if scenario == "extras":
        for piece in THINKING_PIECES:
            yield line(thinking=piece)
    if scenario == "tools":
        calls = [
            {"id": call_id, "function": {"index": n, "name": c.name, "arguments": c.value}}
            for n, (c, call_id) in enumerate(zip(TOOL_CALLS, OLLAMA_IDS))
        ]
        yield line(tool_calls=calls)
    else:
        for piece in _reply(scenario):
            yield line(piece)
    yield line(
        done=True,
        done_reason="length" if scenario == "truncated" else "stop",
        total_duration=4_883_583_458,
        load_duration=1_334_875,
        prompt_eval_count=26,
        prompt_eval_duration=342_546_000,
        eval_count=48,
        eval_duration=4_535_599_000,
    )


def ollama_route(path: str, body: dict[str, Any]) -> tuple[str, list[bytes]]:
    scenario = scenario_of(body.get("model"), body)
    lines = ollama_lines(scenario, generate=path.endswith("/generate"))
    return "application/x-ndjson", [(_dumps(d) + "\n").encode() for d in lines]


# --- Mistral (/v1/chat/completions under /mistral: SSE, data-only, [DONE]) ----------------


def mistral_chunks(scenario: str) -> Iterator[dict[str, Any] | str]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
        return {
            "id": "cmpl-e5cc70bb28c444948073e77776eb30ef",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": MODEL_NAMES["mistral"],
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }

    usage = {"prompt_tokens": 21, "total_tokens": 69, "completion_tokens": 48}
    yield chunk({"role": "assistant", "content": ""})
    if scenario == "extras":
        for piece in THINKING_PIECES:
            thinking = [{"type": "thinking", "thinking": [{"type": "text", "text": piece}]}]
            yield chunk({"content": thinking})
    if scenario == "tools":
        c0, c1 = TOOL_CALLS
        calls = [
            {
                "id": MISTRAL_IDS[0],
                "function": {"name": c0.name, "arguments": c0.arguments},
                "index": 0,
            },
            {
                "id": MISTRAL_IDS[1],
                "function": {"name": c1.name, "arguments": c1.value},
                "index": 1,
            },
        ]
        yield chunk({"tool_calls": calls}, "tool_calls", usage=usage)
    else:
        pieces = _reply(scenario)
        for n, piece in enumerate(pieces[:-1]):
            # a thinking model sends text as a list of parts too
            content: Any = (
                [{"type": "text", "text": piece}] if scenario == "extras" and n % 2 else piece
            )
            yield chunk({"content": content})
        finish = "length" if scenario == "truncated" else "stop"
        yield chunk({"content": pieces[-1]}, finish, usage=usage)
    yield "[DONE]"


def mistral_route(path: str, body: dict[str, Any]) -> tuple[str, list[bytes]]:
    scenario = scenario_of(body.get("model"), body)
    return "text/event-stream", [sse(c) for c in mistral_chunks(scenario)]


# --- routing ------------------------------------------------------------------------------


def route(path: str, body: dict[str, Any]) -> tuple[str, list[bytes]] | None:
    """(content type, response blobs) for a request to one of these APIs, else None."""
    if path.endswith(":streamGenerateContent"):
        return gemini_route(path, body)
    if path.startswith("/model/") and path.endswith("/converse-stream"):
        return bedrock_route(path, body)
    if path in ("/api/chat", "/api/generate"):
        return ollama_route(path, body)
    if path == "/mistral/v1/chat/completions":
        return mistral_route(path, body)
    return None
