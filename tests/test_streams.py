"""instant.stream, the chunk shapes it reads, tool calls, and the Agently-style generators.

The real SDK clients against a local server are in test_sdk_streams.py; here the chunks are
built by hand (as dicts, as duck-typed objects, and as the SDKs' own pydantic types).
"""

from __future__ import annotations

import asyncio
import gc
import json
from types import SimpleNamespace as NS

import pytest
from hypothesis import given
from hypothesis import strategies as st

import instant
from instant.compat import agently

REPLY = 'Here it is:\n```json\n{"title": "Lisbon", "stops": [{"name": "Belém"}, {"name": "Alfama"}]}\n```'
VALUE = {"title": "Lisbon", "stops": [{"name": "Belém"}, {"name": "Alfama"}]}


def pieces(text: str, size: int = 5) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def plain_events(text: str, **options):
    return list(instant.iter_events(pieces(text), **options))


def summary(events):
    """Events without complete_value, deltas of a string joined (chunking-independent)."""
    out = []
    for e in events:
        item = (e["event"], e["key"], e["indexes"], e.get("tool_call", {}).get("index"))
        if e["event"] == "delta" and out and out[-1][0][:4] == item[:4]:
            out[-1] = (item, out[-1][1] + e["delta"])
        else:
            out.append((item, e["delta"] if e["event"] == "delta" else e["value"]))
    return out


# -- sources ----------------------------------------------------------------------------


def test_stream_of_text_matches_parser():
    events = list(instant.stream(pieces(REPLY)))
    assert summary(events) == summary(plain_events(REPLY))
    assert events[-1]["value"] == VALUE


def test_stream_of_bytes_split_inside_characters():
    data = REPLY.encode()
    s = instant.stream(data[i : i + 3] for i in range(0, len(data), 3))
    events = list(s)
    assert s.value == VALUE
    assert s.text == REPLY
    assert summary(events) == summary(plain_events(REPLY))


def test_stream_attributes_and_select():
    s = instant.stream(pieces(REPLY), select="stops.[].name")
    names = [e["value"] for e in s if e["event"] == "done"]
    assert names == ["Belém", "Alfama"]
    assert s.value == VALUE  # the whole document is parsed; only the events are selected
    assert s.tool_calls == []
    assert isinstance(s.parser, instant.Parser)


def test_parser_options_pass_through():
    with pytest.raises(instant.ParseError):
        list(instant.stream(["{'a': 1}"], strict=True))
    s = instant.stream(["[1] [2", "]"], multiple=True)
    assert [e["document"] for e in s if e["key"] == ""] == [0, 1]


def test_a_whole_text_is_one_chunk_and_anything_else_a_type_error():
    events = list(instant.stream('{"a": 1}'))
    assert [e["key"] for e in events] == ["a", ""]
    assert list(instant.stream(b'{"a": 1}')) == events
    with pytest.raises(TypeError, match=r"instant.stream\(\) takes a model stream .* not int"):
        instant.stream(42)


def test_unknown_chunk_shape_is_a_clear_type_error():
    with pytest.raises(TypeError, match=r"chunk of type int: expected str or bytes.*OpenAI"):
        list(instant.stream([42]))
    with pytest.raises(TypeError, match="chunk of type Weird"):

        class Weird:
            pass

        list(instant.stream(['{"a"', Weird()]))


class Source:
    """An iterator that records what was read and whether it was closed."""

    def __init__(self, chunks, fail_at=None):
        self.chunks = list(chunks)
        self.read = 0
        self.closed = False
        self.fail_at = fail_at

    def __iter__(self):
        return self

    def __next__(self):
        if self.read == self.fail_at:
            raise ConnectionError("connection reset by peer")
        if self.read >= len(self.chunks):
            raise StopIteration
        self.read += 1
        return self.chunks[self.read - 1]

    def close(self):
        self.closed = True


