"""Selectors (SPEC.md section 6), through the public API only.

* every element of the language, each on a document that has the keys it names;
* Agently's documented example expression on a document with those keys;
* malformed expressions: ``SelectorError`` (a ``ValueError``) with the position and the message;
* selecting never changes parsing: the value and every kept event are what an unfiltered
  parser gives;
* a property: for random documents, random chunkings and random expressions drawn from the
  paths that occur in them, ``Parser(select=expr)`` gives exactly what an independent
  brute-force matcher keeps of all the events.
"""

from __future__ import annotations

import copy
import json
import pickle
import random
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

import instant

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def chunked(text: str, size: int = 3) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def run(text: str, select: Any = None, size: int = 3, **opts: Any) -> list[dict[str, Any]]:
    """All events of ``text`` fed in ``size``-character chunks (``select``: only those)."""
    if select is not None:
        opts["select"] = select
    parser = instant.Parser(**opts)
    events: list[dict[str, Any]] = []
    for chunk in chunked(text, size):
        events += parser.feed(chunk)
    events += parser.close()
    return events


def picked(text: str, expr: str, **opts: Any) -> list[tuple[str, str, list[int]]]:
    """(event, key, indexes) of the events ``expr`` selects."""
    return [(e["event"], e["key"], e["indexes"]) for e in run(text, expr, **opts)]


def keys(text: str, expr: str, **opts: Any) -> list[str]:
    """The keys of the done events ``expr`` selects, in order."""
    return [e["key"] for e in run(text, expr, **opts) if e["event"] == "done"]


AGENTLY = {
    "value_a": "Hello",
    "value_b": "unused",
    "dict_a": {"key_1": "one", "key_2": "two"},
    "list_b": [
        {
            "list_with_dict_in_list_b": [{"key_3": "b0 d0", "key_4": 1}, {"key_3": "b0 d1"}],
            "other": True,
        },
        {"list_with_dict_in_list_b": [{"key_3": "b1 d0"}, {"key_3": "b1 d1"}]},
    ],
}
AGENTLY_TEXT = json.dumps(AGENTLY, indent=2)
AGENTLY_EXPR = "instant:value_a&dict_a.key_1&list_b.[].list_with_dict_in_list_b.[].key_3?_,0"

NESTED = json.dumps(
    {
        "a": {"b": {"c": 1, "d": [10, 20]}, "e": "x"},
        "items": [
            {"name": "n0", "tags": ["t0", "t1", "t2"]},
            {"name": "n1", "tags": []},
            {"name": "n2", "tags": ["u0"]},
            {"name": "n3"},
            {"name": "n4", "tags": ["v0", "v1", "v2", "v3"]},
            {"name": "n5"},
        ],
        "名前": {"ключ": "значение", "x-id": 7, "_": 0, "0": "zero"},
    }
)


# --------------------------------------------------------------------------------------------
# Agently's example
# --------------------------------------------------------------------------------------------


def test_agently_documented_example() -> None:
    got = run(AGENTLY_TEXT, AGENTLY_EXPR)
    # every delta and done of value_a and dict_a.key_1, and key_3 of the first dict of every
    # list_with_dict_in_list_b (any list_b index, inner index 0)
    assert {e["key"] for e in got} == {
        "value_a",
        "dict_a.key_1",
        "list_b.[].list_with_dict_in_list_b.[].key_3",
    }
    done = [(e["key"], e["indexes"], e["value"]) for e in got if e["is_complete"]]
    assert done == [
        ("value_a", [], "Hello"),
        ("dict_a.key_1", [], "one"),
        ("list_b.[].list_with_dict_in_list_b.[].key_3", [0, 0], "b0 d0"),
        ("list_b.[].list_with_dict_in_list_b.[].key_3", [1, 0], "b1 d0"),
    ]
    deltas = "".join(e["delta"] for e in got if e["key"] == "value_a" and e["event"] == "delta")
    assert deltas == "Hello"
    # the selection is a filter of the full stream: same events, same order, same fields
    selector = instant.compile_selector(AGENTLY_EXPR)
    assert got == [e for e in run(AGENTLY_TEXT) if selector.matches(e)]


def test_agently_example_with_done_and_delta_segments() -> None:
    expr = "value_a.$delta & list_b.[].list_with_dict_in_list_b.[].key_3.$done?_,0"
    got = picked(AGENTLY_TEXT, expr, size=2)
    assert {kind for kind, key, _ in got if key == "value_a"} == {"delta"}
    assert [(k, i) for kind, k, i in got if kind == "done"] == [
        ("list_b.[].list_with_dict_in_list_b.[].key_3", [0, 0]),
        ("list_b.[].list_with_dict_in_list_b.[].key_3", [1, 0]),
    ]


