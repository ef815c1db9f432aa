"""The chunk shapes of Gemini/Vertex (partialArgs), Bedrock, Ollama, Mistral and LangChain's
content-block protocol, built by hand; unknown events; raw SSE and JSON lines (decoding,
telling them from a reply, errors).

The same providers through their real SDK clients are in test_provider_streams.py.
"""

from __future__ import annotations

import asyncio
import json
import re
import warnings
from typing import Any

import pytest
from google.genai import types as genai_types
from hypothesis import given
from hypothesis import strategies as st

import instant
from instant.streams.providers.partial_args import ArgsText, parse_path
from instant.streams.wire import NDJSONDecoder, Sniffer, SSEDecoder

# --- helpers ---------------------------------------------------------------------------------


def parser_events(pieces: list[str], **options: Any) -> list[Any]:
    parser = instant.Parser(**options)
    events: list[Any] = []
    for piece in pieces:
        events.extend(parser.feed(piece))
    events.extend(parser.close())
    return events


def merged(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each run of deltas of one string as one delta (the later event's other fields), and no
    ``complete_value``: it is the document as of the last event of each ``feed()``, so it
    depends on where the chunks end (SPEC 3)."""
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


def stream_warnings(chunks: list[Any]) -> tuple[instant.EventStream, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        es = instant.stream(chunks)
        list(es)
    messages = [str(w.message) for w in caught if issubclass(w.category, instant.StreamWarning)]
    return es, messages


JSON_TEXT = '{"city": "Lisbon", "tags": ["food", "tram"]}'
VALUE = json.loads(JSON_TEXT)


def split(text: str, size: int = 7) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


# --- Gemini / Vertex ----------------------------------------------------------------------


def gemini(parts: list[dict[str, Any]], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}}
    if finish:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], "modelVersion": "gemini-2.5-flash", **extra}


def test_gemini_text_thoughts_usage_and_other_candidates():
    chunks = [gemini([{"text": "{not json", "thought": True}])]
    chunks += [gemini([{"text": p}]) for p in split(JSON_TEXT)]
    chunks.append({"usageMetadata": {"promptTokenCount": 3}, "modelVersion": "m"})
    chunks[2]["candidates"].append(
        {"index": 1, "content": {"parts": [{"text": "garbage"}]}, "finishReason": "SAFETY"}
    )
    chunks.append(gemini([{"text": ""}], "STOP", usageMetadata={"totalTokenCount": 9}))
    for form in (chunks, [genai_types.GenerateContentResponse.model_validate(c) for c in chunks]):
        es = instant.stream(form)
        assert list(es) == parser_events(split(JSON_TEXT))
        assert (es.value, es.text, es.finish_reason) == (VALUE, JSON_TEXT, "stop")


def test_gemini_blocked_prompt_is_a_content_filter_finish():
    es = instant.stream([{"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}])
    assert list(es) == []
    assert (es.finish_reason, es._core.raw_finish_reason) == (
        "content_filter",
        "PROHIBITED_CONTENT",
    )


def test_gemini_whole_function_calls_in_one_chunk():
    calls = [
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}, "id": "fc_1"}},
        {"functionCall": {"name": "list_tools"}},  # no parameters
    ]
    es = instant.stream([gemini(calls, "STOP")])
    events = list(es)
    assert [(c.index, c.id, c.name, c.value) for c in es.tool_calls] == [
        (0, "fc_1", "get_weather", {"city": "Paris"}),
        (1, None, "list_tools", {}),
    ]
    info = {"index": 0, "id": "fc_1", "name": "get_weather"}
    expected = parser_events(['{"city":"Paris"}'], expect="object")
    assert [e for e in events if e["tool_call"]["index"] == 0] == [
        {**e, "tool_call": info} for e in expected
    ]


def vertex_stream(
    args: dict[str, Any], data: st.DataObject | None = None, name: str = "f"
) -> list[dict[str, Any]]:
    """The Gemini chunks with which Vertex streams one call's ``args`` as partialArgs."""

    def draw(strategy: Any, default: Any) -> Any:
        return data.draw(strategy) if data is not None else default

    partial: list[dict[str, Any]] = []
    for path, value in leaves(args, "$", draw):
        if isinstance(value, str):
            pieces = draw(st.lists(st.integers(0, max(len(value), 1)), max_size=3), [])
            cuts = sorted({0, len(value), *[min(c, len(value)) for c in pieces]})
            texts = [value[a:b] for a, b in zip(cuts, cuts[1:])] or [""]
            if draw(st.booleans(), True):
                texts.append("")  # Vertex ends a string with an empty piece
            for n, text in enumerate(texts):
                arg: dict[str, Any] = {"jsonPath": path, "stringValue": text}
                if n < len(texts) - 1:
                    arg["willContinue"] = True
                partial.append(arg)
        elif value is None:
            partial.append({"jsonPath": path, "nullValue": "NULL_VALUE"})
        elif isinstance(value, bool):
            partial.append({"jsonPath": path, "boolValue": value})
        else:
            partial.append({"jsonPath": path, "numberValue": value})
    first: dict[str, Any] = {"name": name, "willContinue": True}
    chunks = [gemini([{"functionCall": first, "thoughtSignature": "c2ln"}])]
    i = 0
    while i < len(partial):
        n = draw(st.integers(1, 3), 1)
        chunks.append(
            gemini([{"functionCall": {"partialArgs": partial[i : i + n], "willContinue": True}}])
        )
        i += n
    if len(chunks) > 1 and draw(st.booleans(), False):
        del chunks[-1]["candidates"][0]["content"]["parts"][0]["functionCall"]["willContinue"]
    else:
        chunks.append(gemini([{"functionCall": {}}]))
    chunks.append(gemini([{"text": ""}], "STOP"))
    return chunks


def leaves(value: Any, path: str, draw: Any) -> list[tuple[str, Any]]:
    """The scalar leaves of a JSON value in document order, with their RFC 9535 paths."""
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            out.extend(leaves(item, path + name_segment(key, draw), draw))
        return out
    if isinstance(value, list):
        out = []
        for i, item in enumerate(value):
            out.extend(leaves(item, f"{path}[{i}]", draw))
        return out
    return [(path, value)]


def name_segment(key: str, draw: Any) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) and draw(st.booleans(), True):
        return "." + key
    quote = draw(st.sampled_from(["'", '"']), "'")
    escaped = "".join(
        "\\" + c if c in (quote, "\\") else f"\\u{ord(c):04x}" if ord(c) < 0x20 else c for c in key
    )
    return f"[{quote}{escaped}{quote}]"


json_scalars = st.one_of(
    st.text(max_size=12),
    st.integers(-(2**53) + 1, 2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
    st.booleans(),
    st.none(),
)
# partialArgs carry leaf values only: an empty object or array cannot be sent
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=4),
        st.dictionaries(st.text(max_size=6), inner, min_size=1, max_size=4),
    ),
    max_leaves=12,
)
arguments = st.dictionaries(st.text(max_size=8), json_values, max_size=5)