def test_reads_one_chunk_at_a_time():
    src = Source(['{"a": 1, ', '"b": 2, ', '"c": 3}'])
    events = instant.stream(src)
    first = next(events)
    assert (first["key"], src.read) == ("a", 1)
    second = next(events)
    assert (second["key"], src.read) == ("b", 2)
    assert [e["key"] for e in events] == ["c", ""] and src.read == 3


def test_source_error_after_the_events_of_earlier_chunks():
    src = Source(['{"a": 1, "b": "te', 'xt", "c":', "3"], fail_at=2)
    got = []
    with pytest.raises(ConnectionError, match="reset by peer"):
        for event in instant.stream(src):
            got.append(event)
    assert [(e["event"], e["key"]) for e in got] == [
        ("done", "a"),
        ("delta", "b"),
        ("delta", "b"),
        ("done", "b"),
    ]


def test_parse_error_after_the_events_before_it():
    s = instant.stream(['{"a": 1, "b": [tr', "ue, fals", "x]}"], strict=True)
    got = []
    with pytest.raises(instant.ParseError) as info:
        for event in s:
            got.append(event)
    assert [(e["event"], e["key"], e["value"]) for e in got] == [
        ("done", "a", 1),
        ("done", "b.[]", True),
    ]
    assert info.value.offset == len('{"a": 1, "b": [true, fals')
    assert s.value == {"a": 1, "b": [True]}


def test_break_closes_the_source():
    src = Source(pieces(REPLY))
    for event in instant.stream(src):
        if event["key"] == "title":
            break
    assert src.closed
    assert src.read < len(src.chunks)


def test_break_closes_a_generator_source():
    state = []

    def gen():
        try:
            yield '{"a": [1, 2, '
            yield "3, 4]}"
            state.append("read all")
        finally:
            state.append("closed")

    for _event in instant.stream(gen()):
        break
    assert state == ["closed"]


class SDKLikeStream:
    """Like openai.Stream: __iter__ hands out a generator, close() closes the response."""

    def __init__(self, chunks):
        self.chunks = chunks
        self.response_closed = False

    def __iter__(self):
        yield from self.chunks

    def close(self):
        self.response_closed = True


def test_break_closes_an_sdk_like_stream_not_just_its_iterator():
    src = SDKLikeStream(pieces(REPLY))
    for _event in instant.stream(src):
        break
    assert src.response_closed


def test_close_and_context_manager():
    src = Source(pieces(REPLY))
    with instant.stream(src) as events:
        next(events)
    assert src.closed
    src = Source(pieces(REPLY))
    events = instant.stream(src)
    next(events)
    events.close()
    assert src.closed


def test_a_finished_source_is_closed_once():
    src = Source(pieces(REPLY))
    closes = []
    src.close = lambda: closes.append(True)
    assert list(instant.stream(src))
    assert closes == [True]


# -- async ------------------------------------------------------------------------------


class ASource:
    def __init__(self, chunks, fail_at=None, delay=0.0):
        self.chunks = list(chunks)
        self.read = 0
        self.closed = False
        self.fail_at = fail_at
        self.delay = delay

    def __aiter__(self):
        return self

    async def __anext__(self):
        await asyncio.sleep(self.delay)
        if self.read == self.fail_at:
            raise ConnectionError("connection reset by peer")
        if self.read >= len(self.chunks):
            raise StopAsyncIteration
        self.read += 1
        return self.chunks[self.read - 1]

    async def aclose(self):
        self.closed = True


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_async_stream_matches_sync():
    async def main():
        s = instant.stream(ASource(pieces(REPLY)))
        assert isinstance(s, instant.AsyncEventStream)
        return [e async for e in s], s.value

    events, value = run(main())
    assert value == VALUE
    assert summary(events) == summary(plain_events(REPLY))