# --------------------------------------------------------------------------------------------
# Each element of the language
# --------------------------------------------------------------------------------------------


def test_prefix_is_optional() -> None:
    assert run(NESTED, "instant:a.e") == run(NESTED, "a.e") != []
    assert run(NESTED, "instant: a.e") == run(NESTED, "a.e")


def test_a_key_named_instant_is_not_the_prefix() -> None:
    text = '{"instant": {"a": 1}, "a": 2}'
    assert keys(text, "instant.a") == ["instant.a"]
    assert keys(text, "instant") == ["instant"]
    assert keys(text, "instant:instant") == ["instant"]


def test_alternatives_select_an_event_once() -> None:
    one = run(NESTED, "a.b.c")
    assert [e["key"] for e in one] == ["a.b.c"]
    assert run(NESTED, "a.b.c&a.b.c&a.*.c&**.c&a.**") == run(NESTED, "a.**")
    assert keys(NESTED, "a.e&a.b.c") == ["a.b.c", "a.e"]  # document order, not term order


def test_dotted_keys_in_any_script() -> None:
    assert keys(NESTED, "名前.ключ") == ["名前.ключ"]
    assert keys(NESTED, "名前.x-id") == ["名前.x-id"]
    assert keys(NESTED, "名前._") == ["名前._"]
    assert keys(NESTED, "名前.0") == ["名前.0"]  # a key that looks like an index is a key


def test_quoted_keys_with_escapes() -> None:
    doc = {
        "a.b": 1,
        'say "hi"': 2,
        "": 3,
        "$ref": 4,
        "café": 5,
        "back\\slash": 6,
        "tab\there": 7,
        "plain": 8,
        "x y": {"a.b": 9},
    }
    text = json.dumps(doc)
    assert keys(text, '"a.b"') == ['"a.b"']
    assert keys(text, r'"say \"hi\""') == [r'"say \"hi\""']
    assert keys(text, '""') == ['""']
    assert keys(text, '"$ref"') == ['"$ref"']
    assert keys(text, r'"caf\u00e9"') == ["café"]  # a JSON string: escapes decode
    assert keys(text, '"café"') == ["café"]
    assert keys(text, r'"back\\slash"') == [r'"back\\slash"']
    assert keys(text, r'"tab\there"') == [r'"tab\there"']
    assert keys(text, '"plain"') == ["plain"]  # quoting a bare name is allowed
    assert keys(text, '"x y"."a.b"') == ['"x y"."a.b"']
    assert keys(text, "a.b") == []  # a dotted path is not the key "a.b"


def test_every_event_key_is_a_selector_for_itself() -> None:
    doc = {
        "a.b": [{"c d": 1, "$x": ["é", {"": None}]}],
        "ok": {"n-1": True, "_z": [[1, 2], [3]]},
        'q"uote': "s",
        "\u2028\x01": 0,
    }
    text = json.dumps(doc)
    events = run(text)
    for key in {e["key"] for e in events if e["key"]}:
        assert [e for e in events if e["key"] == key] == run(text, key), key


def test_array_levels() -> None:
    assert keys(NESTED, "items.[].name") == ["items.[].name"] * 6
    assert picked(NESTED, "items.[].tags.[].$done?2") == [("done", "items.[].tags.[]", [2, 0])]
    assert keys(NESTED, "items.[]") == ["items.[]"] * 6
    assert keys("[[1, 2], [3]]", "[].[]") == ["[].[]"] * 3
    assert keys("[[1, 2], [3]]", "[]") == ["[]"] * 2
    assert keys("[1, 2]", "[].[]") == []


def test_star_is_any_one_key_not_an_array_level() -> None:
    assert keys(NESTED, "a.*") == ["a.b", "a.e"]
    assert keys(NESTED, "a.*.*") == ["a.b.c", "a.b.d"]
    assert keys(NESTED, "*") == ["a", "items", "名前"]
    assert keys(NESTED, "items.*") == []  # items holds an array level, not keys
    assert keys(NESTED, "items.[].*") == ["items.[].name", "items.[].tags"] * 3 + [
        "items.[].name",
        "items.[].name",
        "items.[].tags",
        "items.[].name",
    ]