@given(args=arguments, data=st.data(), as_sdk=st.booleans())
def test_vertex_partial_args_give_the_events_of_the_json_text(args, data, as_sdk):
    """The property: Vertex's partialArgs for hypothesis' argument objects give the events
    the same arguments give when they arrive as JSON text (deltas merged), as dicts and as
    the google-genai SDK's objects (numbers then arrive as floats)."""
    chunks = vertex_stream(args, data)
    if as_sdk:
        chunks = [genai_types.GenerateContentResponse.model_validate(c) for c in chunks]
    es = instant.stream(chunks)
    events = list(es)
    info = {"index": 0, "id": None, "name": "f"}
    expected = [
        {**e, "tool_call": info} for e in parser_events([json.dumps(args)], expect="object")
    ]
    assert merged(events) == merged(expected)
    (call,) = es.tool_calls
    assert call.value == args and json.loads(call.arguments) == args
    assert json.dumps(call.value) == json.dumps(args)  # 50 stays 50, not 50.0; True not 1
    assert call.closed and not call.parser.truncated
    assert es.finish_reason == "stop"


def test_vertex_partial_args_stream_each_value_as_it_completes():
    """A string's pieces are deltas as they come, and each value's done comes with the
    chunk that completes it (not with the next one)."""
    chunks = vertex_stream({"note": "bring a jacket", "days": 3, "tags": ["a"]})
    chunks[1]["candidates"][0]["content"]["parts"][0]["functionCall"]["partialArgs"] = [
        {"jsonPath": "$.note", "stringValue": "bring a ", "willContinue": True}
    ]
    chunks.insert(
        2,
        gemini(
            [
                {
                    "functionCall": {
                        "partialArgs": [
                            {"jsonPath": "$.note", "stringValue": "jacket", "willContinue": True}
                        ],
                        "willContinue": True,
                    }
                }
            ]
        ),
    )
    chunks[3]["candidates"][0]["content"]["parts"][0]["functionCall"]["partialArgs"] = [
        {"jsonPath": "$.note", "stringValue": ""}
    ]
    es = instant.stream(chunks)
    per_chunk = [[(e["event"], e["key"], e["value"]) for e in es._core.feed(c)] for c in chunks]
    assert per_chunk[1] == [("delta", "note", "bring a ")]
    assert per_chunk[2] == [("delta", "note", "bring a jacket")]
    assert per_chunk[3] == [("done", "note", "bring a jacket")]
    # a number, a boolean: done with the chunk that brings them
    assert per_chunk[4] == [("done", "days", 3)]
    assert per_chunk[5] == [("delta", "tags.[]", "a")]
    assert per_chunk[6] == [("done", "tags.[]", "a")]
    # containers: done when the call ends
    assert per_chunk[7] == [
        ("done", "tags", ["a"]),
        ("done", "", {"note": "bring a jacket", "days": 3, "tags": ["a"]}),
    ]


