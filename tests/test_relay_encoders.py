"""instant.relay's patch and text encoders: what a client rebuilds is the document, in every chunking."""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import instant
from instant.relay import apply_patch, compact, json_patch, text
from instant.relay.patch import PatchEncoder
from instant.relay.text import TextEncoder
from instant.strategies import (
    chunkings,
    json_scalars,
    json_texts,
    json_values,
    model_outputs,
    truncations,
)
from tests.chunking import first_difference


def canonical(value: Any) -> str:
    """json.dumps' compact form, a lone surrogate written as its \\u escape (the contract)."""
    dumped = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", dumped)


def events_of(chunks: list[Any], **options: Any) -> list[dict[str, Any]]:
    parser = instant.Parser(**options)
    events = [e for chunk in chunks for e in parser.feed(chunk)]
    return events + parser.close()


def patched(events: list[dict[str, Any]], append: bool = True) -> Any:
    doc = None
    for ops in json_patch(events, append=append):
        doc = apply_patch(doc, ops)
    return doc


# -- the properties -----------------------------------------------------------------------


def wordy_values() -> st.SearchStrategy[Any]:
    """Documents whose strings are long enough to stream in several deltas: a long text,
    a list of items with long strings, and any value beside them."""
    strings = st.text(st.characters(codec="utf-8"), min_size=8, max_size=40)
    item = st.one_of(
        strings, st.fixed_dictionaries({"name": strings}, optional={"n": json_scalars()})
    )
    return st.fixed_dictionaries(
        {"text": strings, "items": st.lists(item, min_size=1, max_size=4)},
        optional={"other": json_values(max_leaves=6, max_size=3)},
    )


# model replies (prose, fences, leniencies) around plain values and around wordy ones
REPLIES = st.one_of(model_outputs(), model_outputs(values=wordy_values()))


@st.composite
def cuts(draw: st.DrawFn, reply: str) -> list[Any]:
    """instant's chunkings, or the reply cut every 1 to k characters (many deltas)."""
    if draw(st.booleans()):
        return draw(chunkings(reply))
    k = draw(st.integers(1, 10))
    rng = random.Random(draw(st.integers(0, 2**16)))
    out, i = [], 0
    while i < len(reply):
        n = rng.randint(1, k)
        out.append(reply[i : i + n])
        i += n
    return out


def check_feed_by_feed(chunks: list[Any], append: bool, **options: Any) -> tuple[Any, str]:
    """Feed ``chunks``; after each feed() call (and close()), the patches so far applied to
    null equal the complete_value of the call's last event, and the text so far is what
    the events so far write. Returns the patched document and the whole text."""
    parser = instant.Parser(**options)
    patches, writer = PatchEncoder(append), TextEncoder()
    doc: Any = None
    written = ""
    for chunk in [*chunks, None]:
        events = parser.feed(chunk) if chunk is not None else parser.close()
        for event in events:
            [ops] = patches.feed(event)
            doc = apply_patch(doc, ops)
            written += "".join(writer.feed(event))
        if events:
            last = events[-1]["complete_value"]
            assert first_difference(doc, last) is None, (chunks, doc, last)
    return doc, written


@given(output=REPLIES, data=st.data(), append=st.booleans(), start=st.booleans())
def test_patches_after_each_feed_are_the_complete_value(
    output: tuple[str, Any], data: st.DataObject, append: bool, start: bool
) -> None:
    reply, value = output
    chunks = data.draw(cuts(reply))
    doc, written = check_feed_by_feed(chunks, append, emit_start=start)
    assert first_difference(doc, value) is None
    assert written == canonical(value)


@given(output=REPLIES, data=st.data(), append=st.booleans())
def test_truncated_replies_patch_and_write_what_the_parser_finishes(
    output: tuple[str, Any], data: st.DataObject, append: bool
) -> None:
    reply = data.draw(truncations(output[0]))
    chunks = data.draw(cuts(reply))
    try:
        doc, written = check_feed_by_feed(chunks, append)
    except instant.ParseError:
        return  # cut before any JSON
    final = instant.Parser()
    for chunk in chunks:
        final.feed(chunk)
    final.close()
    assert first_difference(doc, final.value) is None
    assert written == canonical(final.value)