def test_double_star_is_any_number_of_segments() -> None:
    all_keys = [e["key"] for e in run(NESTED) if e["event"] == "done"]
    assert keys(NESTED, "**") == all_keys  # zero segments too: the root
    assert keys(NESTED, "**")[-1] == ""
    assert keys(NESTED, "**.name") == ["items.[].name"] * 6
    assert keys(NESTED, "a.**") == ["a.b.c", "a.b.d.[]", "a.b.d.[]", "a.b.d", "a.b", "a.e", "a"]
    assert keys(NESTED, "a.**.c") == ["a.b.c"]
    assert keys(NESTED, "a.b.**.c") == ["a.b.c"]  # zero segments between
    assert keys(NESTED, "**.[]") == [k for k in all_keys if k.endswith("[]")]
    assert keys(NESTED, "**.**.tags.**") == [k for k in all_keys if ".tags" in k]


def test_many_wildcards_do_not_blow_up() -> None:
    depth = 60
    text = "[" * depth + "1" + "]" * depth
    expr = ".".join(["**"] * 30 + ["[]"] * 30 + ["**"] * 30)
    assert len(keys(text, expr)) == depth + 1 - 30
    deep = '{"a": ' * depth + "1" + "}" * depth
    expr = ".".join(["**", "*"] * 25)
    assert len(keys(deep, expr)) == depth - 24


@pytest.mark.parametrize(
    ("spec", "tags"),
    [
        ("_", ["t0", "t1", "t2", "u0", "v0", "v1", "v2", "v3"]),
        ("*", ["t0", "t1", "t2", "u0", "v0", "v1", "v2", "v3"]),
        ("_,_", ["t0", "t1", "t2", "u0", "v0", "v1", "v2", "v3"]),
        ("0", ["t0", "t1", "t2"]),
        ("4", ["v0", "v1", "v2", "v3"]),
        ("_,0", ["t0", "u0", "v0"]),
        ("*,2", ["t2", "v2"]),
        ("0|2", ["t0", "t1", "t2", "u0"]),
        ("_,0|2|3", ["t0", "t2", "u0", "v0", "v2", "v3"]),
        ("2:5", ["u0", "v0", "v1", "v2", "v3"]),
        ("3:", ["v0", "v1", "v2", "v3"]),
        (":2", ["t0", "t1", "t2"]),
        ("_,1:3", ["t1", "t2", "v1", "v2"]),
        ("_,:1", ["t0", "u0", "v0"]),
        (":", ["t0", "t1", "t2", "u0", "v0", "v1", "v2", "v3"]),
        ("0,5", []),
        ("99", []),
    ],
)
def test_index_specs(spec: str, tags: list[str]) -> None:
    got = run(NESTED, f"items.[].tags.[].$done?{spec}")
    assert [e["value"] for e in got] == tags


def test_fewer_specs_than_indexes_leave_the_rest_open() -> None:
    text = json.dumps({"m": [[[1, 2], [3]], [[4], [5, 6]]]})
    assert [e["value"] for e in run(text, "m.[].[].[]?1")] == [4, 5, 6]
    assert [e["value"] for e in run(text, "m.[].[].[]?1,1")] == [5, 6]
    assert [e["value"] for e in run(text, "m.[].[].[]?1,1,0")] == [5]


def test_index_specs_with_double_star() -> None:
    text = json.dumps({"m": [[[1, 2], [3]], [[4], [5, 6]]], "n": 7})
    # specs apply to the event's indexes, outermost first, whatever segment matched them
    assert [e["value"] for e in run(text, "**.$done?1,0") if isinstance(e["value"], int)] == [4]
    # a spec for an index the event does not have fails, unless it is '_' or '*'
    assert "n" not in keys(text, "**?0")
    assert "n" in keys(text, "**?_,*")
    assert keys(text, "m.**?_,_,_,_") == keys(text, "m.**")


def test_delta_and_done() -> None:
    text = json.dumps({"answer": "streamed text", "n": 5, "o": {"s": "x"}})
    both = picked(text, "answer")
    assert {kind for kind, _, _ in both} == {"delta", "done"}
    deltas = run(text, "answer.$delta")
    assert deltas and all(e["event"] == "delta" for e in deltas)
    assert "".join(e["delta"] for e in deltas) == "streamed text"
    assert picked(text, "answer.$done") == [("done", "answer", [])]
    assert picked(text, "n.$delta") == []  # numbers have no deltas
    assert picked(text, "n.$done") == [("done", "n", [])]
    assert picked(text, "**.$done") == [
        (k, key, i) for k, key, i in picked(text, "**") if k == "done"
    ]
    assert picked(text, "o.*.$delta & o.$done") == [("delta", "o.s", []), ("done", "o", [])]