@pytest.mark.parametrize(
    ("partial", "message"),
    [
        (
            [{"jsonPath": "$.a", "numberValue": 1}, {"jsonPath": "$.a", "numberValue": 2}],
            "the key 'a' was already written",
        ),
        ([{"jsonPath": "$.a[1]", "numberValue": 1}], "index 1 where index 0 comes next"),
        (
            [
                {"jsonPath": "$.a.b", "numberValue": 1},
                {"jsonPath": "$.c", "numberValue": 1},
                {"jsonPath": "$.a.d", "numberValue": 1},
            ],
            "the key 'a' was already written",
        ),
        (
            [{"jsonPath": "$.a[0]", "numberValue": 1}, {"jsonPath": "$.a.b", "numberValue": 1}],
            "names the key 'b' in an array",
        ),
        (
            [{"jsonPath": "$.a.b", "numberValue": 1}, {"jsonPath": "$.a[1]", "numberValue": 1}],
            "index [1] into an object",
        ),
        ([{"jsonPath": "$.a[*]", "numberValue": 1}], "cannot read the jsonPath '$.a[*]'"),
        ([{"jsonPath": "a.b", "numberValue": 1}], "does not begin with '$'"),
        ([{"jsonPath": "$[-1]", "numberValue": 1}], "cannot read the jsonPath"),
        ([{"jsonPath": "$", "numberValue": 1}], "names the arguments themselves"),
        ([{"stringValue": "x"}], "without a jsonPath"),
        ([{"jsonPath": "$.a", "numberValue": "12"}], "is not a number"),
        ([{"jsonPath": "$.a", "boolValue": "yes"}], "is not a boolean"),
    ],
)
def test_vertex_partial_args_out_of_order_or_malformed_is_a_parse_error(partial, message):
    chunks = [
        gemini([{"functionCall": {"name": "f", "willContinue": True}}]),
        gemini(
            [
                {
                    "functionCall": {
                        "partialArgs": [{"jsonPath": "$.ok", "boolValue": True}],
                        "willContinue": True,
                    }
                }
            ]
        ),
        gemini([{"functionCall": {"partialArgs": partial, "willContinue": True}}]),
    ]
    got = []
    with pytest.raises(instant.ParseError, match=re.escape(message)) as info:
        for event in instant.stream(chunks):
            got.append(event)
    assert info.value.kind == "syntax"
    assert "the partialArgs of tool call 'f'" in str(info.value)
    assert info.value.line == 1 and info.value.column == info.value.offset + 1
    assert [(e["event"], e["key"]) for e in got][:1] == [("done", "ok")]


@pytest.mark.parametrize(
    ("path", "segments"),
    [
        ("$.a.b", ["a", "b"]),
        ("$.recipe.ingredients[0].amount", ["recipe", "ingredients", 0, "amount"]),
        ("$['a b'][12]", ["a b", 12]),
        ('$["it\'s"]', ["it's"]),
        ("$['it\\'s \\u00e9\\n']", ["it's é\n"]),
        ("$[ 'x' ][ 3 ]", ["x", 3]),
        ("$.hyphen-ated", ["hyphen-ated"]),
        ("$.日本", ["日本"]),
        ("$", []),
    ],
)
def test_json_paths(path, segments):
    assert parse_path(path) == segments


@pytest.mark.parametrize("path", ["$..a", "$.*", "$[01]", "$['a'", "$[x]", "$['\\q']", "$a"])
def test_bad_json_paths(path):
    with pytest.raises(ValueError):
        parse_path(path)


def test_args_text_numbers_and_surrogates():
    text = ArgsText("t")
    out = text.add({"jsonPath": "$.n", "numberValue": 50.0})
    out += text.add({"jsonPath": "$.x", "numberValue": 0.5})
    out += text.add({"jsonPath": "$.big", "numberValue": 1e300})
    out += text.add({"jsonPath": "$.s", "stringValue": "a\ud83d", "willContinue": True})
    out += text.add({"jsonPath": "$.s", "stringValue": "\ude00b"})
    out += text.close()
    assert json.loads(out) == {"n": 50, "x": 0.5, "big": 1e300, "s": "a\U0001f600b"}
    assert '"n":50 ' in out
    assert instant.parse(out) == {"n": 50, "x": 0.5, "big": 1e300, "s": "a\U0001f600b"}


def test_vertex_call_left_open_at_the_end_of_the_stream_is_truncated():
    chunks = vertex_stream({"a": "xyz", "b": 1})[:-2]
    chunks[-1]["candidates"][0]["content"]["parts"][0]["functionCall"]["willContinue"] = True
    es = instant.stream(chunks)
    list(es)
    assert es.tool_calls[0].value == {"a": "xyz", "b": 1}
    assert es.tool_calls[0].parser.truncated


# --- Bedrock ------------------------------------------------------------------------------


def test_bedrock_converse_stream_events():
    events = [
        {"messageStart": {"role": "assistant"}},
        {
            "contentBlockDelta": {
                "contentBlockIndex": 0,
                "delta": {"reasoningContent": {"text": "{x"}},
            }
        },
        {"contentBlockStop": {"contentBlockIndex": 0}},
        *(
            {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"text": p}}}
            for p in split(JSON_TEXT)
        ),
        {"contentBlockStop": {"contentBlockIndex": 1}},
        {
            "contentBlockStart": {
                "contentBlockIndex": 2,
                "start": {"toolUse": {"toolUseId": "tu_1", "name": "get"}},
            }
        },
        {"contentBlockDelta": {"contentBlockIndex": 2, "delta": {"toolUse": {"input": '{"q": '}}}},
        {"contentBlockDelta": {"contentBlockIndex": 2, "delta": {"toolUse": {"input": "1}"}}}},
        {"contentBlockStop": {"contentBlockIndex": 2}},
        {"messageStop": {"stopReason": "tool_use"}},
        {"metadata": {"usage": {"inputTokens": 1}, "metrics": {"latencyMs": 2}}},
    ]
    es, warned = stream_warnings(events)
    assert (es.value, es.text, es.finish_reason) == (VALUE, JSON_TEXT, "tool_calls")
    assert [(c.id, c.name, c.value) for c in es.tool_calls] == [("tu_1", "get", {"q": 1})]
    assert warned == []
    # boto3's response dict is read through its "stream"
    es = instant.stream({"ResponseMetadata": {}, "stream": iter(events)})
    assert list(es) and es.value == VALUE
    with pytest.raises(TypeError, match="not a dict"):
        instant.stream({"a": 1})
    with pytest.raises(instant.StreamError, match="throttlingException: Too many"):
        list(instant.stream([events[0], {"throttlingException": {"message": "Too many"}}]))