def test_async_source_error_and_parse_error():
    async def main():
        got = []
        with pytest.raises(ConnectionError):
            async for e in instant.stream(ASource(['{"a": 1, "b"', ": 2"], fail_at=2)):
                got.append(e["key"])
        assert got == ["a"]
        got = []
        with pytest.raises(instant.ParseError):
            async for e in instant.stream(ASource(["[1, 2,", " ]"]), strict=True):
                got.append(e["value"])
        assert got == [1, 2]

    run(main())


def test_async_aclose_and_context_manager_close_the_source():
    async def main():
        src = ASource(pieces(REPLY))
        async with instant.stream(src) as events:
            async for _ in events:
                break
        assert src.closed
        src = ASource(pieces(REPLY))
        events = instant.stream(src)
        await events.__anext__()
        await events.aclose()
        assert src.closed

    run(main())


def test_async_break_closes_the_source_when_dropped():
    async def main():
        src = ASource(pieces(REPLY))
        async for _ in instant.stream(src):
            break
        gc.collect()
        for _ in range(5):  # the loop's finaliser schedules aclose()
            await asyncio.sleep(0)
        assert src.closed

    run(main())


def test_cancelling_the_consumer_closes_the_source():
    async def main():
        src = ASource(pieces(REPLY), delay=0.05)
        got = []

        async def consume():
            async for e in instant.stream(src):
                got.append(e)

        before = asyncio.all_tasks()
        task = asyncio.create_task(consume())
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert src.closed
        assert 0 < src.read < len(src.chunks)
        # nothing left running but this task
        assert asyncio.all_tasks() == before

    run(main())


def test_async_sdk_like_stream_is_closed():
    class AsyncSDKLikeStream:
        def __init__(self, chunks):
            self.chunks = chunks
            self.response_closed = False

        async def __aiter__(self):
            for c in self.chunks:
                yield c

        async def close(self):
            self.response_closed = True

    async def main():
        src = AsyncSDKLikeStream(pieces(REPLY))
        async with instant.stream(src) as events:
            async for _ in events:
                break
        assert src.response_closed

    run(main())


def test_async_source_with_sync_close():
    class Stream(ASource):
        aclose = None  # type: ignore[assignment]

        def close(self):  # like SDK streams whose close() is a coroutine or plain
            self.closed = True

    async def main():
        src = Stream(pieces(REPLY))
        events = instant.stream(src)
        await events.__anext__()
        await events.aclose()
        assert src.closed

    run(main())


# -- chunk shapes -----------------------------------------------------------------------


def openai_chunks(text: str, size: int = 4) -> list[dict]:
    first = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "m",
        "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
        ],
    }
    body = [
        {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "m",
            "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}],
        }
        for p in pieces(text, size)
    ]
    last = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
    }
    usage = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "m",
        "choices": [],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
    }
    return [first, *body, last, usage]


def to_ns(obj):
    if isinstance(obj, dict):
        return NS(**{k: to_ns(v) for k, v in obj.items()})
    if isinstance(obj, list):
        return [to_ns(v) for v in obj]
    return obj


def check_text_stream(chunks):
    s = instant.stream(chunks)
    events = list(s)
    assert s.text == REPLY
    assert s.value == VALUE
    assert summary(events) == summary(plain_events(REPLY))


def test_openai_chat_chunks_as_dicts_objects_and_sdk_types():
    chunks = openai_chunks(REPLY)
    check_text_stream(chunks)
    check_text_stream([to_ns(c) for c in chunks])
    from openai.types.chat import ChatCompletionChunk

    check_text_stream([ChatCompletionChunk.model_validate(c) for c in chunks])


def test_openai_other_choices_are_ignored():
    chunks = openai_chunks(REPLY)
    for c in chunks[1:-2]:
        c["choices"].append({"index": 1, "delta": {"content": "garbage"}, "finish_reason": None})
    check_text_stream(chunks)