def test_start_events_are_selected_by_terms_without_a_kind() -> None:
    text = json.dumps({"a": [{"b": 1}], "c": {}})
    got = picked(text, "a.[]&c.$done", emit_start=True)
    assert got == [("start", "a.[]", [0]), ("done", "a.[]", [0]), ("done", "c", [])]


def test_whitespace_around_tokens_is_ignored() -> None:
    tight = "instant:value_a&list_b.[].list_with_dict_in_list_b.[].key_3.$done?0:2,0|1"
    loose = (
        " instant:\tvalue_a &\n list_b . [] . list_with_dict_in_list_b .[]. key_3 . $done "
        "? 0 : 2 , 0 | 1 "
    )
    assert run(AGENTLY_TEXT, loose) == run(AGENTLY_TEXT, tight) != []


def test_multiple_documents() -> None:
    text = '{"a": 1, "b": 2}\n{"a": 3}\n'
    got = run(text, "a", multiple=True)
    assert [(e["value"], e["document"]) for e in got] == [(1, 0), (3, 1)]


# --------------------------------------------------------------------------------------------
# Selecting does not change parsing
# --------------------------------------------------------------------------------------------


def test_selecting_does_not_change_parsing_or_snapshots() -> None:
    text = json.dumps(
        {"title": "T", "items": [{"name": f"n{i}", "body": "x" * 40} for i in range(5)]}
    )
    for size in (1, 2, 7, len(text)):
        full = run(text, size=size)
        for expr in ("items.[].name", "title.$delta", "**", "nothing", "items.[]?3"):
            parser = instant.Parser(select=expr)
            kept: list[dict[str, Any]] = []
            frozen: list[dict[str, Any]] = []
            for chunk in chunked(text, size):
                events = parser.feed(chunk)
                kept += events
                frozen += copy.deepcopy(events)
            events = parser.close()
            kept += events
            frozen += copy.deepcopy(events)
            assert parser.value == json.loads(text)
            assert kept == frozen  # what an event handed out never changed afterwards
            sel = instant.compile_selector(expr)
            assert kept == [e for e in full if sel.matches(e)]
            # complete_value is still the whole document so far, not a selection of it
            if kept:
                assert (
                    kept[-1]["complete_value"]
                    == full[max(i for i, e in enumerate(full) if e == kept[-1])]["complete_value"]
                )


def test_complete_value_is_the_whole_document() -> None:
    got = run(AGENTLY_TEXT, "list_b.[].list_with_dict_in_list_b.[].key_3?1,1")
    assert [e["value"] for e in got if e["is_complete"]] == ["b1 d1"]
    assert got[-1]["complete_value"]["value_a"] == "Hello"
    assert got[-1]["complete_value"]["dict_a"] == AGENTLY["dict_a"]


def test_select_accepts_a_compiled_selector_everywhere() -> None:
    sel = instant.compile_selector("items.[].name")
    assert instant.compile_selector(sel) is sel
    assert run(NESTED, sel) == run(NESTED, "items.[].name")
    chunks = iter(chunked(NESTED, 3))
    assert list(instant.iter_events(chunks, select=sel)) == run(NESTED, sel)
    assert [e["value"] for e in instant.iter_events([NESTED], select="a.b.d.[]")] == [10, 20]
    assert instant.parse(NESTED, select="a") == json.loads(NESTED)  # the value is whole


def test_parse_error_events_are_selected_too() -> None:
    parser = instant.Parser(select="b", strict=True)
    with pytest.raises(instant.ParseError) as info:
        parser.feed('{"a": 1, "b": 2, "c" 3}')
    assert [e["key"] for e in info.value.events] == ["b"]
    assert parser.value == {"a": 1, "b": 2}
    # a failed parser raises the same error again, its events selected once (not again)
    selected = info.value.events
    for again in (lambda: parser.feed("4}"), parser.close):
        with pytest.raises(instant.ParseError) as later:
            again()
        assert later.value is info.value and later.value.events is selected
        assert [e["key"] for e in selected] == ["b"]