def test_bedrock_invoke_model_stream_chunks_hold_the_models_own_events():
    anthropic = [
        {"type": "message_start", "message": {}},
        *(
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}}
            for p in split(JSON_TEXT)
        ),
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}},
    ]
    chunks = [{"chunk": {"bytes": json.dumps(e).encode()}} for e in anthropic]
    es = instant.stream(chunks)
    assert list(es) == parser_events(split(JSON_TEXT))
    assert es.finish_reason == "stop"
    with pytest.raises(instant.ParseError, match="does not hold JSON"):
        list(instant.stream([{"chunk": {"bytes": b'{"type": '}}]))


# --- Ollama and Mistral -------------------------------------------------------------------


def test_ollama_lines_as_dicts_with_thinking_and_tool_call_ids():
    def line(**message: Any) -> dict[str, Any]:
        return {
            "model": "m",
            "created_at": "t",
            "message": {"role": "assistant", **message},
            "done": False,
        }

    lines = [line(content="", thinking="{hmm")] + [line(content=p) for p in split(JSON_TEXT)]
    lines.append(
        line(
            content="",
            tool_calls=[{"id": "call_9", "function": {"name": "f", "arguments": {"a": [1]}}}],
        )
    )
    lines.append(
        {
            "model": "m",
            "created_at": "t",
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "length",
        }
    )
    es = instant.stream(lines)
    assert [e for e in es if "tool_call" not in e] == parser_events(split(JSON_TEXT))
    assert (es.value, es.text, es.finish_reason) == (VALUE, JSON_TEXT, "length")
    assert [(c.id, c.name, c.value) for c in es.tool_calls] == [("call_9", "f", {"a": [1]})]
    generate = [
        {"model": "m", "created_at": "t", "response": p, "thinking": "x", "done": False}
        for p in split(JSON_TEXT)
    ]
    assert instant.parse(generate) == VALUE
    with pytest.raises(instant.StreamError, match="model 'x' not found"):
        list(instant.stream([{"error": "model 'x' not found"}]))