@given(value=json_values(), data=st.data())
def test_text_so_far_is_always_a_prefix_of_the_final_canonical_text(
    value: Any, data: st.DataObject
) -> None:
    source = data.draw(json_texts(st.just(value)))  # (a bare None would draw any value)
    chunks = data.draw(chunkings(source))
    final = canonical(value)
    so_far = ""
    for piece in text(events_of(chunks)):
        assert piece, "pieces are never empty"
        so_far += piece
        assert final.startswith(so_far)
    assert so_far == final


@given(values=st.lists(json_values(max_leaves=8), min_size=1, max_size=4), data=st.data())
def test_several_documents_patch_one_after_another(values: list[Any], data: st.DataObject) -> None:
    source = "\n".join(canonical(v) for v in values) + "\n"
    chunks = data.draw(chunkings(source))
    parser = instant.Parser(multiple=True)
    encoder = PatchEncoder()
    doc: Any = None
    for chunk in [*chunks, None]:
        events = parser.feed(chunk) if chunk is not None else parser.close()
        for event in events:
            doc = apply_patch(doc, encoder.feed(event)[0])
        if events:
            assert first_difference(doc, events[-1]["complete_value"]) is None
    assert first_difference(doc, values[-1]) is None
    assert "".join(text(events_of(chunks, multiple=True))) == "\n".join(map(canonical, values))


# -- examples -----------------------------------------------------------------------------

CHUNKS = [
    'Sure! ```json\n{"title": "Lis',
    'bon", "stops": [{"name": "Be',
    'lém"}, {"name": "Alfama"}]}\n```',
]


def test_the_operations_of_a_reply() -> None:
    got = list(json_patch(events_of(CHUNKS)))
    assert got == [
        [
            {"op": "add", "path": "", "value": {}},
            {"op": "add", "path": "/title", "value": "Lis"},
        ],
        [{"op": "append", "path": "/title", "value": "bon"}],
        [],  # done title: the client has it all
        [
            {"op": "add", "path": "/stops", "value": []},
            {"op": "add", "path": "/stops/-", "value": {}},
            {"op": "add", "path": "/stops/0/name", "value": "Be"},
        ],
        [{"op": "append", "path": "/stops/0/name", "value": "lém"}],
        [],
        [],
        [
            {"op": "add", "path": "/stops/-", "value": {}},
            {"op": "add", "path": "/stops/1/name", "value": "Alfama"},
        ],
        [],
        [],
        [],
        [],
    ]
    strict = list(json_patch(events_of(CHUNKS), append=False))
    assert strict[1] == [{"op": "replace", "path": "/title", "value": "Lisbon"}]
    assert strict[4] == [{"op": "replace", "path": "/stops/0/name", "value": "Belém"}]
    assert "".join(text(events_of(CHUNKS))) == (
        '{"title":"Lisbon","stops":[{"name":"Belém"},{"name":"Alfama"}]}'
    )


def test_keys_are_escaped_as_json_pointers_and_roots_of_any_kind_work() -> None:
    events = events_of(['{"a/b": {"m~n": [1, "x"]}, "": true}'])
    ops = [op for ops in json_patch(events) for op in ops]
    assert [op["path"] for op in ops] == [
        "",
        "/a~1b",
        "/a~1b/m~0n",
        "/a~1b/m~0n/-",
        "/a~1b/m~0n/-",
        "/",
    ]
    assert patched(events) == {"a/b": {"m~n": [1, "x"]}, "": True}
    for root in ['"just a string"', "42", "[]", "{}", "null"]:
        evs = events_of([root[:3], root[3:]])
        assert patched(evs) == json.loads(root)
        assert "".join(text(evs)) == root


def test_nan_and_infinity_are_written_as_json_dumps_writes_them() -> None:
    events = events_of(["{'a': NaN, 'b': [Infinity, -Infinity], 'c': 1e400}"])
    assert "".join(text(events)) == '{"a":NaN,"b":[Infinity,-Infinity],"c":Infinity}'


def test_duplicate_keys_the_text_shows_every_member_and_parses_to_the_final_value() -> None:
    events = events_of(['{"a": "first", "b": 1, "a": {"x": [2]}}'])
    written = "".join(text(events))
    assert written == '{"a":"first","b":1,"a":{"x":[2]}}'
    assert json.loads(written) == events[-1]["value"] == {"a": {"x": [2]}, "b": 1}
    assert patched(events) == {"a": {"x": [2]}, "b": 1}