def test_compile_selector_is_cached_and_matches_plain_events() -> None:
    a = instant.compile_selector("instant:a.[].b")
    assert instant.compile_selector("instant:a.[].b") is a
    assert a == instant.compile_selector("instant:a.[].b")
    assert a.expression == "instant:a.[].b" and a.terms == ("a.[].b",)
    event = {"key": "a.[].b", "indexes": [3], "path": ("a", 3, "b"), "event": "done"}
    assert a.matches(event)
    assert not a.matches({**event, "key": "a.[].c", "path": ("a", 3, "c")})
    assert pickle.loads(pickle.dumps(a)) == a
    assert "a.[].b" in repr(a)
    with pytest.raises(TypeError):
        instant.compile_selector(5)  # type: ignore[arg-type]
    with pytest.raises(instant.SelectorError):
        instant.Parser(select="a..b")


def test_many_terms_match_the_same_as_each_term_alone() -> None:
    rng = random.Random(7)
    all_keys = sorted({e["key"] for e in run(NESTED) if e["key"]})
    terms = [f"missing_{i}.[].x" for i in range(300)] + rng.sample(all_keys, 5)
    rng.shuffle(terms)
    expected = [e for e in run(NESTED) if e["key"] in terms]
    assert run(NESTED, "&".join(terms)) == expected


# --------------------------------------------------------------------------------------------
# Malformed expressions
# --------------------------------------------------------------------------------------------

KEYS = "a key, a quoted key, '[]', '*', '**', '$delta' or '$done'"
FIRST = "a key, a quoted key, '[]', '*' or '**'"
AFTER_SEGMENT = "'.', '?', '&' or the end of the expression"
SPEC = "an index, '_', '*' or ':'"
AFTER_SPEC = "',', '&' or the end of the expression"

MALFORMED = [
    ("", 0, f"unexpected end of expression at position 0: expected {FIRST}"),
    ("   ", 3, f"unexpected end of expression at position 3: expected {FIRST}"),
    ("instant:", 8, f"unexpected end of expression at position 8: expected {FIRST}"),
    ("instant :a", 8, f"unexpected ':' at position 8: expected {AFTER_SEGMENT}"),
    ("a.", 2, f"unexpected end of expression at position 2: expected {KEYS}"),
    ("a..b", 2, f"unexpected '.' at position 2: expected {KEYS}"),
    (".a", 0, f"unexpected '.' at position 0: expected {FIRST}"),
    ("&a", 0, f"unexpected '&' at position 0: expected {FIRST}"),
    ("a&", 2, f"unexpected end of expression at position 2: expected {FIRST}"),
    ("a&&b", 2, f"unexpected '&' at position 2: expected {FIRST}"),
    ("a b", 2, f"unexpected 'b' at position 2: expected {AFTER_SEGMENT}"),
    ("a.b c", 4, f"unexpected 'c' at position 4: expected {AFTER_SEGMENT}"),
    ("a#b", 1, f"unexpected '#b' at position 1: expected {AFTER_SEGMENT}"),
    ("a.$foo", 2, f"unexpected '$foo' at position 2: expected {KEYS}"),
    ("$delta", 0, f"unexpected '$delta' at position 0: expected {FIRST}"),
    (
        "a.$delta.b",
        8,
        "unexpected '.' at position 8: expected '?', '&' or the end of the expression",
    ),
    (
        "a.$done.$delta",
        7,
        "unexpected '.' at position 7: expected '?', '&' or the end of the expression",
    ),
    ("a.[ ]", 2, f"unexpected '[' at position 2: expected {KEYS}"),
    ("a[]", 1, f"unexpected '[]' at position 1: expected {AFTER_SEGMENT}"),
    ("a.***", 4, f"unexpected '*' at position 4: expected {AFTER_SEGMENT}"),
    ("a.$ done", 2, f"unexpected '$' at position 2: expected {KEYS}"),
    ("a?", 2, f"unexpected end of expression at position 2: expected {SPEC}"),
    ("a.[]?", 5, f"unexpected end of expression at position 5: expected {SPEC}"),
    ("a.[]?b", 5, f"unexpected 'b' at position 5: expected {SPEC}"),
    ("a.[]?-1", 5, f"unexpected '-1' at position 5: expected {SPEC}"),
    ("a.[]?0,", 7, f"unexpected end of expression at position 7: expected {SPEC}"),
    ("a.[]?0|", 7, "unexpected end of expression at position 7: expected an index"),
    ("a.[]?0||1", 7, "unexpected '|' at position 7: expected an index"),
    ("a.[]?1:2:3", 8, f"unexpected ':' at position 8: expected {AFTER_SPEC}"),
    (
        "a.[]?0|1:3",
        8,
        "unexpected ':' at position 8: expected '|', ',', '&' or the end of the expression",
    ),
    ("a.[]?**", 6, f"unexpected '*' at position 6: expected {AFTER_SPEC}"),
    (
        "a.[]?0.b",
        6,
        "unexpected '.' at position 6: expected '|', ':', ',', '&' or the end of the expression",
    ),
    ("a.[]??0", 5, f"unexpected '?' at position 5: expected {SPEC}"),
    (
        "a.[]?0?1",
        6,
        "unexpected '?' at position 6: expected '|', ':', ',', '&' or the end of the expression",
    ),
    (
        "a.[]?1.5",
        6,
        "unexpected '.' at position 6: expected '|', ':', ',', '&' or the end of the expression",
    ),
    (
        "a.[]?0,1",
        7,
        "unexpected index spec '1' at position 7: expected at most 1 index spec, one per '[]' of"
        " the term (it has no '**')",
    ),
    (
        "a.[].[]?_, 0 , 2:",
        15,
        "unexpected index spec '2:' at position 15: expected at most 2 index specs, one per '[]' of"
        " the term (it has no '**')",
    ),
    (
        "a.[]?0, 1 | 3",
        8,
        "unexpected index spec '1 | 3' at position 8: expected at most 1 index spec, one per '[]'"
        " of the term (it has no '**')",
    ),
    (
        "x&a.$delta?1",
        11,
        "unexpected index spec '1' at position 11: expected no index spec, as the term has no"
        " '[]' (and no '**')",
    ),
    ("a.[]?5:2", 5, "empty index range '5:2' at position 5: expected start < end"),
    ("a.[]?3:3", 5, "empty index range '3:3' at position 5: expected start < end"),
    ("a.[]?:0", 5, "empty index range ':0' at position 5: expected start < end"),
    (
        '"abc',
        0,
        "invalid quoted key '\"abc' at position 0: expected a JSON string (closed by '\"', escapes"
        ' \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)',
    ),
    (
        'a."x\\q"',
        2,
        "invalid quoted key '\"x\\\\q\"' at position 2: expected a JSON string (closed by '\"',"
        ' escapes \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)',
    ),
    ("'a'", 0, f"unexpected \"'a'\" at position 0: expected {FIRST}"),
]