def mistral(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "data": {
            "id": "c",
            "object": "chat.completion.chunk",
            "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    }


def test_mistral_events_thinking_parts_and_calls_that_reuse_an_index():
    from mistralai.client.models import CompletionEvent

    chunks = [
        mistral({"role": "assistant", "content": ""}),
        mistral({"content": [{"type": "thinking", "thinking": [{"type": "text", "text": "{x"}]}]}),
        *(mistral({"content": [{"type": "text", "text": p}]}) for p in split(JSON_TEXT)),
        mistral(
            {
                "tool_calls": [
                    {"id": "a1", "function": {"name": "f", "arguments": '{"x": 1}'}, "index": 0}
                ]
            }
        ),
        mistral(
            {
                "tool_calls": [
                    {"id": "b2", "function": {"name": "g", "arguments": {"y": 2}}, "index": 0}
                ]
            },
            "tool_calls",
        ),
    ]
    for form in (chunks, [CompletionEvent.model_validate(c) for c in chunks]):
        es = instant.stream(form)
        list(es)
        assert (es.value, es.text, es.finish_reason) == (VALUE, JSON_TEXT, "tool_calls")
        # the second call reuses index 0: its new id makes it a call of its own
        assert [(c.index, c.id, c.name, c.value) for c in es.tool_calls] == [
            (0, "a1", "f", {"x": 1}),
            (1, "b2", "g", {"y": 2}),
        ]


# --- LangChain ------------------------------------------------------------------------------


def protocol_events() -> list[dict[str, Any]]:
    return [
        {"event": "message-start", "role": "ai", "id": "run-1"},
        {
            "event": "content-block-start",
            "index": 0,
            "content": {"type": "reasoning", "reasoning": ""},
        },
        {
            "event": "content-block-delta",
            "index": 0,
            "delta": {"type": "reasoning-delta", "reasoning": "{x"},
        },
        {
            "event": "content-block-finish",
            "index": 0,
            "content": {"type": "reasoning", "reasoning": "{x"},
        },
        {"event": "content-block-start", "index": 1, "content": {"type": "text", "text": ""}},
        *(
            {"event": "content-block-delta", "index": 1, "delta": {"type": "text-delta", "text": p}}
            for p in split(JSON_TEXT)
        ),
        {
            "event": "content-block-finish",
            "index": 1,
            "content": {"type": "text", "text": JSON_TEXT},
        },
        {
            "event": "content-block-start",
            "index": 2,
            "content": {"type": "tool_call_chunk", "id": "c1", "name": "f", "args": ""},
        },
        {
            "event": "content-block-delta",
            "index": 2,
            "delta": {"type": "tool-call-delta", "args": '{"a": '},
        },
        {
            "event": "content-block-delta",
            "index": 2,
            "delta": {"type": "tool-call-delta", "args": "1}"},
        },
        {
            "event": "content-block-finish",
            "index": 2,
            "content": {"type": "tool_call", "id": "c1", "name": "f", "args": {"a": 1}},
        },
        # a finished call whose arguments came only with its finish
        {
            "event": "content-block-start",
            "index": 3,
            "content": {"type": "tool_call", "id": "c2", "name": "g", "args": {}},
        },
        {
            "event": "content-block-finish",
            "index": 3,
            "content": {"type": "tool_call", "id": "c2", "name": "g", "args": {"b": [2]}},
        },
        {
            "event": "content-block-delta",
            "index": 4,
            "delta": {"type": "data-delta", "data": "AAAA"},
        },
        {
            "event": "message-finish",
            "usage": {"output_tokens": 9},
            "metadata": {"finish_reason": "tool_calls"},
        },
    ]


def test_langchain_content_block_protocol_dicts():
    es, warned = stream_warnings(protocol_events())
    assert (es.value, es.text, es.finish_reason) == (VALUE, JSON_TEXT, "tool_calls")
    assert [(c.index, c.id, c.name, c.value) for c in es.tool_calls] == [
        (0, "c1", "f", {"a": 1}),
        (1, "c2", "g", {"b": [2]}),
    ]
    assert warned == []
    # a text block that came whole, in its finish only
    whole = [
        {"event": "message-start", "role": "ai", "id": ""},
        {
            "event": "content-block-finish",
            "index": 0,
            "content": {"type": "text", "text": JSON_TEXT},
        },
        {"event": "message-finish"},
    ]
    assert instant.parse(whole) == VALUE
    with pytest.raises(instant.StreamError, match="rate limited"):
        list(instant.stream([whole[0], {"event": "error", "message": "rate limited"}]))


def test_langchain_message_chunk_finish_reason():
    from langchain_core.messages import AIMessageChunk

    chunks = [AIMessageChunk(content=p) for p in split(JSON_TEXT)]
    chunks.append(AIMessageChunk(content="", response_metadata={"stop_reason": "max_tokens"}))
    es = instant.stream(chunks)
    list(es)
    assert (es.value, es.finish_reason) == (VALUE, "length")
    parts = [
        AIMessageChunk(
            content=[{"type": "reasoning", "reasoning": "{x"}, {"type": "text", "text": JSON_TEXT}]
        )
    ]
    assert instant.parse(parts) == VALUE


def tool_calling_model() -> Any:
    """A LangChain chat model that streams text and two tool calls (no network)."""
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

    class ToolCalling(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "tool-calling-fake"

        def _generate(
            self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any
        ) -> ChatResult:
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=JSON_TEXT))])

        def _stream(
            self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any
        ) -> Any:
            for piece in split(JSON_TEXT):
                yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
            chunks = [
                [{"name": "get_weather", "args": '{"ci', "id": "call_1", "index": 0}],
                [{"name": None, "args": 'ty": "Paris"}', "id": None, "index": 0}],
                [{"name": "get_time", "args": '{"hours": [9, 17]}', "id": "call_2", "index": 1}],
            ]
            for calls in chunks:
                yield ChatGenerationChunk(
                    message=AIMessageChunk(content="", tool_call_chunks=calls)
                )
            last = AIMessageChunk(
                content="", response_metadata={"finish_reason": "tool_calls"}, chunk_position="last"
            )
            yield ChatGenerationChunk(message=last)

    return ToolCalling()


def test_real_langchain_content_block_protocol_sync_and_async():
    """langchain-core's own stream_events(version="v3") / astream_events: its
    ChatModelStream yields the protocol's events, which instant reads."""
    model = tool_calling_model()
    expected_calls = [
        ("call_1", "get_weather", {"city": "Paris"}),
        ("call_2", "get_time", {"hours": [9, 17]}),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # v3 is beta: LangChainBetaWarning
        es = instant.stream(model.stream_events("Lisbon?", version="v3"))
        events = list(es)

        async def main() -> Any:
            source = await model.astream_events("Lisbon?", version="v3")
            aes = instant.stream(source)
            return [e async for e in aes], aes

        aevents, aes = asyncio.run(main())
    for got, s in ((events, es), (aevents, aes)):
        assert [e for e in got if "tool_call" not in e] == parser_events(split(JSON_TEXT))
        assert (s.value, s.text, s.finish_reason) == (VALUE, JSON_TEXT, "tool_calls")
        assert [(c.id, c.name, c.value) for c in s.tool_calls] == expected_calls
    # the same model's message chunks (model.stream) give the same
    es = instant.stream(model.stream("Lisbon?"))
    assert [e for e in es if "tool_call" not in e] == parser_events(split(JSON_TEXT))
    assert [(c.id, c.name, c.value) for c in es.tool_calls] == expected_calls


# --- unknown and non-reply events -----------------------------------------------------------


def anthropic_text(text: str) -> list[dict[str, Any]]:
    return [
        {"type": "message_start", "message": {}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        *(
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}}
            for p in split(text)
        ),
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}},
        {"type": "message_stop"},
    ]


def test_anthropic_compaction_is_not_reply_text():
    """The beta SDK's compaction event (a summary of earlier turns, which may hold JSON)
    and the raw compaction block it comes from give no reply text."""
    events = anthropic_text(JSON_TEXT)
    events[1:1] = [
        {
            "type": "content_block_start",
            "index": 5,
            "content_block": {"type": "compaction", "content": None},
        },
        {
            "type": "content_block_delta",
            "index": 5,
            "delta": {"type": "compaction_delta", "content": 'Summary: {"user": "x"}'},
        },
        {"type": "compaction", "content": 'Summary: {"user": "x"}'},
        {"type": "content_block_stop", "index": 5},
    ]
    es, warned = stream_warnings(events)
    assert (es.value, es.text) == (VALUE, JSON_TEXT)
    assert warned == []