def test_a_lone_surrogate_is_written_as_its_escape_so_the_text_encodes() -> None:
    events = events_of(['{"s": "a\\ud800b", "\\udfff": 1}'])
    written = "".join(text(events))
    assert written == '{"s":"a\\ud800b","\\udfff":1}'
    written.encode("utf-8")
    assert json.loads(written) == events[-1]["value"]


def test_tool_call_events_get_empty_patch_lists_and_no_text() -> None:
    chunks = [
        {"choices": [{"delta": {"content": '{"answer": "hi"}'}}]},
        {
            "choices": [
                {
                    "delta": {
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "c1",
                                "function": {"name": "f", "arguments": '{"q": 1}'},
                            }
                        ]
                    }
                }
            ]
        },
    ]
    events = list(instant.stream(chunks))
    lists = list(json_patch(events))
    assert len(lists) == len(events)
    assert [ops for e, ops in zip(events, lists) if "tool_call" in e] == [[], []]
    assert patched(events) == {"answer": "hi"}
    assert "".join(text(events)) == '{"answer":"hi"}'


def test_selected_events_patch_the_selected_projection() -> None:
    reply = '{"title": "T", "items": [{"name": "a", "n": 1}, {"name": "b", "n": 2}], "z": 0}'
    events = events_of([reply], select="items.[].name")
    assert patched(events) == {"items": [{"name": "a"}, {"name": "b"}]}
    assert "".join(text(events)) == '{"items":[{"name":"a"},{"name":"b"}]}'
    deltas = events_of([reply[:30], reply[30:]], select="title.$delta")  # no done
    assert "".join(text(deltas)) == '{"title":"T"}'


def test_an_array_item_that_skips_an_index_is_a_value_error() -> None:
    events = events_of(['{"items": [1, 2, 3]}'], select="items.[]?1:")
    with pytest.raises(ValueError, match=r"skip an index"):
        list(json_patch(events))
    with pytest.raises(ValueError, match=r"skip an index"):
        list(text(events))


def test_what_is_not_events_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"not str.*instant.stream"):
        json_patch('{"a": 1}')  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"an iterable or async iterable, not int"):
        text(3)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"expected an instant event"):
        list(json_patch([{"op": "add"}]))


def test_async_events_give_an_async_iterator_and_closing_it_closes_the_source() -> None:
    closed: list[str] = []

    async def chunks() -> AsyncIterator[str]:
        try:
            for piece in CHUNKS:
                yield piece
        finally:
            closed.append("source")

    async def main() -> tuple[Any, str, list[list[dict[str, Any]]]]:
        doc = None
        async for ops in json_patch(instant.stream(chunks())):
            doc = apply_patch(doc, ops)
        written = "".join([piece async for piece in text(instant.stream(chunks()))])
        first: list[list[dict[str, Any]]] = []
        stream = json_patch(instant.stream(chunks()))
        first.append(await stream.__anext__())
        await stream.aclose()  # type: ignore[attr-defined]
        return doc, written, first

    doc, written, first = asyncio.run(main())
    assert doc == {"title": "Lisbon", "stops": [{"name": "Belém"}, {"name": "Alfama"}]}
    assert written == canonical(doc)
    assert first[0][0] == {"op": "add", "path": "", "value": {}}
    assert closed == ["source", "source", "source"]


def test_closing_a_sync_stream_early_closes_the_source() -> None:
    closed: list[bool] = []

    def chunks() -> Iterator[str]:
        try:
            yield from CHUNKS
        finally:
            closed.append(True)

    lists = json_patch(instant.stream(chunks()))
    next(lists)
    lists.close()  # type: ignore[attr-defined]
    assert closed == [True]


# -- applying and compacting ----------------------------------------------------------------


