"""A local stand-in for the OpenAI and Anthropic streaming APIs, for tests (not a test file);
Gemini, Vertex AI, Bedrock, Ollama and Mistral are answered by ``tests/provider_server.py``.

``SSEServer`` is a threaded HTTP/1.1 server on 127.0.0.1 (ephemeral port, standard library only)
that answers ``POST /v1/chat/completions``, ``/v1/responses`` and ``/v1/messages`` with a scripted
server-sent-event stream in the wire format those APIs use, so the official ``openai`` and
``anthropic`` SDKs can be pointed at it (``base_url``) and their real stream objects consumed.

The request's ``model`` field picks the scenario (any other model name: see
:func:`scenario_of`):

* ``"text"``  -- prose around a fenced JSON object (:data:`TEXT_PIECES`, :data:`TEXT_VALUE`);
* ``"json"``  -- JSON mode, the bare JSON document (:data:`JSON_PIECES`, :data:`JSON_VALUE`);
* ``"tools"`` -- a short text with JSON (:data:`TOOLS_TEXT_PIECES`) and then two tool calls
  (:data:`TOOL_CALLS`); their argument fragments interleave in Chat Completions, while
  Anthropic and the Responses API stream one block / output item after the other, as they do;
* ``"tools_only"`` -- the two tool calls and no text at all (Chat Completions' usual shape);
* ``"error"`` -- the start of :data:`ERROR_PIECES`, then the API's mid-stream error event;
* ``"long"``  -- a JSON array of 400 small objects, to see an early ``break`` hang up;
* ``"orders"`` -- structured output (:data:`ORDERS_VALUE`: orders with lines, one line's
  ``qty`` not a number), in 5-character pieces; also chosen by a ``json_schema`` response
  format named ``"orders"``.
* ``"length"`` -- a JSON reply cut off by the token limit (:data:`LENGTH_PIECES`): Chat
  Completions' ``finish_reason: "length"``, the Responses API's ``response.incomplete``
  (``max_output_tokens``), Anthropic's ``stop_reason: "max_tokens"``;
* ``"refusal"`` -- the model refuses (:data:`REFUSAL_PIECES`): Chat Completions'
  ``delta.refusal``, the Responses API's ``refusal`` content part (Anthropic: plain text,
  ``stop_reason: "refusal"``).

Every SSE frame is cut in two HTTP chunks (``Transfer-Encoding: chunked``), each written and
flushed on its own, so the SDKs' decoders see frames split across reads; a short pause
separates frames. ``server.requests`` records each request (path and JSON body) and
``server.disconnects`` counts streams the client hung up on before the end.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

# --- what the "model" says -------------------------------------------------------------------

# fmt: off
#: prose, a fenced JSON object (a non-ASCII name split between chunks), prose
TEXT_PIECES = [
    "Sure", "! Here", " is the", " plan:\n", "```", "json\n", '{"', "title", '": "', "Lis",
    "bon", " in", " 3", " days", '", "', "stops", '": [', '{"name', '": "', "Bel", "ém",
    '"}, ', '{"name": "', "Alf", 'ama"}', '], "', "budget", "_eur", '": ', "12", "0", "}\n",
    "```", "\nEnjoy", "!",
]
TEXT_VALUE = {
    "title": "Lisbon in 3 days",
    "stops": [{"name": "Belém"}, {"name": "Alfama"}],
    "budget_eur": 120,
}

#: JSON mode: the document alone, an escape and a number split between chunks
JSON_PIECES = [
    '{"', 'city": "', "Lis", 'bon", ', '"days": ', "1", "4, ", '"tags": ["fo', 'od", "tram',
    ' 28"], ', '"rain": f', "alse, ", '"note": "bring a ', '\\"jack', 'et\\" \\u00', "e9", '"}',
]
# fmt: on
JSON_VALUE = {
    "city": "Lisbon",
    "days": 14,
    "tags": ["food", "tram 28"],
    "rain": False,
    "note": 'bring a "jacket" é',
}

#: the text that comes with the tool calls
TOOLS_TEXT_PIECES = ["I'll check ", "both: ", '{"cities": ', '["Paris", ', '"Tokyo"]}']
TOOLS_TEXT_VALUE = {"cities": ["Paris", "Tokyo"]}


@dataclass(frozen=True)
class ToolCallScript:
    """One tool call the model makes: ids as each API spells them, and the argument pieces."""

    call_id: str  # OpenAI chat / Responses call_id
    item_id: str  # Responses output item id
    toolu_id: str  # Anthropic tool_use id
    name: str
    pieces: list[str]
    value: dict[str, Any] = field(default_factory=dict)

    @property
    def arguments(self) -> str:
        return "".join(self.pieces)


TOOL_CALLS = [
    ToolCallScript(
        call_id="call_P4r1sW3ath3r",
        item_id="fc_68a0paris",
        toolu_id="toolu_01ParisWeather",
        name="get_weather",
        pieces=['{"ci', 'ty": "Pa', 'ris", "un', 'it": "cel', 'sius"}'],
        value={"city": "Paris", "unit": "celsius"},
    ),
    ToolCallScript(
        call_id="call_T0ky0T1me",
        item_id="fc_68a0tokyo",
        toolu_id="toolu_01TokyoTime",
        name="get_time",
        pieces=['{"city"', ': "Tok', 'yo", "hours"', ": [9, 1", "7]}"],
        value={"city": "Tokyo", "hours": [9, 17]},
    ),
]

#: the error scenario's reply; the stream breaks after ERROR_SENT of these pieces
ERROR_PIECES = ['{"title": "Lis', 'bon", "stops": [{"name": "Bel', 'ém"}, {"name": "Alf', 'ama"}]}']
ERROR_SENT = 2
OPENAI_ERROR = {
    "message": "The server had an error while processing your request. Sorry about that!",
    "type": "server_error",
    "param": None,
    "code": None,
}
ANTHROPIC_ERROR = {"type": "overloaded_error", "message": "Overloaded"}

#: the long scenario: a JSON array of this many objects, one piece each
LONG_ITEMS = 400
LONG_PIECES = (
    ["["] + [f'{{"i": {i}}}, ' for i in range(LONG_ITEMS - 1)] + [f'{{"i": {LONG_ITEMS - 1}}}]']
)

#: the orders scenario: nested items (orders.[].lines.[]), one of them invalid for a model
ORDERS_VALUE = {
    "customer": "Ada",
    "orders": [
        {"id": "A1", "lines": [{"sku": "tea", "qty": 2}, {"sku": "cup", "qty": 1}]},
        {"id": "B2", "lines": [{"sku": "pot", "qty": "one"}]},
        {"id": "C3", "lines": [{"sku": "lid", "qty": 3}]},
    ],
    "note": "Leave the parcel at the door.",
}
_ORDERS_TEXT = json.dumps(ORDERS_VALUE)
ORDERS_PIECES = [_ORDERS_TEXT[i : i + 5] for i in range(0, len(_ORDERS_TEXT), 5)]


#: the length scenario: the reply the token limit cut off, and the value the parser completes
LENGTH_PIECES = [
    "Here is the plan:\n",
    '{"title": "Lis',
    'bon", "stops": [{"name": "Bel',
    "ém",
    '"}, {"na',
]
LENGTH_VALUE = {"title": "Lisbon", "stops": [{"name": "Belém"}, {}]}
#: the refusal scenario: what the model says instead of answering
REFUSAL_PIECES = ["I'm sorry, ", "but I can't help ", "with that request."]

SCENARIOS = ("text", "json", "tools", "tools_only", "error", "long", "orders", "length", "refusal")
MODEL_NAMES = {
    "chat": "gpt-4o-mini-2024-07-18",
    "responses": "gpt-4.1-2025-04-14",
    "messages": "claude-sonnet-4-6",
}
CREATED = 1_735_689_600


def _text_pieces(scenario: str) -> list[str]:
    return {
        "text": TEXT_PIECES,
        "json": JSON_PIECES,
        "tools": TOOLS_TEXT_PIECES,
        "tools_only": [],
        "error": ERROR_PIECES[:ERROR_SENT],
        "long": LONG_PIECES,
        "orders": ORDERS_PIECES,
        "length": LENGTH_PIECES,
        "refusal": [],
    }[scenario]


def _dumps(data: Any) -> str:
    # the APIs send compact JSON with non-ASCII characters as UTF-8
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


Frame = tuple[str | None, str]  # (SSE event name or None, data)

# --- OpenAI Chat Completions -----------------------------------------------------------------


def chat_frames(scenario: str, *, include_usage: bool = False) -> Iterator[Frame]:
    """``data: {chat.completion.chunk}`` frames, then ``data: [DONE]`` (no ``event:`` lines)."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> Frame:
        data: dict[str, Any] = {
            "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": MODEL_NAMES["chat"],
            "service_tier": "default",
            "system_fingerprint": "fp_f85bea6784",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if include_usage:
            data["usage"] = None
        data["obfuscation"] = "q2Xy"
        return (None, _dumps(data))

    text = _text_pieces(scenario)
    if scenario == "tools_only":
        first: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
    else:
        first = {"role": "assistant", "content": "", "refusal": None}
    if scenario in ("tools", "tools_only"):
        c0, c1 = TOOL_CALLS
        if scenario == "tools_only":
            # the first chunk opens call 0 (as the API does when there is no text)
            first["tool_calls"] = [_chat_call_start(0, c0)]
            yield chunk(first)
        else:
            yield chunk(first)
            for piece in text:
                yield chunk({"content": piece})
            yield chunk({"tool_calls": [_chat_call_start(0, c0)]})
        yield chunk({"tool_calls": [_chat_call_start(1, c1)]})
        # interleaved argument fragments: 0, 1, 0, 1, then one chunk carrying both, then the rest
        p0, p1 = list(c0.pieces), list(c1.pieces)
        for _ in range(2):
            yield chunk({"tool_calls": [_chat_call_args(0, p0.pop(0))]})
            yield chunk({"tool_calls": [_chat_call_args(1, p1.pop(0))]})
        yield chunk({"tool_calls": [_chat_call_args(1, p1.pop(0)), _chat_call_args(0, p0.pop(0))]})
        while p0 or p1:
            if p1:
                yield chunk({"tool_calls": [_chat_call_args(1, p1.pop(0))]})
            if p0:
                yield chunk({"tool_calls": [_chat_call_args(0, p0.pop(0))]})
        yield chunk({}, "tool_calls")
    elif scenario == "refusal":
        yield chunk({"role": "assistant", "content": None, "refusal": ""})
        for piece in REFUSAL_PIECES:
            yield chunk({"refusal": piece})
        yield chunk({}, "stop")
    else:
        yield chunk(first)
        for piece in text:
            yield chunk({"content": piece})
        if scenario == "error":
            yield (None, _dumps({"error": OPENAI_ERROR}))
            return
        yield chunk({}, "length" if scenario == "length" else "stop")
    if include_usage:
        usage = {
            "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": MODEL_NAMES["chat"],
            "service_tier": "default",
            "system_fingerprint": "fp_f85bea6784",
            "choices": [],
            "usage": {
                "prompt_tokens": 21,
                "completion_tokens": 37,
                "total_tokens": 58,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {
                    "reasoning_tokens": 0,
                    "audio_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0,
                },
            },
            "obfuscation": "Zk",
        }
        yield (None, _dumps(usage))
    yield (None, "[DONE]")


def _chat_call_start(index: int, call: ToolCallScript) -> dict[str, Any]:
    return {
        "index": index,
        "id": call.call_id,
        "type": "function",
        "function": {"name": call.name, "arguments": ""},
    }


def _chat_call_args(index: int, piece: str) -> dict[str, Any]:
    return {"index": index, "function": {"arguments": piece}}


# --- OpenAI Responses ------------------------------------------------------------------------


def responses_frames(scenario: str) -> Iterator[Frame]:
    """``event: <type>`` + ``data: {..., "sequence_number": n}`` frames; no ``[DONE]``."""
    seq = 0
    msg_id = "msg_67ccd2bf17f0819081ff3bb2cf6508e6"

    def ev(data: dict[str, Any]) -> Frame:
        nonlocal seq
        data = {"type": data["type"], **data, "sequence_number": seq}
        seq += 1
        return (data["type"], _dumps(data))

    def response(status: str, output: list[Any], usage: Any = None) -> dict[str, Any]:
        return {
            "id": "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
            "object": "response",
            "created_at": CREATED,
            "status": status,
            "background": False,
            "error": None,
            "incomplete_details": None,
            "instructions": None,
            "max_output_tokens": None,
            "model": MODEL_NAMES["responses"],
            "output": output,
            "parallel_tool_calls": True,
            "previous_response_id": None,
            "reasoning": {"effort": None, "summary": None},
            "service_tier": "default",
            "store": True,
            "temperature": 1.0,
            "text": {"format": {"type": "text"}, "verbosity": "medium"},
            "tool_choice": "auto",
            "tools": [],
            "top_p": 1.0,
            "truncation": "disabled",
            "usage": usage,
            "user": None,
            "metadata": {},
        }

    text = "".join(_text_pieces(scenario))
    output: list[Any] = []
    yield ev({"type": "response.created", "response": response("in_progress", [])})
    yield ev({"type": "response.in_progress", "response": response("in_progress", [])})
    index = 0
    if scenario == "refusal":
        item = {
            "id": msg_id,
            "type": "message",
            "status": "in_progress",
            "content": [],
            "role": "assistant",
        }
        where = {"item_id": msg_id, "output_index": index, "content_index": 0}
        yield ev({"type": "response.output_item.added", "output_index": index, "item": item})
        part = {"type": "refusal", "refusal": ""}
        yield ev({"type": "response.content_part.added", **where, "part": part})
        for piece in REFUSAL_PIECES:
            yield ev({"type": "response.refusal.delta", **where, "delta": piece})
        refusal = "".join(REFUSAL_PIECES)
        yield ev({"type": "response.refusal.done", **where, "refusal": refusal})
        part = {"type": "refusal", "refusal": refusal}
        yield ev({"type": "response.content_part.done", **where, "part": part})
        done_item = {**item, "status": "completed", "content": [part]}
        yield ev({"type": "response.output_item.done", "output_index": index, "item": done_item})
        yield ev({"type": "response.completed", "response": response("completed", [done_item])})
        return
    if scenario != "tools_only":
        item = {
            "id": msg_id,
            "type": "message",
            "status": "in_progress",
            "content": [],
            "role": "assistant",
        }
        where = {"item_id": msg_id, "output_index": index, "content_index": 0}
        yield ev({"type": "response.output_item.added", "output_index": index, "item": item})
        empty_part = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
        yield ev({"type": "response.content_part.added", **where, "part": empty_part})
        for piece in _text_pieces(scenario):
            yield ev(
                {
                    "type": "response.output_text.delta",
                    **where,
                    "delta": piece,
                    "logprobs": [],
                    "obfuscation": "x1",
                }
            )
        if scenario == "error":
            yield ev(
                {
                    "type": "error",
                    "code": "server_error",
                    "message": OPENAI_ERROR["message"],
                    "param": None,
                }
            )
            return
        if scenario == "length":  # the token limit: the item and the response stay incomplete
            part = {"type": "output_text", "annotations": [], "logprobs": [], "text": text}
            cut_item = {**item, "status": "incomplete", "content": [part]}
            yield ev({"type": "response.output_item.done", "output_index": index, "item": cut_item})
            incomplete = response("incomplete", [cut_item])
            incomplete["incomplete_details"] = {"reason": "max_output_tokens"}
            yield ev({"type": "response.incomplete", "response": incomplete})
            return
        part = {"type": "output_text", "annotations": [], "logprobs": [], "text": text}
        yield ev({"type": "response.output_text.done", **where, "text": text, "logprobs": []})
        yield ev({"type": "response.content_part.done", **where, "part": part})
        done_item = {**item, "status": "completed", "content": [part]}
        yield ev({"type": "response.output_item.done", "output_index": index, "item": done_item})
        output.append(done_item)
        index += 1
    if scenario in ("tools", "tools_only"):
        for call in TOOL_CALLS:
            item = {
                "id": call.item_id,
                "type": "function_call",
                "status": "in_progress",
                "arguments": "",
                "call_id": call.call_id,
                "name": call.name,
            }
            yield ev({"type": "response.output_item.added", "output_index": index, "item": item})
            for piece in call.pieces:
                yield ev(
                    {
                        "type": "response.function_call_arguments.delta",
                        "item_id": call.item_id,
                        "output_index": index,
                        "delta": piece,
                        "obfuscation": "k9",
                    }
                )
            yield ev(
                {
                    "type": "response.function_call_arguments.done",
                    "item_id": call.item_id,
                    "output_index": index,
                    "arguments": call.arguments,
                }
            )
            done_item = {**item, "status": "completed", "arguments": call.arguments}
            yield ev(
                {"type": "response.output_item.done", "output_index": index, "item": done_item}
            )
            output.append(done_item)
            index += 1
    usage = {
        "input_tokens": 36,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": 87,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 123,
    }
    yield ev({"type": "response.completed", "response": response("completed", output, usage)})


# --- Anthropic Messages ----------------------------------------------------------------------


def messages_frames(scenario: str) -> Iterator[Frame]:
    """``event: <type>`` + ``data: {"type": <type>, ...}`` frames, a ``ping`` after the first block."""

    def ev(data: dict[str, Any]) -> Frame:
        return (data["type"], _dumps(data))

    yield ev(
        {
            "type": "message_start",
            "message": {
                "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
                "type": "message",
                "role": "assistant",
                "model": MODEL_NAMES["messages"],
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": 472,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "output_tokens": 2,
                    "service_tier": "standard",
                },
            },
        }
    )
    index = 0
    pinged = False
    if scenario != "tools_only":
        yield ev(
            {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "text", "text": ""},
            }
        )
        yield ev({"type": "ping"})
        pinged = True
        for piece in REFUSAL_PIECES if scenario == "refusal" else _text_pieces(scenario):
            yield ev(
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "text_delta", "text": piece},
                }
            )
        if scenario == "error":
            yield (
                "error",
                _dumps(
                    {
                        "type": "error",
                        "error": ANTHROPIC_ERROR,
                        "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy",
                    }
                ),
            )
            return
        yield ev({"type": "content_block_stop", "index": index})
        index += 1
    if scenario in ("tools", "tools_only"):
        for call in TOOL_CALLS:
            yield ev(
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": {
                        "type": "tool_use",
                        "id": call.toolu_id,
                        "name": call.name,
                        "input": {},
                    },
                }
            )
            if not pinged:
                yield ev({"type": "ping"})
                pinged = True
            # the API opens every tool input with an empty fragment
            for piece in ["", *call.pieces]:
                yield ev(
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": piece},
                    }
                )
            yield ev({"type": "content_block_stop", "index": index})
            index += 1
    stop = {"tools": "tool_use", "tools_only": "tool_use", "length": "max_tokens"}.get(
        scenario, "refusal" if scenario == "refusal" else "end_turn"
    )
    yield ev(
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": {"output_tokens": 89},
        }
    )
    yield ev({"type": "message_stop"})