def responses_events(text: str) -> list[dict]:
    out = [
        {"type": "response.created", "sequence_number": 0, "response": {"id": "r"}},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"type": "message", "id": "m", "role": "assistant", "content": []},
        },
        {
            "type": "response.content_part.added",
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "output_text", "text": ""},
        },
    ]
    out += [
        {
            "type": "response.output_text.delta",
            "output_index": 0,
            "content_index": 0,
            "item_id": "m",
            "delta": p,
        }
        for p in pieces(text, 3)
    ]
    out += [
        {"type": "response.output_text.done", "text": text},
        {"type": "response.completed", "response": {"id": "r"}},
    ]
    return out


def test_openai_responses_events():
    check_text_stream(responses_events(REPLY))
    check_text_stream([to_ns(c) for c in responses_events(REPLY)])


def anthropic_events(text: str) -> list[dict]:
    out = [
        {"type": "message_start", "message": {"id": "msg", "content": []}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "ping"},
    ]
    out += [
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}}
        for p in pieces(text, 6)
    ]
    out += [
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 9},
        },
        {"type": "message_stop"},
    ]
    return out


def test_anthropic_events_as_dicts_and_sdk_types():
    check_text_stream(anthropic_events(REPLY))
    from anthropic.types import RawMessageStreamEvent
    from pydantic import TypeAdapter

    adapter = TypeAdapter(RawMessageStreamEvent)
    raw = anthropic_events(REPLY)
    raw[0]["message"] = {
        "id": "msg",
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": "claude",
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    raw[-2]["delta"]["stop_sequence"] = None
    check_text_stream([adapter.validate_python(e) for e in raw if e["type"] != "ping"])


def test_anthropic_helper_events_are_not_counted_twice():
    events = []
    snapshot = ""
    for e in anthropic_events(REPLY):
        events.append(e)
        if e["type"] == "content_block_delta":  # what MessageStream adds after each raw delta
            snapshot += e["delta"]["text"]
            events.append({"type": "text", "text": e["delta"]["text"], "snapshot": snapshot})
    check_text_stream(events)


def test_thinking_is_not_reply_text():
    events = anthropic_events(REPLY)
    events[1:1] = [
        {
            "type": "content_block_start",
            "index": 9,
            "content_block": {"type": "thinking", "thinking": ""},
        },
        {
            "type": "content_block_delta",
            "index": 9,
            "delta": {"type": "thinking_delta", "thinking": "{not json"},
        },
        {
            "type": "content_block_delta",
            "index": 9,
            "delta": {"type": "signature_delta", "signature": "x"},
        },
        {"type": "content_block_stop", "index": 9},
    ]
    check_text_stream(events)


class AIMessageChunk:
    """The shape of langchain_core.messages.AIMessageChunk."""

    type = "AIMessageChunk"

    def __init__(self, content, tool_call_chunks=()):
        self.content = content
        self.tool_call_chunks = list(tool_call_chunks)


def test_langchain_message_chunks():
    check_text_stream([AIMessageChunk(p) for p in pieces(REPLY)])
    parts = [AIMessageChunk([{"type": "text", "text": p, "index": 0}]) for p in pieces(REPLY)]
    check_text_stream(parts)


def test_langchain_tool_call_chunks():
    chunks = [
        AIMessageChunk("", [{"name": "search", "args": '{"q": "li', "id": "call_1", "index": 0}]),
        AIMessageChunk("", [{"name": None, "args": 'sbon"}', "id": None, "index": 0}]),
    ]
    s = instant.stream(chunks)
    list(s)
    assert [(c.index, c.id, c.name, c.value) for c in s.tool_calls] == [
        (0, "call_1", "search", {"q": "lisbon"})
    ]


def test_real_langchain_chunks_from_a_fake_chat_model():
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage
    from langchain_core.messages import AIMessageChunk as Real

    model = GenericFakeChatModel(messages=iter([AIMessage(content=REPLY)]))
    check_text_stream(model.stream("plan a walk"))
    chunks = [
        Real(
            content="",
            tool_call_chunks=[{"name": "search", "args": '{"q": "li', "id": "c1", "index": 0}],
        ),
        Real(
            content="", tool_call_chunks=[{"name": None, "args": 'sbon"}', "id": None, "index": 0}]
        ),
    ]
    s = instant.stream(chunks)
    list(s)
    assert (s.tool_calls[0].name, s.tool_calls[0].value) == ("search", {"q": "lisbon"})


def test_real_langchain_async_stream():
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    async def main():
        model = GenericFakeChatModel(messages=iter([AIMessage(content=REPLY)]))
        s = instant.stream(model.astream("plan a walk"))
        events = [e async for e in s]
        assert s.value == VALUE
        assert summary(events) == summary(plain_events(REPLY))

    run(main())


class CompletionResponse:
    """The shape of llama_index.core.base.llms.types.CompletionResponse (and ChatResponse)."""

    def __init__(self, text, delta):
        self.text = text
        self.delta = delta


def test_llama_index_responses():
    chunks, so_far = [], ""
    for p in pieces(REPLY):
        so_far += p
        chunks.append(CompletionResponse(so_far, p))
    chunks.append(CompletionResponse(so_far, None))
    check_text_stream(chunks)


def test_error_events_in_raw_streams_raise_stream_error():
    events = anthropic_events(REPLY)[:6]
    events.append({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    got = []
    with pytest.raises(instant.StreamError, match="Overloaded"):
        for e in instant.stream(events):
            got.append(e)
    assert got == [] or all(e["key"] for e in got)
    chunks = openai_chunks(REPLY)[:8] + [{"error": {"message": "server had an error"}}]
    with pytest.raises(instant.StreamError, match="server had an error"):
        list(instant.stream(chunks))


# -- tool calls -------------------------------------------------------------------------


def chat_chunk(delta):
    return {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
    }


def tool_delta(index, args, id=None, name=None):
    call = {"index": index, "function": {"arguments": args}}
    if id:
        call.update(id=id, type="function")
        call["function"]["name"] = name
    return chat_chunk({"tool_calls": [call]})


PARALLEL = [
    chat_chunk({"role": "assistant", "content": None}),
    tool_delta(0, "", id="call_a", name="get_weather"),
    tool_delta(0, '{"city": "Pa'),
    tool_delta(1, "", id="call_b", name="get_time"),
    tool_delta(1, '{"tz": "Europe/'),
    tool_delta(0, 'ris", "units": ["c'),
    tool_delta(1, 'Lisbon"}'),
    tool_delta(0, '"]}'),
]


def test_openai_parallel_tool_calls_interleaved():
    s = instant.stream(PARALLEL)
    events = list(s)
    assert [(c.index, c.id, c.name, c.value) for c in s.tool_calls] == [
        (0, "call_a", "get_weather", {"city": "Paris", "units": ["c"]}),
        (1, "call_b", "get_time", {"tz": "Europe/Lisbon"}),
    ]
    assert s.tool_calls[0].arguments == '{"city": "Paris", "units": ["c"]}'
    roots = [e for e in events if e["key"] == "" and e["event"] == "done"]
    assert [r["tool_call"] for r in roots] == [
        {"index": 1, "id": "call_b", "name": "get_time"},
        {"index": 0, "id": "call_a", "name": "get_weather"},
    ]  # call b's arguments closed first
    city = [e["delta"] for e in events if e["key"] == "city" and e["event"] == "delta"]
    assert "".join(city) == "Paris"
    assert s.value is None and s.text == ""


def test_tool_call_arguments_can_be_selected():
    s = instant.stream(PARALLEL, select="city&units.[]")
    got = [(e["tool_call"]["name"], e["key"], e["value"]) for e in s if e["event"] == "done"]
    assert got == [("get_weather", "city", "Paris"), ("get_weather", "units.[]", "c")]


def test_text_and_tool_calls_in_one_stream():
    chunks = [chat_chunk({"content": p}) for p in pieces('{"thought": "check the weather"}')]
    chunks += PARALLEL[1:]
    s = instant.stream(chunks)
    events = list(s)
    assert s.value == {"thought": "check the weather"}
    assert len(s.tool_calls) == 2
    assert {e.get("tool_call", {}).get("index") for e in events} == {None, 0, 1}


def test_prose_around_tool_calls_is_not_an_error():
    chunks = [chat_chunk({"content": "Let me look that up."})] + PARALLEL[1:]
    s = instant.stream(chunks)
    list(s)
    assert s.value is None and s.text == "Let me look that up."
    assert len(s.tool_calls) == 2


def test_a_reply_without_json_ends_normally_with_its_text():
    s = instant.stream([chat_chunk({"content": "Sorry, "}), chat_chunk({"content": "I can't."})])
    assert list(s) == []
    assert s.value is None and s.text == "Sorry, I can't."
    pairs = list(instant.generator(["Just ", "prose."]))
    assert pairs == [
        ("response:start", None),
        ("response:delta", "Just "),
        ("response:delta", "prose."),
        ("response:done", "Just prose."),
    ]
    with pytest.raises(instant.ParseError) as info:
        instant.parse(["Just ", "prose."])
    assert info.value.kind == "no_json"


def test_tool_call_without_arguments_gets_an_empty_object():
    s = instant.stream([tool_delta(0, "", id="call_x", name="now")])
    events = list(s)
    assert s.tool_calls[0].value == {}
    assert events[-1]["tool_call"]["name"] == "now"


def test_bad_tool_call_arguments_say_which_call():
    chunks = [tool_delta(0, '{"a": 1, "b": ', id="call_a", name="f"), tool_delta(0, "}")]
    got = []
    with pytest.raises(instant.ParseError) as info:
        for e in instant.stream(chunks):
            got.append(e)
    assert [(e["key"], e["value"]) for e in got] == [("a", 1)]
    assert "tool call 0 (f)" in "".join(info.value.__notes__)


def test_anthropic_tool_use_blocks():
    events = [
        {"type": "message_start", "message": {"id": "msg"}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": "Checking."},
        },
        {"type": "content_block_stop", "index": 0},
        {
            "type": "content_block_start",
            "index": 1,
            "content_block": {
                "type": "tool_use",
                "id": "toolu_1",
                "name": "get_weather",
                "input": {},
            },
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": ""},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": '{"city": "Par'},
        },
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": 'is"}'},
        },
        {"type": "content_block_stop", "index": 1},
        {
            "type": "content_block_start",
            "index": 2,
            "content_block": {"type": "tool_use", "id": "toolu_2", "name": "now", "input": {}},
        },
        {"type": "content_block_stop", "index": 2},
        {"type": "message_stop"},
    ]
    s = instant.stream(events)
    got = list(s)
    assert [(c.index, c.id, c.name, c.value) for c in s.tool_calls] == [
        (0, "toolu_1", "get_weather", {"city": "Paris"}),
        (1, "toolu_2", "now", {}),
    ]
    assert s.text == "Checking."
    # each call is finished at its content_block_stop, before the stream ends
    assert [e["tool_call"]["index"] for e in got if e["key"] == ""] == [0, 1]