def test_apply_patch_does_the_four_operations_and_copies_values_in() -> None:
    value = {"k": [1]}
    doc = apply_patch(
        None, [{"op": "add", "path": "", "value": {}}, {"op": "add", "path": "/v", "value": value}]
    )
    apply_patch(doc, [{"op": "add", "path": "/v/k/-", "value": 2}])
    assert value == {"k": [1]} and doc == {"v": {"k": [1, 2]}}
    doc = apply_patch(
        doc,
        [
            {"op": "add", "path": "/v/k/0", "value": 0},
            {"op": "replace", "path": "/v/k/2", "value": "s"},
            {"op": "append", "path": "/v/k/2", "value": "t"},
            {"op": "remove", "path": "/v/k/1"},
            {"op": "add", "path": "/x", "value": "a"},
            {"op": "append", "path": "/x", "value": "b"},
        ],
    )
    assert doc == {"v": {"k": [0, "st"]}, "x": "ab"}
    assert apply_patch("ab", [{"op": "append", "path": "", "value": "c"}]) == "abc"


@pytest.mark.parametrize(
    ("op", "message"),
    [
        ({"op": "move", "path": "/a", "from": "/b"}, "unsupported"),
        ({"op": "add", "path": "a", "value": 1}, "starts with '/'"),
        ({"op": "add", "path": "/a~2", "value": 1}, "'~' must be followed"),
        ({"op": "replace", "path": "/nope", "value": 1}, "no member 'nope'"),
        ({"op": "add", "path": "/l/5", "value": 1}, "out of range"),
        ({"op": "add", "path": "/l/01", "value": 1}, "not an array index"),
        ({"op": "append", "path": "/l/0", "value": "x"}, "needs a string"),
        ({"op": "add", "path": "/l/0/x", "value": 1}, "the parent is int"),
        ({"op": "add", "path": "/m/x/y", "value": 1}, "no value at '/m/x'"),
        ({"op": "add", "path": "/a"}, "needs a 'value'"),
    ],
)
def test_apply_patch_names_what_is_wrong(op: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        apply_patch({"l": [1], "m": {}}, [op])


@given(output=REPLIES, data=st.data(), append=st.booleans())
def test_compacted_operations_apply_to_the_same_document(
    output: tuple[str, Any], data: st.DataObject, append: bool
) -> None:
    lists = list(json_patch(events_of(data.draw(cuts(output[0]))), append=append))
    cut = sorted(data.draw(st.lists(st.integers(0, len(lists)), max_size=6)))
    doc: Any = None
    for a, b in zip([0, *cut], [*cut, len(lists)]):
        ops = [op for ops in lists[a:b] for op in ops]
        merged = compact(ops)
        assert len(merged) <= len(ops)
        doc = apply_patch(doc, merged)
    assert first_difference(doc, output[1]) is None


def test_compact_joins_appends_and_lets_a_replace_supersede() -> None:
    ops = [
        {"op": "add", "path": "/s", "value": "a"},
        {"op": "append", "path": "/s", "value": "b"},
        {"op": "append", "path": "/s", "value": "c"},
        {"op": "add", "path": "/l/-", "value": "x"},
        {"op": "append", "path": "/l/0", "value": "y"},
        {"op": "append", "path": "/l/0", "value": "z"},
        {"op": "replace", "path": "/t", "value": "1"},
        {"op": "replace", "path": "/t", "value": "12"},
    ]
    before = json.dumps(ops)
    assert compact(ops) == [
        {"op": "add", "path": "/s", "value": "abc"},
        {"op": "add", "path": "/l/-", "value": "x"},
        {"op": "append", "path": "/l/0", "value": "yz"},
        {"op": "replace", "path": "/t", "value": "12"},
    ]
    assert json.dumps(ops) == before  # the input is not changed


def test_with_append_each_character_of_a_long_string_is_sent_once() -> None:
    answer = "".join(f"word{i % 97} " for i in range(9000))[:65536]  # one 64 KB string
    reply = json.dumps({"answer": answer, "n": 1})
    chunks = [reply[i : i + 4] for i in range(0, len(reply), 4)]  # token-sized

    def text_sent(append: bool) -> int:
        lists = json_patch(instant.stream(chunks), append=append)
        return sum(len(op["value"]) for ops in lists for op in ops if isinstance(op["value"], str))

    assert text_sent(append=True) == len(answer)  # O(length)
    assert text_sent(append=False) > len(answer) * len(answer) // 16  # O(length^2 / chunk)


def test_a_selection_left_open_is_closed_before_the_next_document() -> None:
    events = events_of(['{"a": "xy", "b": 1} {"a": "z"}'], multiple=True, select="a.$delta")
    assert "".join(text(events)) == '{"a":"xy"}\n{"a":"z"}'
    assert patched(events) == {"a": "z"}