@pytest.mark.parametrize(
    ("expr", "position", "message"), MALFORMED, ids=[m[0] or "<empty>" for m in MALFORMED]
)
def test_malformed_expression(expr: str, position: int, message: str) -> None:
    with pytest.raises(instant.SelectorError) as info:
        instant.compile_selector(expr)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.position == position
    assert err.msg == message
    assert err.expression == expr
    lines = str(err).split("\n")
    assert lines[0] == message
    assert lines[2].index("^") - 4 == position  # the caret points at the position
    again = pickle.loads(pickle.dumps(err))
    assert (again.msg, again.position, str(again)) == (err.msg, err.position, str(err))


def test_there_are_at_least_twenty_malformed_cases() -> None:
    assert len(MALFORMED) >= 20


@given(st.text(alphabet=st.sampled_from(list('ab_0123.[]*$?&,|:"\\ é#-instant')), max_size=25))
def test_any_text_compiles_or_raises_selector_error(expr: str) -> None:
    try:
        sel = instant.compile_selector(expr)
    except instant.SelectorError as e:  # never a Lark exception, never another ValueError
        assert 0 <= e.position <= len(expr)
        assert f"at position {e.position}: expected " in e.msg
    else:
        assert sel.expression == expr


# --------------------------------------------------------------------------------------------
# The property: Parser(select=expr) == an independent brute-force filter over all events
# --------------------------------------------------------------------------------------------

_BARE = re.compile(r"[\w-]+")
ANY_INDEX = "any"


@dataclass
class Term:
    """A term as data: segments are ('key', name), '[]', '*' or '**'; specs are ANY_INDEX,
    a set of ints, or a (lo, hi) pair with None for an open end."""

    segments: list[Any]
    kind: str | None = None
    specs: list[Any] = field(default_factory=list)


def path_matches(segments: list[Any], path: tuple[Any, ...]) -> bool:
    """Plain recursive matching: '**' tries every split."""
    if not segments:
        return not path
    head, rest = segments[0], segments[1:]
    if head == "**":
        return any(path_matches(rest, path[i:]) for i in range(len(path) + 1))
    if not path:
        return False
    step = path[0]
    if head == "[]":
        ok = isinstance(step, int)
    elif head == "*":
        ok = isinstance(step, str)
    else:
        ok = step == head[1]
    return ok and path_matches(rest, path[1:])


