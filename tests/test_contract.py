"""The typed face's contract: options checked when given, consistent entry points, events that
never change after they are handed out, and error kinds code can match on."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import BaseModel

import instant
from instant.compat import agently


class M(BaseModel):
    a: int | None = None


def drain(x: Any) -> Any:
    """Run whatever an entry point returned far enough to see an error."""
    if hasattr(x, "__aiter__"):

        async def go() -> list[Any]:
            return [i async for i in x]

        return asyncio.run(go())
    if hasattr(x, "__iter__") and not isinstance(x, (str, bytes, dict, list)):
        return list(x)
    return x


async def agen(*chunks: str) -> AsyncIterator[str]:
    for c in chunks:
        yield c


# Every entry point that takes parser options, called with a source and the options.
ENTRY_POINTS: dict[str, Any] = {
    "Parser()": lambda src, **o: instant.Parser(**o),
    "instant.parse()": lambda src, **o: instant.parse(src, **o),
    "instant.iter_events()": lambda src, **o: instant.iter_events([src], **o),
    "instant.stream()": lambda src, **o: instant.stream([src], **o),
    "instant.generator()": lambda src, **o: instant.generator([src], **o),
    "instant.complete_generator()": lambda src, **o: instant.complete_generator([src], **o),
    "instant.instant_generator()": lambda src, **o: instant.instant_generator([src], **o),
    "instant.instant_keys_generator()": lambda src, **o: instant.instant_keys_generator(
        [src], "a", **o
    ),
    "instant.agenerator()": lambda src, **o: instant.agenerator(agen(src), **o),
    "instant.acomplete_generator()": lambda src, **o: instant.acomplete_generator(agen(src), **o),
    "instant.ainstant_generator()": lambda src, **o: instant.ainstant_generator(agen(src), **o),
    "instant.ainstant_keys_generator()": lambda src, **o: instant.ainstant_keys_generator(
        agen(src), "a", **o
    ),
    "instant.stream_model()": lambda src, **o: instant.stream_model(M, [src], **o),
    "instant.astream_model()": lambda src, **o: instant.astream_model(M, agen(src), **o),
    "instant.compat.agently.instant_generator()": lambda src, **o: agently.instant_generator(
        [src], **o
    ),
    "instant.compat.agently.generator()": lambda src, **o: agently.generator([src], **o),
}

BAD_OPTIONS = [
    ({"strcit": True}, TypeError, r"unexpected option 'strcit' \(did you mean 'strict'\?\)"),
    ({"max_depth": -1}, ValueError, "max_depth must be at least 1, not -1"),
    ({"max_depth": "10"}, TypeError, "max_depth must be an int, not '10'"),
    ({"max_depth": True}, TypeError, "max_depth must be an int"),
    ({"expect": "dict"}, ValueError, "expect must be None, 'object' or 'array', not 'dict'"),
    ({"expect": 1}, TypeError, "expect must be None"),
    ({"strict": "yes"}, TypeError, "strict must be True or False, not 'yes'"),
    ({"max_size": -5}, ValueError, "max_size must be at least 0"),
    ({"max_number_length": 0}, ValueError, "max_number_length must be at least 1"),
    ({"parse_float": 3}, TypeError, "parse_float must be a function"),
    ({"select": 3}, TypeError, "select must be a selector expression"),
]


@pytest.mark.parametrize("where", ENTRY_POINTS)
@pytest.mark.parametrize("options, error, message", BAD_OPTIONS)
def test_bad_options_fail_when_given(
    where: str, options: dict[str, Any], error: Any, message: str
) -> None:
    if where.startswith(("instant.instant_keys", "instant.ainstant_keys")) and "select" in options:
        return  # these take the selector as an argument
    if where.endswith("stream_model()") and "select" in options:
        return  # stream_model sets its own selection
    with pytest.raises(error, match=message) as info:
        ENTRY_POINTS[where]('{"a": 1}', **options)  # no iteration: it fails at once
    if "unexpected option" in message:
        assert where in str(info.value)


@pytest.mark.parametrize("where", ENTRY_POINTS)
def test_good_options_pass(where: str) -> None:
    result = drain(ENTRY_POINTS[where]('{"a": 1}', strict=False, max_depth=10, expect="object"))
    assert result is not None


def test_a_selector_error_is_a_selector_error_at_construction() -> None:
    with pytest.raises(instant.SelectorError):
        instant.stream(["{}"], select="a..b")
    with pytest.raises(instant.SelectorError):
        instant.Parser(select="[")


# -- consistent entry points ---------------------------------------------------------------


WHOLE = 'Here: {"a": [1, 2]}'


def test_a_whole_text_is_one_chunk_everywhere() -> None:
    value = {"a": [1, 2]}
    assert instant.parse(WHOLE) == value
    assert instant.parse(WHOLE.encode()) == value
    for source in (WHOLE, WHOLE.encode()):
        assert [e["key"] for e in instant.iter_events(source)] == ["a.[]", "a.[]", "a", ""]
        s = instant.stream(source)
        assert [e["key"] for e in s] == ["a.[]", "a.[]", "a", ""] and s.value == value
        assert list(instant.generator(source))[-1] == ("response:done", WHOLE)
        assert list(agently.instant_generator(source))[-1]["value"] == value
    assert list(instant.stream_model(M, '{"a": 3}'))[-1] == M(a=3)


def test_an_sdk_stream_goes_to_parse_too() -> None:
    chunks = [
        {"choices": [{"index": 0, "delta": {"content": '{"a": '}}]},
        {"choices": [{"index": 0, "delta": {"content": "[1, 2]}"}, "finish_reason": "stop"}]},
    ]
    assert instant.parse(chunks) == {"a": [1, 2]}
    assert instant.parse(iter(chunks)) == {"a": [1, 2]}


def test_not_a_source_names_the_entry_point() -> None:
    for call, name in (
        (lambda: instant.stream(42), "instant.stream()"),
        (lambda: instant.iter_events(42), "instant.iter_events()"),
        (lambda: instant.generator(42), "instant.generator()"),
        (lambda: instant.parse(42), "instant.parse()"),
        (lambda: instant.stream_model(M, 42), "instant.stream_model()"),
        (lambda: agently.instant_generator(42), "agently.instant_generator()"),
    ):
        with pytest.raises(TypeError, match="takes a model stream") as info:
            call()
        assert name in str(info.value) and "not int" in str(info.value)


def test_async_sources_to_sync_only_calls_say_what_to_use() -> None:
    with pytest.raises(TypeError, match=r"instant\.stream\("):
        instant.parse(agen("{}"))
    with pytest.raises(TypeError, match=r"instant\.stream\("):
        instant.iter_events(agen("{}"))
    with pytest.raises(TypeError, match=r"astream_model\(\)"):
        instant.stream_model(M, agen("{}"))


def test_feed_rejects_what_is_not_text() -> None:
    with pytest.raises(TypeError, match="feed\\(\\) takes str or bytes, not int"):
        instant.Parser().feed(42)  # type: ignore[arg-type]


# -- events never change after being handed out -------------------------------------------------


def tool_delta(args: str, id: str | None = None, name: str | None = None) -> dict[str, Any]:
    call = {"index": 0, "id": id, "function": {"name": name, "arguments": args}}
    return {"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]}


def test_tool_call_info_of_earlier_events_is_not_changed_by_later_chunks() -> None:
    # the call's name arrives after its first argument text (some proxies do this)
    chunks = [tool_delta('{"city": "Par'), tool_delta('is"}', id="call_1", name="weather")]
    events = []
    seen = []
    for e in instant.stream(chunks):
        events.append(e)
        seen.append(copy.deepcopy(e["tool_call"]))
    assert [e["tool_call"] for e in events] == seen
    assert seen[0] == {"index": 0, "id": None, "name": None}
    assert seen[-1] == {"index": 0, "id": "call_1", "name": "weather"}
    assert len({id(e["tool_call"]) for e in events}) == len(events)


DOCS = [
    '{"a": "x", "b": [1, "yy", {"c": "z"}], "d": {"e": [[1], [2, "w"]]}}',
    '[{"k": "v1"}, {"k": "v2"}, ["s", "t"]]',
    '{"big": ' + "[" + ", ".join(f'"s{i}"' for i in range(300)) + "]}",
]


@pytest.mark.parametrize("doc", DOCS)
@pytest.mark.parametrize("size", [1, 3, 7, 10_000])
@pytest.mark.parametrize("emit_start", [False, True])
def test_no_two_events_share_an_indexes_list(doc: str, size: int, emit_start: bool) -> None:
    p = instant.Parser(emit_start=emit_start)
    events = []
    for i in range(0, len(doc), size):
        events += p.feed(doc[i : i + size])
    events += p.close()
    lists = [id(e["indexes"]) for e in events]
    assert len(set(lists)) == len(lists)


@pytest.mark.parametrize("doc", DOCS)
@pytest.mark.parametrize("size", [1, 5, 10_000])
def test_handed_out_events_never_change(doc: str, size: int) -> None:
    p = instant.Parser()
    kept: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for i in range(0, len(doc), size):
        for e in p.feed(doc[i : i + size]):
            kept.append((e, copy.deepcopy(e)))
    for e in p.close():
        kept.append((e, copy.deepcopy(e)))
    for e, then in kept:
        assert e == then


# -- error kinds ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, options, kind",
    [
        ('{"a": 1 @}', {}, "syntax"),
        ("[" * 50, {"max_depth": 10}, "limit"),
        ('{"a": 123456}', {"max_number_length": 3}, "limit"),
        ('{"a": "' + "x" * 50 + '"}', {"max_size": 20}, "limit"),
        ("no json here", {}, "no_json"),
        (b'{"a": "\xff"}', {}, "encoding"),
    ],
)
def test_error_kinds(text: str | bytes, options: dict[str, Any], kind: str) -> None:
    with pytest.raises(instant.ParseError) as info:
        instant.parse(text, **options)
    assert info.value.kind == kind
    import pickle

    assert pickle.loads(pickle.dumps(info.value)).kind == kind