def test_responses_function_calls():
    events = [
        {"type": "response.created", "response": {"id": "r"}},
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {
                "type": "function_call",
                "id": "fc_1",
                "call_id": "call_1",
                "name": "get_weather",
                "arguments": "",
            },
        },
        {
            "type": "response.output_item.added",
            "output_index": 1,
            "item": {
                "type": "function_call",
                "id": "fc_2",
                "call_id": "call_2",
                "name": "get_time",
                "arguments": "",
            },
        },
        {
            "type": "response.function_call_arguments.delta",
            "output_index": 0,
            "item_id": "fc_1",
            "delta": '{"city": ',
        },
        {
            "type": "response.function_call_arguments.delta",
            "output_index": 1,
            "item_id": "fc_2",
            "delta": '{"tz": "UTC"}',
        },
        {
            "type": "response.function_call_arguments.delta",
            "output_index": 0,
            "item_id": "fc_1",
            "delta": '"Oslo"}',
        },
        {
            "type": "response.function_call_arguments.done",
            "output_index": 0,
            "item_id": "fc_1",
            "arguments": '{"city": "Oslo"}',
        },
        {"type": "response.output_item.done", "output_index": 0, "item": {"type": "function_call"}},
        {
            "type": "response.function_call_arguments.done",
            "output_index": 1,
            "item_id": "fc_2",
            "arguments": '{"tz": "UTC"}',
        },
        {"type": "response.output_item.done", "output_index": 1, "item": {"type": "function_call"}},
        {"type": "response.completed", "response": {"id": "r"}},
    ]
    s = instant.stream(events)
    list(s)
    assert [(c.index, c.id, c.name, c.value) for c in s.tool_calls] == [
        (0, "call_1", "get_weather", {"city": "Oslo"}),
        (1, "call_2", "get_time", {"tz": "UTC"}),
    ]