def spec_matches(spec: Any, index: int | None) -> bool:
    if spec == ANY_INDEX:
        return True
    if index is None:  # a spec for an index the event does not have
        return False
    if isinstance(spec, set):
        return index in spec
    lo, hi = spec
    return (lo is None or index >= lo) and (hi is None or index < hi)


def brute_force(terms: list[Term], event: dict[str, Any]) -> bool:
    for term in terms:
        if term.kind is not None and term.kind != event["event"]:
            continue
        indexes = event["indexes"]
        if not all(
            spec_matches(spec, indexes[i] if i < len(indexes) else None)
            for i, spec in enumerate(term.specs)
        ):
            continue
        if path_matches(term.segments, event["path"]):
            return True
    return False


KEY_NAMES = ["a", "b", "key_1", "名前", "x-y", "0", "_", "a.b", "", "$ref", 'q"', "é é", "instant"]

json_docs = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-5, 5),
        st.text(alphabet='ab é"\\\n', max_size=6),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEY_NAMES), children, max_size=4),
    ),
    max_leaves=14,
)


@st.composite
def term_for(draw: st.DrawFn, path: tuple[Any, ...]) -> tuple[Term, str]:
    """A term (as data and as text) derived from a path that occurs, often still matching it."""
    segments: list[Any] = []
    texts: list[str] = []
    ws = st.sampled_from(["", "", "", " ", "\t"])
    i = 0
    while i < len(path):
        step = path[i]
        r = draw(st.integers(0, 99))
        if r < 8:  # '**' over the next 0..3 segments
            segments.append("**")
            i += draw(st.integers(0, 3))
            continue
        if isinstance(step, int):
            seg: Any = "[]"
        elif r < 25:
            seg = "*"
        elif r < 30:
            seg = ("key", draw(st.sampled_from(KEY_NAMES)))  # maybe another key
        else:
            seg = ("key", step)
        if r >= 95:  # an extra segment that was not there
            segments.append(draw(st.sampled_from(["[]", "*", ("key", "zz")])))
        segments.append(seg)
        i += 1
    if not segments or draw(st.integers(0, 9)) == 0:
        segments.append("**")
    for seg in segments:
        if isinstance(seg, tuple):
            name = seg[1]
            if _BARE.fullmatch(name) and draw(st.booleans()):
                texts.append(name)
            else:
                texts.append(json.dumps(name, ensure_ascii=draw(st.booleans())))
        else:
            texts.append(seg)
    kind = draw(st.sampled_from([None, None, None, "delta", "done"]))
    if kind:
        texts.append("$" + kind)
    text = (draw(ws) + "." + draw(ws)).join(texts)
    room = segments.count("[]") if "**" not in segments else 4
    specs: list[Any] = []
    spec_texts: list[str] = []
    indexes = [s for s in path if isinstance(s, int)]
    for k in range(draw(st.integers(0, room))):
        actual = indexes[k] if k < len(indexes) else draw(st.integers(0, 3))
        r = draw(st.integers(0, 6))
        if r == 0:
            specs.append(ANY_INDEX)
            spec_texts.append(draw(st.sampled_from(["_", "*"])))
        elif r == 1:
            n = draw(st.sampled_from([actual, actual, draw(st.integers(0, 4))]))
            specs.append({n})
            spec_texts.append(str(n))
        elif r == 2:
            alts = draw(st.lists(st.integers(0, 4), min_size=1, max_size=3)) + [actual]
            specs.append(set(alts))
            spec_texts.append("|".join(map(str, alts)))
        else:
            lo = draw(st.one_of(st.none(), st.integers(0, actual + 1)))
            hi = draw(st.one_of(st.none(), st.integers(max(lo or 0, actual) + 1, actual + 3)))
            if lo is None and hi is None and draw(st.booleans()):
                lo = 0
            specs.append((lo, hi))
            spec_texts.append(f"{'' if lo is None else lo}:{'' if hi is None else hi}")
    if specs:
        text += draw(ws) + "?" + draw(ws) + (draw(ws) + "," + draw(ws)).join(spec_texts)
    return Term(segments, kind, specs), text