# --- the server ------------------------------------------------------------------------------

ROUTES = {
    "/v1/chat/completions": "chat",
    "/v1/responses": "responses",
    "/v1/messages": "messages",
}


def scenario_of(body: dict[str, Any]) -> str:
    """The scenario a request asks for: its ``model`` when that names one; otherwise (a real
    model name, as in the README's examples) ``"length"`` if it allows fewer than 50 output
    tokens (``max_completion_tokens`` / ``max_output_tokens``), ``"tools"`` if it offers
    tools, the scenario a ``json_schema`` response format is named after, ``"json"`` if it
    asks for JSON (``response_format`` / ``text.format``), else ``"text"``."""
    model = body.get("model")
    if model in SCENARIOS:
        return str(model)
    limit = body.get("max_completion_tokens") or body.get("max_output_tokens")
    if isinstance(limit, int) and limit < 50:  # too few tokens for the reply: cut off
        return "length"
    if body.get("tools"):
        return "tools"
    response_format = body.get("response_format") or (body.get("text") or {}).get("format") or {}
    # a structured-output schema named after a scenario (Chat: json_schema.name; Responses:
    # format.name)
    named = (response_format.get("json_schema") or {}).get("name") or response_format.get("name")
    if response_format.get("type") == "json_schema" and named in SCENARIOS:
        return str(named)
    if response_format.get("type") in ("json_object", "json_schema"):
        return "json"
    return "text"