def test_responses_arguments_only_in_done():
    events = [
        {
            "type": "response.output_item.added",
            "output_index": 0,
            "item": {"type": "function_call", "call_id": "c", "name": "f", "arguments": ""},
        },
        {
            "type": "response.function_call_arguments.done",
            "output_index": 0,
            "arguments": '{"x": 1}',
        },
    ]
    s = instant.stream(events)
    list(s)
    assert s.tool_calls[0].value == {"x": 1}


@given(st.lists(st.integers(1, 12), min_size=1, max_size=40), st.booleans())
def test_chunk_shape_and_chunking_do_not_change_the_events(sizes, as_objects):
    text, chunks, i, k = REPLY, [], 0, 0
    while i < len(text):
        n = sizes[k % len(sizes)]
        chunks.append(chat_chunk({"content": text[i : i + n]}))
        i, k = i + n, k + 1
    if as_objects:
        chunks = [to_ns(c) for c in chunks]
    assert summary(instant.stream(chunks)) == summary(plain_events(REPLY))


# -- Agently-style generators -----------------------------------------------------------


def test_generator_pairs():
    items = list(instant.generator(['{"a": "x', 'y", "b": [1]}']))
    assert items[0] == ("response:start", None)
    assert items[-1] == ("response:done", '{"a": "xy", "b": [1]}')
    names = [name for name, _ in items]
    assert names == [
        "response:start",
        "response:delta",
        "instant",
        "response:delta",
        "instant",
        "instant",
        "instant",
        "instant",
        "instant",
        "response:done",
    ]
    assert [d for n, d in items if n == "response:delta"] == ['{"a": "x', 'y", "b": [1]}']