def test_responses_reasoning_and_obfuscation_give_no_text():
    events = [
        {"type": "response.created", "response": {}},
        {
            "type": "response.reasoning_summary_text.delta",
            "delta": '{"plan": 1}',
            "obfuscation": "x",
        },
        {"type": "response.reasoning_text.delta", "delta": "{"},
        {"type": "response.web_search_call.searching", "item_id": "w"},
        *(
            {"type": "response.output_text.delta", "delta": p, "obfuscation": "k9"}
            for p in split(JSON_TEXT)
        ),
        {"type": "response.completed", "response": {}},
    ]
    es, warned = stream_warnings(events)
    assert (es.value, es.text, es.finish_reason) == (VALUE, JSON_TEXT, "stop")
    assert warned == []


@pytest.mark.parametrize(
    ("chunks", "family", "kind"),
    [
        (
            anthropic_text(JSON_TEXT)[:1]
            + [{"type": "brand_new"}] * 2
            + anthropic_text(JSON_TEXT)[1:],
            "Anthropic",
            "brand_new",
        ),
        (
            anthropic_text(JSON_TEXT)[:2]
            + [{"type": "content_block_delta", "index": 0, "delta": {"type": "hologram_delta"}}] * 2
            + anthropic_text(JSON_TEXT)[2:],
            "Anthropic content_block_delta",
            "hologram_delta",
        ),
        (
            [
                {"type": "response.created"},
                {"type": "response.teleport.delta"},
                {"type": "response.teleport.delta"},
            ]
            + [{"type": "response.output_text.delta", "delta": JSON_TEXT}],
            "OpenAI Responses",
            "response.teleport.delta",
        ),
        (
            [
                {"messageStart": {"role": "assistant"}},
                {"newEvent": {}},
                {"newEvent": {}},
                {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": JSON_TEXT}}},
            ],
            "Bedrock ConverseStream",
            "newEvent",
        ),
        (
            [
                {"messageStart": {}},
                {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"hologram": {}}}},
            ]
            * 2
            + [{"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": JSON_TEXT}}}],
            "Bedrock ConverseStream contentBlockDelta",
            "hologram",
        ),
        (
            [
                {"event": "message-start", "role": "ai", "id": ""},
                {"event": "content-block-teleport"},
                {"event": "content-block-teleport"},
                {
                    "event": "content-block-finish",
                    "index": 0,
                    "content": {"type": "text", "text": JSON_TEXT},
                },
            ],
            "LangChain content-block protocol",
            "content-block-teleport",
        ),
    ],
)
def test_an_unknown_event_type_of_a_known_family_is_skipped_with_one_warning(chunks, family, kind):
    es, warned = stream_warnings(chunks)
    assert es.value == VALUE
    assert warned == [
        f"instant.stream() skipped an event of unknown type {kind!r} in a {family} stream "
        "(it carries no reply text that instant knows of)"
    ]


def test_an_unknown_shape_is_still_a_type_error():
    for chunk in ({"type": "brand_new"}, {"newEvent": {}}, {"foo": 1}, {"event": "on_chain_start"}):
        with pytest.raises(TypeError, match="expected str or bytes, or a chunk of the OpenAI"):
            list(instant.stream([chunk]))


# --- raw server-sent events and JSON lines --------------------------------------------------


def encode_sse(events: list[tuple[str | None, str]], newline: str = "\n") -> str:
    out = []
    for name, data in events:
        lines = [f"event: {name}"] if name else []
        lines += [f"data: {line}" for line in data.split("\n")]
        out.append(newline.join(lines) + newline + newline)
    return "".join(out)


sse_values = st.lists(
    st.dictionaries(st.text(max_size=5), st.one_of(st.text(max_size=8), st.integers()), max_size=3),
    max_size=6,
)


@given(
    values=sse_values,
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    pretty=st.booleans(),
    extras=st.booleans(),
    cuts=st.lists(st.integers(0, 2000), max_size=12),
    as_bytes=st.booleans(),
)
def test_sse_decoder_split_anywhere(values, newline, pretty, extras, cuts, as_bytes):
    events = [
        ("msg" if extras else None, json.dumps(v, indent=1 if pretty else None, ensure_ascii=False))
        for v in values
    ]
    text = ": keep-alive" + newline + "id: 7" + newline + "retry: 100" + newline if extras else ""
    text += encode_sse(events, newline) + ("data: [DONE]" + newline + newline if extras else "")
    data: Any = text.encode() if as_bytes else text
    points = sorted({0, len(data), *[min(c, len(data)) for c in cuts]})
    decoder = SSEDecoder()
    items = []
    for a, b in zip(points, points[1:]):
        items.extend(decoder.feed(data[a:b]))
    items.extend(decoder.close())
    assert [d.value for d in items] == values
    assert all(d.error is None for d in items)


def errors(items):
    """The values decoded, then the error that ended them (None if none did)."""
    assert all(d.error is None for d in items[:-1])
    if items and items[-1].error is not None:
        return [d.value for d in items[:-1]], items[-1].error
    return [d.value for d in items], None


