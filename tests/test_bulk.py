"""The bulk path (a container complete in the buffer, parsed in C and replayed) must give
exactly the events of the tokenizer. Fed one character at a time the parser never takes the
bulk path, so that is the reference; fed whole (or in large chunks) it takes it whenever it
can."""

from __future__ import annotations

import copy
import decimal
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import instant
from instant.strategies import json_keys, json_values
from tests.chunking import feed_all, merged

PAD = "p" * 300  # the bulk path is tried only with at least 256 characters to go


def same_events(text: str, **options: Any) -> tuple[list[dict[str, Any]], instant.Parser]:
    whole, parser = feed_all([text], **options)
    by_char, _ = feed_all(list(text), **options)
    assert merged(whole) == merged(by_char)
    halves, _ = feed_all([text[: len(text) // 2], text[len(text) // 2 :]], **options)
    assert merged(halves) == merged(by_char)
    return whole, parser


@given(
    value=json_values(), key=json_keys(), strict=st.booleans(), indent=st.sampled_from([None, 1])
)
def test_bulk_equals_tokenizer(value: Any, key: str, strict: bool, indent: int | None) -> None:
    doc = {"pad": PAD, key: value, "list": [value, {"v": value}]}
    text = json.dumps(doc, indent=indent, ensure_ascii=False)
    _, parser = same_events(text, strict=strict)
    assert parser.value == json.loads(text)


@given(value=json_values(), emit_start=st.booleans(), multiple=st.booleans())
def test_bulk_equals_tokenizer_with_options(value: Any, emit_start: bool, multiple: bool) -> None:
    text = json.dumps([PAD, value]) + "\n" + json.dumps({"x": [value, PAD]})
    same_events(text, emit_start=emit_start, multiple=multiple, snapshots=False)


def test_bulk_snapshots_never_change() -> None:
    text = json.dumps({"a": [{"b": [1, 2, "x" * 300]}, {"c": "y"}], "d": {"e": [None, True]}})
    parser = instant.Parser()
    kept = [(e, copy.deepcopy(e["complete_value"])) for e in parser.feed(text) + parser.close()]
    assert len(kept) == 15
    for e, snapshot in kept:
        assert e["complete_value"] == snapshot
    # the events of one feed() share one snapshot: the document as of that call's last event
    assert all(s == json.loads(text) for _, s in kept)
    assert len({id(e["complete_value"]) for e, _ in kept}) == 1


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "b": 2, "a": 3, "pad": "%s"}' % PAD,  # duplicate keys: each value has events
        '["\\ud800", "\\udc00\\ud800x", "\\ud83d\\ude00", "%s"]' % PAD,  # lone surrogates
        '{"tab": "a\tb", "pad": "%s"}' % PAD,  # raw control character: lenient only
        '{"n": [NaN, Infinity, -Infinity], "pad": "%s"}' % PAD,  # lenient only
        '{"big": %s, "pad": "%s"}' % ("9" * 4000, PAD),
        '{"f": [1E400, -0, 0.1e-5, 1.5], "pad": "%s"}' % PAD,
        '{"a": [1, 2,], "pad": "%s"}' % PAD,  # trailing comma: the C scanner declines
        '{"a": /* c */ 1, "pad": "%s"}' % PAD,
        '{"a": {"b": [1, {"c": "%s"}]}, "cut": [1, 2' % PAD,  # the reply is cut off
        '[{"x": 1}, {"x": 2}, {"x": "%s"}, oops]' % PAD,  # an error after bulk containers
    ],
)
def test_bulk_edge_cases_match_tokenizer(text: str) -> None:
    for strict in (False, True):
        try:
            whole, p1 = feed_all([text], strict=strict)
        except instant.ParseError as e:
            with pytest.raises(instant.ParseError) as info:
                feed_all(list(text), strict=strict)
            assert (info.value.offset, info.value.msg) == (e.offset, e.msg)
            continue
        by_char, p2 = feed_all(list(text), strict=strict)
        assert merged(whole) == merged(by_char)
        assert repr(p1.value) == repr(p2.value) and p1.truncated == p2.truncated


def test_bulk_uses_number_hooks_like_the_tokenizer() -> None:
    text = json.dumps({"pad": PAD, "x": [1.5, 2, 0.1, 10**30]})
    for hooks in ({"parse_float": decimal.Decimal}, {"parse_int": str}):
        whole, _ = feed_all([text], **hooks)
        by_char, _ = feed_all(list(text), **hooks)
        assert merged(whole) == merged(by_char)

    def boom(s: str) -> Any:
        raise RuntimeError("hook failed")

    with pytest.raises(instant.ParseError, match="hook failed"):
        instant.parse(text, parse_float=boom)


def test_bulk_respects_the_limits() -> None:
    deep = '{"pad": "%s", "a": %s1%s}' % (PAD, "[" * 60, "]" * 60)
    assert instant.parse(deep, max_depth=61)["a"][0][0][0] is not None
    with pytest.raises(instant.ParseError) as info:
        instant.parse(deep, max_depth=60)
    assert info.value.offset == deep.index("[") + 59 and "max_depth=60" in info.value.msg
    long_number = '{"pad": "%s", "a": [%s]}' % (PAD, "1" * 5000)
    with pytest.raises(instant.ParseError, match="max_number_length=4300") as info:
        instant.parse(long_number)
    assert info.value.offset == long_number.index("[") + 1 + 4300
    long_digits_in_a_string = '{"pad": "%s", "s": "%s"}' % (PAD, "1" * 5000)
    assert len(instant.parse(long_digits_in_a_string)["s"]) == 5000


def test_deep_nesting_is_safe_whatever_the_recursion_limit() -> None:
    import sys

    text = '{"pad": "%s", "a": %s' % (PAD, "[" * 100_000)
    old = sys.getrecursionlimit()
    try:
        for limit in (old, 1_000_000):
            sys.setrecursionlimit(limit)
            with pytest.raises(instant.ParseError, match="max_depth"):
                instant.parse(text)
    finally:
        sys.setrecursionlimit(old)