def test_complete_generator_pairs():
    chunks = [chat_chunk({"content": '{"a": '}), chat_chunk({"content": "1}"}), chat_chunk({})]
    items = list(instant.complete_generator(chunks))
    names = [n for n, _ in items]
    assert names == [
        "response:start",
        "response:delta_origin",
        "response:delta",
        "response:delta_origin",
        "response:delta",
        "instant",
        "instant",
        "response:delta_origin",
        "response:done_origin",
        "response:done",
        "response:finally",
    ]
    assert items[1][1] is chunks[0]
    assert items[-3] == ("response:done_origin", chunks[-1])


def test_complete_generator_finally_comes_before_an_error():
    src = Source(['{"a": 1, ', '"b"'], fail_at=1)
    items = []
    with pytest.raises(ConnectionError):
        for item in instant.complete_generator(src):
            items.append(item[0])
    assert items[-1] == "response:finally"
    assert "response:done" not in items


def test_generator_break_closes_source():
    src = Source(pieces(REPLY))
    for name, _ in instant.generator(src):
        if name == "instant":
            break
    assert src.closed


def test_instant_and_keys_generators():
    assert summary(instant.instant_generator(pieces(REPLY))) == summary(plain_events(REPLY))
    got = [e["value"] for e in instant.instant_keys_generator(pieces(REPLY), "stops.[].name.$done")]
    assert got == ["Belém", "Alfama"]