def test_sse_decoder_errors_say_where_after_what_came_before():
    values, err = errors(SSEDecoder().feed('data: {"a": 1}\n\nhello there\n'))
    assert values == [{"a": 1}]  # the event before the bad line comes first
    assert "not a server-sent event line: 'hello there'" in str(err)
    assert (err.line, err.column, err.offset) == (3, 1, 16)
    values, err = errors(SSEDecoder().feed('\ndata: {"a": tru}\n\n'))
    assert "the data of the event at line 2 is not JSON" in str(err)
    assert (err.line, err.column, err.offset) == (2, 13, 13)
    assert err.excerpt[err.pointer :] == "tru}"  # json: a value was expected
    decoder = SSEDecoder()
    values, err = errors(decoder.feed(b'data: {"a": 1}\n\ndata: {"a": "\xff"}\n\n'))
    assert values == [{"a": 1}]
    assert (err.kind, err.line, err.column) == ("encoding", 3, 14)
    assert "byte 0xff at byte 29" in str(err)
    assert errors(decoder.feed(b"data: {}\n\n"))[1] is err  # a broken stream stays broken
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"a": "\xc3') == []
    values, err = errors(decoder.close())
    assert "ended inside a UTF-8 sequence" in str(err) and err.kind == "encoding"
    decoder = SSEDecoder()  # a sequence split between chunks is fine
    assert decoder.feed(b'data: {"a": "\xc3') == []
    assert [d.value for d in decoder.feed(b'\xa9"}\n\n')] == [{"a": "é"}]
    # the last event without its blank line still counts
    decoder = SSEDecoder()
    assert decoder.feed('data: {"a": 1}') == []
    assert [d.value for d in decoder.close()] == [{"a": 1}]
    # through instant.stream: the events before the error come out first
    got = []
    with pytest.raises(instant.ParseError, match="not a server-sent event line"):
        sse = 'data: {"choices": [{"index": 0, "delta": {"content": "[1, 2"}}]}\n\n{x}\n'
        for e in instant.stream([sse]):
            got.append(e)
    assert [e["value"] for e in got] == [1]


def test_an_sse_error_event_raises_stream_error():
    text = 'data: {"type": "message_start", "message": {}}\n\nevent: error\ndata: {"message": "Overloaded"}\n\n'
    with pytest.raises(instant.StreamError, match="Overloaded"):
        list(instant.stream([text]))


def test_sse_events_of_no_known_shape_are_a_parse_error_at_their_line():
    with pytest.raises(
        instant.ParseError, match="the event at line 3 is not one instant can read"
    ) as info:
        list(instant.stream(['data: {"choices": []}\n\ndata: {"foo": 1}\n\n']))
    assert info.value.line == 3


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('data: {"choices": []}\n\n', "sse"),
        ("\n\n  data: [DONE]\n\n", "sse"),
        ('event: message_start\ndata: {"type": "message_start"}\n\n', "sse"),
        ('event: ping\r\ndata: {"type": "ping"}\r\n\r\n', "sse"),
        (': OPENROUTER PROCESSING\n\ndata: {"choices": []}\n\n', "sse"),
        (
            '{"model":"llama3.2","created_at":"t","message":{"role":"assistant","content":"x"},"done":false}\n{"model":"llama3.2"}',
            "ndjson",
        ),
        # replies
        (
            '{"model":"llama3.2","created_at":"t","message":{"role":"assistant","content":"x"},"done":true}\n',
            "text",
        ),
        ('{"model":"gpt-4o","answer":"x"}\n{"model":"b"}\n', "text"),
        ('{"model": "llama3.2", "done": false, "message": {}}\n{"x": 1}', "text"),
        ('{"city": "Lisbon"}', "text"),
        ("data: the dataset has 3 rows", "text"),
        ("database: postgres", "text"),
        ("event: the launch is at noon\nThen we eat.", "text"),
        (": )\nhello", "text"),
        ("Sure! Here is the JSON:", "text"),
        ("", "text"),
        ("data", "text"),
        ("\n\n\n", "text"),
    ],
)
def test_sniffer_tells_raw_streams_from_replies(text, found):
    sniffer = Sniffer()
    early = None
    for ch in text:  # one character at a time: the decision is the same as for the whole
        early = early or sniffer.push(ch)
    assert (early or sniffer.finish()) == found
    whole = Sniffer()
    assert (whole.push(text) or whole.finish()) == found


def test_sniffer_decides_a_reply_after_its_first_characters():
    for reply in ['{"city": "Lis', "Sure", "```json\n{", "[1, 2", "<think>"]:
        assert Sniffer().push(reply) == "text", reply


def test_ollama_lines_are_told_from_a_json_document():
    lines = '{"model":"m","created_at":"t","message":{"role":"assistant","content":"1"},"done":false}\n{"model":"m","created_at":"t","message":{"role":"assistant","content":""},"done":true}\n'
    assert instant.parse(lines) == 1
    assert instant.parse(lines, multiple=True)[0]["model"] == "m"  # JSON lines: the documents
    assert instant.parse(lines, wire="ndjson") == 1
    assert instant.parse(lines, wire="text")["model"] == "m"
    assert NDJSONDecoder().feed(lines.encode())[1].value["done"] is True
    values, err = errors(NDJSONDecoder().feed('{"a": 1}\n{"a": \n'))
    assert values == [{"a": 1}] and (err.line, err.column) == (2, 7)