def frames_for(api: str, body: dict[str, Any]) -> Iterator[Frame]:
    """The SSE frames the API ``api`` sends for the request ``body`` (see :func:`scenario_of`)."""
    scenario = scenario_of(body)
    if api == "chat":
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return chat_frames(scenario, include_usage=include_usage)
    if api == "responses":
        return responses_frames(scenario)
    return messages_frames(scenario)


def encode_frame(frame: Frame) -> bytes:
    name, data = frame
    head = f"event: {name}\n" if name is not None else ""
    return (head + "".join(f"data: {line}\n" for line in data.split("\n")) + "\n").encode()


@dataclass
class Request:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]  # names in lower case


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30  # an idle keep-alive connection ends after this

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        path = self.path.split("?", 1)[0]
        owner = self.server.owner
        with owner.lock:
            owner.requests.append(
                Request(path, body, {k.lower(): v for k, v in self.headers.items()})
            )
        from tests import provider_server  # Gemini, Vertex, Bedrock, Ollama, Mistral

        other = provider_server.route(path, body)
        if other is not None:
            self._stream(other[0], iter(other[1]))
            return
        api = ROUTES.get(path)
        frames = frames_for(api, body) if api and body.get("stream") else None
        if frames is None:
            self._json_error(
                404 if api is None else 400,
                f"unknown route {path}, or not a stream (stream={body.get('stream')!r})",
            )
            return
        if api == "messages":
            request_id = ("request-id", "req_011CSHoEeqs5C35K2UUqR7Fy")
        else:
            request_id = ("x-request-id", "req_ba8d3f05e2a1a1d3b0e9e1f7c5a4d2c1")
        blobs = (encode_frame(frame) for frame in frames)
        self._stream("text/event-stream; charset=utf-8", blobs, request_id)

    def _stream(self, content_type: str, blobs: Iterator[bytes], *headers: tuple[str, str]) -> None:
        """A 200 response whose body is ``blobs``, each in two HTTP chunks, a short pause
        between blobs."""
        owner = self.server.owner
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        try:
            for data in blobs:
                if owner.stopping.is_set():
                    raise ConnectionAbortedError("server shutting down")
                half = len(data) // 2
                for part in (data[:half], data[half:]):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                    self.wfile.flush()
                time.sleep(owner.delay)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            with owner.lock:
                owner.disconnects += 1
            self.close_connection = True

    def _json_error(self, status: int, message: str) -> None:
        payload = json.dumps({"error": {"message": message, "type": "invalid_request_error"}})
        data = payload.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: SSEServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client hanging up on an idle keep-alive connection is not news
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class SSEServer:
    """The fake API server; a context manager that starts it on 127.0.0.1 and stops it."""

    def __init__(self, *, delay: float = 0.0005) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.requests: list[Request] = []
        self.disconnects = 0
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def openai_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mistral_server_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mistral"

    @property
    def env(self) -> dict[str, str]:
        """Environment variables that point the SDKs' clients, made with no arguments as in
        the README's examples, at this server: ``OpenAI()``, ``Anthropic()``,
        ``genai.Client()`` (Gemini, and Vertex AI with ``vertexai=True``),
        ``boto3.client("bedrock-runtime")``, ``ollama.chat``; the Mistral SDK reads no
        base URL from the environment: the README passes ``MISTRAL_SERVER_URL`` itself."""
        return {
            "OPENAI_BASE_URL": self.openai_base_url,
            "OPENAI_API_KEY": "test",
            "ANTHROPIC_BASE_URL": self.anthropic_base_url,
            "ANTHROPIC_API_KEY": "test",
            "GOOGLE_GEMINI_BASE_URL": self.base_url,
            "GOOGLE_VERTEX_BASE_URL": self.base_url,
            "GOOGLE_API_KEY": "test",
            "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": self.base_url,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
            "OLLAMA_HOST": self.base_url,
            "MISTRAL_API_KEY": "test",
            "MISTRAL_SERVER_URL": self.mistral_server_url,
        }

    def start(self) -> SSEServer:
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="sse-server",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def wait_for_disconnects(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until ``count`` streams were hung up on by the client; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.disconnects >= count:
                    return True
            time.sleep(0.01)
        return False

    def __enter__(self) -> SSEServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