def test_async_generators():
    async def main():
        items = [i async for i in instant.generator(ASource(['{"a": "x', 'y"}']))]
        assert items[0] == ("response:start", None) and items[-1] == (
            "response:done",
            '{"a": "xy"}',
        )
        items2 = [i async for i in instant.agenerator(ASource(['{"a": "x', 'y"}']))]
        assert [n for n, _ in items2] == [n for n, _ in items]
        full = [n async for n, _ in instant.acomplete_generator(ASource(['{"a": 1}']))]
        assert full[-1] == "response:finally" and "response:done_origin" in full
        events = [e async for e in instant.ainstant_generator(ASource(pieces(REPLY)))]
        assert summary(events) == summary(plain_events(REPLY))
        names = [
            e["value"]
            async for e in instant.ainstant_keys_generator(
                ASource(pieces(REPLY)), "stops.[].name$done".replace("$", ".$")
            )
        ]
        assert names == ["Belém", "Alfama"]
        src = ASource(['{"a": 1, ', '"b"'], fail_at=1)
        seen = []
        with pytest.raises(ConnectionError):
            async for n, _ in instant.acomplete_generator(src):
                seen.append(n)
        assert seen[-1] == "response:finally"

    run(main())


# -- Agently v3 compatibility -----------------------------------------------------------


def test_agently_v3_shape():
    text = '{"value_a": "Hi", "list_b": [{"k": 1}]}'
    got = [
        (e["key"], e["indexes"], e["delta"], e["value"])
        for e in agently.instant_generator(pieces(text, 4))
    ]
    assert got == [
        ("value_a.$delta", [], "Hi", "Hi"),
        ("value_a", [], "Hi", "Hi"),
        ("list_b.[].k", [0], 1, 1),
        ("list_b.[]", [0], {"k": 1}, {"k": 1}),
        ("list_b", [], [{"k": 1}], [{"k": 1}]),
        ("", [], json.loads(text), json.loads(text)),
    ]
    assert all(
        set(e) == {"key", "indexes", "delta", "value", "complete_value"}
        for e in agently.instant_generator([text])
    )


def test_agently_v3_root_string_and_start_events():
    # the compat layer expects an object, as Agently did; expect=None takes any value
    assert list(agently.instant_generator(['"a', 'b"'])) == []
    got = [e["key"] for e in agently.instant_generator(['"a', 'b"'], emit_start=True, expect=None)]
    assert got == ["$delta", "$delta", ""]
    got = [e["key"] for e in agently.instant_generator(['{"a": [1]}'], emit_start=True)]
    assert got == ["a.[]", "a", ""]  # v3 had no start events


def test_agently_v3_generators():
    pairs = list(agently.generator(['{"a": "x"}']))
    assert pairs[0] == ("response:start", {})  # Agently 3 started with an empty dict
    assert (
        "instant",
        {
            "key": "a.$delta",
            "indexes": [],
            "delta": "x",
            "value": "x",
            "complete_value": {"a": "x"},
        },
    ) in pairs
    keys = [e["key"] for e in agently.instant_keys_generator(['{"a": "x", "b": 2}'], "b")]
    assert keys == ["b"]

    async def main():
        got = [e["key"] async for e in agently.instant_generator(ASource(['{"a": 1}']))]
        assert got == ["a", ""]
        got2 = [n async for n, _ in agently.generator(ASource(['{"a": 1}']))]
        assert got2[0] == "response:start" and got2[-1] == "response:done"

    run(main())