@st.composite
def documents_and_selections(draw: st.DrawFn) -> tuple[str, list[str], str, list[Term]]:
    doc = draw(json_docs)
    text = json.dumps(
        doc, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 1]))
    )
    events = run(text, size=len(text) or 1)
    paths = [e["path"] for e in events]
    terms: list[Term] = []
    texts: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths))
        term, term_text = draw(term_for(path))
        terms.append(term)
        texts.append(term_text)
    expr = ("instant:" if draw(st.booleans()) else "") + draw(
        st.sampled_from(["&", " & ", "&\n"])
    ).join(texts)
    cuts = sorted(draw(st.sets(st.integers(1, max(len(text) - 1, 1)), max_size=8)))
    chunks = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)]) if text[a:b]]
    return text, chunks, expr, terms


@given(documents_and_selections(), st.booleans())
def test_selection_equals_brute_force_filter(
    case: tuple[str, list[str], str, list[Term]], start: bool
) -> None:
    text, chunks, expr, terms = case
    note(f"expr={expr!r}")
    note(f"text={text!r}")
    full_parser = instant.Parser(emit_start=start)
    sel_parser = instant.Parser(emit_start=start, select=expr)
    full: list[dict[str, Any]] = []
    selected: list[dict[str, Any]] = []
    for chunk in chunks:
        full += full_parser.feed(chunk)
        selected += sel_parser.feed(chunk)
    full += full_parser.close()
    selected += sel_parser.close()
    assert sel_parser.value == full_parser.value == json.loads(text)
    expected = [e for e in full if brute_force(terms, e)]
    assert selected == expected
    assert instant.compile_selector(expr).filter(full) == expected


# Many '**' terms: they share the node after '**', which then knows every term's key. A new
# key costs no more than a few terms do (benchmarks/bench_selector.py, (d)); the decisions
# are the brute force's, also once the automaton has started afresh (its state limit is made
# small here so that a few hundred keys cross it many times).

DOUBLE_STAR_SHAPES = ["**.k{i}", "**.k{i}.**", "**.k{i}.**.v", "a.**.k{i}", "**.[].k{i}?{j}"]


def _event(path: tuple[Any, ...], kind: str = "done") -> dict[str, Any]:
    key = ".".join("[]" if isinstance(s, int) else s for s in path)
    return {
        "key": key,
        "path": path,
        "event": kind,
        "indexes": [s for s in path if isinstance(s, int)],
    }


def _term(text: str) -> Term:
    """A generated term as data (its segments are bare keys, '[]' or '**'; one index spec)."""
    body, _, spec = text.partition("?")
    segments = [s if s in ("**", "[]") else ("key", s) for s in body.split(".")]
    return Term(segments, None, [{int(spec)}] if spec else [])


@pytest.mark.parametrize("shape", DOUBLE_STAR_SHAPES)
def test_many_double_star_terms_decide_as_the_brute_force(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from instant import selector as selector_module

    monkeypatch.setattr(selector_module, "_STATE_LIMIT", 16)
    texts = [shape.format(i=i, j=i % 3) for i in range(300)]
    terms = [_term(t) for t in texts]
    by_key: dict[str, list[Term]] = {}
    for term in terms:
        for seg in term.segments:
            if isinstance(seg, tuple) and seg[1].startswith("k"):
                by_key.setdefault(seg[1], []).append(term)
    # a fresh expression (compile_selector caches by expression, with the old limit)
    sel = instant.compile_selector("&".join(texts) + f"&never_{DOUBLE_STAR_SHAPES.index(shape)}")
    rng = random.Random(shape)
    pool = [f"k{rng.randrange(400)}" for _ in range(50)] + ["k0", "k1", "k2"] * 5 + ["b", "x"]
    events = []
    for _ in range(600):
        path = tuple(
            rng.randrange(3) if rng.random() < 0.2 else rng.choice(pool)
            for _ in range(rng.randint(1, 5))
        )
        path = ("a", *path) if rng.random() < 0.3 else path
        events.append(_event((*path, "v") if rng.random() < 0.3 else path))
    for event in events:
        # only the terms that name a key of the path can match it (or the literal "a"/"v")
        named = {s for s in event["path"] if isinstance(s, str)}
        candidates = [t for k in named for t in by_key.get(k, [])]
        expected = brute_force(candidates, event)
        assert sel.matches(event) is expected, (shape, event["path"])
    assert sel.filter(events) == [e for e in events if sel.matches(e)]
    assert 10 < sum(map(sel.matches, events)) < len(events) - 10  # both decisions, often