def test_wire_option():
    sse = 'data: {"choices": [{"index": 0, "delta": {"content": "[1, 2]"}}]}\n\n'
    assert instant.parse(sse) == [1, 2]
    assert instant.parse(sse.encode(), wire="sse") == [1, 2]
    es = instant.stream([sse[:3], sse[3:]], wire="sse")
    assert [e["value"] for e in es if e["key"] == ""] == [[1, 2]] and es.wire == "sse"
    with pytest.raises(instant.ParseError, match="not a server-sent event line"):
        instant.parse('{"a": 1}', wire="sse")
    with pytest.raises(ValueError, match="wire must be one of"):
        instant.stream([], wire="xml")
    es = instant.stream(['{"a": ', "1}"])
    list(es)
    assert es.wire == "text"
    es = instant.stream([{"type": "message_start", "message": {}}])
    list(es)
    assert es.wire == "objects"


# --- instant parse on raw streams -----------------------------------------------------------


def cli(*args: str, input: bytes) -> Any:
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "instant", "parse", *args],
        input=input,
        capture_output=True,
        timeout=60,
    )


def test_instant_parse_reports_stream_errors_at_their_line():
    run = cli(input=b'data: {"choices": [{"index": 0, "delta": {"content": "[1, "}}]}\n\noops\n')
    assert run.returncode == 1
    assert run.stdout.decode().splitlines() == [
        '{"key": "[]", "indexes": [0], "path": [0], "event": "done", "delta": 1, "value": 1, "is_complete": true}'
    ]
    assert run.stderr.decode().startswith("<stdin>:3:1: not a server-sent event line: 'oops'")
    # an error in the reply is reported at its place in the reply's text
    run = cli(
        input=b'data: {"choices": [{"index": 0, "delta": {"content": "{\\"a\\": 1 \\"b\\""}}]}\n\n'
    )
    assert run.returncode == 1
    assert run.stderr.decode().startswith("<stdin> (the reply):1:9: expected ',' or '}'")
    run = cli(
        input=b'data: {"type": "message_start", "message": {}}\n\ndata: {"type": "error", "error": {"message": "Overloaded"}}\n\n'
    )
    assert run.returncode == 1
    assert "Overloaded" in run.stderr.decode()


def test_instant_parse_wire_options_and_tool_calls_in_pretty():
    sse = (
        b'data: {"type": "message_start", "message": {}}\n\n'
        b'data: {"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "t1", "name": "get"}}\n\n'
        b'data: {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "{\\"q\\": [1]}"}}\n\n'
        b'data: {"type": "content_block_stop", "index": 0}\n\n'
    )
    run = cli("--format", "pretty", input=sse)
    assert run.returncode == 0, run.stderr
    assert run.stdout.decode().splitlines() == [
        "done   call 0 get:  q.[]  [0]  1",
        "done   call 0 get:  q  [1]",
        'done   call 0 get:  (root)  {"q": [1]}',
    ]
    # --wire text: the input is the reply, whatever it looks like (here: the first event's JSON)
    run = cli("--wire", "text", "--format", "values", input=sse)
    assert json.loads(run.stdout.decode().splitlines()[0]) == {
        "type": "message_start",
        "message": {},
    }
    run = cli("--sse", "--format", "values", input=b'\n\n{"a": 1}\n')
    assert run.returncode == 1 and b"not a server-sent event line" in run.stderr
    lines = b'{"model":"m","created_at":"t","message":{"role":"assistant","content":"[7]"},"done":false}\n{"model":"m","created_at":"t","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop"}\n'
    for args in ([], ["--ndjson"]):
        run = cli(*args, "--format", "values", input=lines)
        assert run.stdout == b"[7]\n", args


def test_vertex_strings_left_open_are_closed_by_the_next_path_or_the_end():
    """Lenient: a string piece that said more would come, followed by another path (or the
    call's end), ends there."""
    chunks = [
        gemini([{"functionCall": {"name": "f", "willContinue": True}}]),
        gemini(
            [
                {
                    "functionCall": {
                        "partialArgs": [
                            {"jsonPath": "$.a", "stringValue": "x", "willContinue": True},
                            {"jsonPath": "$.b", "stringValue": "y", "willContinue": True},
                        ],
                        "willContinue": True,
                    }
                }
            ]
        ),
        gemini([{"functionCall": {}}], "STOP"),
    ]
    es = instant.stream(chunks)
    list(es)
    assert es.tool_calls[0].value == {"a": "x", "b": "y"}
    assert not es.tool_calls[0].parser.truncated


def test_sniffer_gives_up_on_a_long_first_line():
    sniffer = Sniffer()
    assert sniffer.push(": " + "x" * 70000) == "text"
    sniffer = Sniffer()
    assert sniffer.push('{"model":"' + "x" * 100) is None  # waits for the line to end
    assert sniffer.push("y" * 70000) == "text"


def test_a_pydantic_chunk_with_a_delta_field_is_read_as_llama_index_reads_it():
    from pydantic import BaseModel

    class CompletionResponse(BaseModel):  # the shape of LlamaIndex's
        text: str
        delta: str | None = None

    chunks = [CompletionResponse(text="", delta=p) for p in split(JSON_TEXT)]
    chunks.append(CompletionResponse(text=JSON_TEXT, delta=None))
    assert instant.parse(chunks) == VALUE
