"""Model output as models really write it: every leniency, each in many chunkings."""

from __future__ import annotations

import math

import pytest

import instant
from tests.chunking import feed_all, parse_every_way

CASES = [
    pytest.param(
        'Sure! Here is the JSON you asked for:\n\n```json\n{"name": "Ada", "langs": ["en", "fr"]}\n```\n'
        "Let me know if you need anything else!",
        {"name": "Ada", "langs": ["en", "fr"]},
        id="fence-after-sure",
    ),
    pytest.param(
        'Here is [the] answer, with {braces} in the prose: {"ok": true, "n": 3}',
        {"ok": True, "n": 3},
        id="brackets-and-braces-in-prose",
    ),
    pytest.param(
        'As requested (see [the docs]), {see: this} the data: ```\n[{"id": 1}, {"id": 2}]\n``` Done.',
        [{"id": 1}, {"id": 2}],
        id="prose-with-both-and-bare-fence",
    ),
    pytest.param(
        '<think>\nThe user wants {"a": 1}? Or maybe [1, 2]. Let me answer.\n</think>\n{"a": 2}',
        {"a": 2},
        id="think-block",
    ),
    pytest.param("<thinking>plan</thinking>\n[true]", [True], id="thinking-block"),
    pytest.param(
        '{\n  // the user\'s name\n  "name": "Ada", /* born 1815 */\n  "year": 1815\n}',
        {"name": "Ada", "year": 1815},
        id="comments",
    ),
    pytest.param(
        '{"a": [1, 2, 3,], "b": {"c": 1,},}', {"a": [1, 2, 3], "b": {"c": 1}}, id="trailing-commas"
    ),
    pytest.param(
        "{'name': 'O\\'Brien', 'quote': 'she said \"hi\"'}",
        {"name": "O'Brien", "quote": 'she said "hi"'},
        id="single-quotes",
    ),
    pytest.param(
        '{name: "Ada", first_name: "A", $ref: "#/x", content-type: "json", 2: "two"}',
        {"name": "Ada", "first_name": "A", "$ref": "#/x", "content-type": "json", "2": "two"},
        id="bare-keys",
    ),
    pytest.param(
        '{"done": True, "failed": False, "error": None}',
        {"done": True, "failed": False, "error": None},
        id="python-literals",
    ),
    pytest.param(
        '{"text": "line one\nline two\tand a tab"}',
        {"text": "line one\nline two\tand a tab"},
        id="raw-newline-and-tab-in-string",
    ),
    pytest.param(
        '{"path": "C:\\Users\\me", "re": "\\d+"}',
        {"path": "C:\\Users\\me", "re": "\\d+"},
        id="unknown-escapes-kept",
    ),
    pytest.param("42", 42, id="bare-number"),
    pytest.param('  "just text"  ', "just text", id="bare-string"),
    pytest.param("null", None, id="bare-null"),
    pytest.param('\ufeff{"bom": 1}', {"bom": 1}, id="byte-order-mark"),
    pytest.param('{"emoji": "😀 \\ud83d\\ude00 中文 é"}', {"emoji": "😀 😀 中文 é"}, id="unicode"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_model_output_parses_the_same_in_every_chunking(text: str, expected: object) -> None:
    assert parse_every_way(text) == expected


def test_nan_and_infinity() -> None:
    value = parse_every_way('{"a": NaN, "b": Infinity, "c": -Infinity, "d": [NaN]}')
    assert math.isnan(value["a"]) and math.isnan(value["d"][0])
    assert value["b"] == math.inf and value["c"] == -math.inf


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"answer": "The model ran out of tok', {"answer": "The model ran out of tok"}),
        (
            '{"items": [{"id": 1}, {"id": 2, "name": "Bo',
            {"items": [{"id": 1}, {"id": 2, "name": "Bo"}]},
        ),
        ('{"a": [1, 2, 3.', {"a": [1, 2]}),
        ('{"a": tru', {}),
        ('{"a": 1, "b', {"a": 1}),
        ('{"a": 1, "b": ', {"a": 1}),
        ('{"s": "caf\\u00', {"s": "caf"}),
        ('{"s": "x\\ud83d', {"s": "x\ud83d"}),
        ("```json\n[1, [2, [3", [1, [2, [3]]]),
    ],
)
def test_reply_cut_off_is_finished_at_close(text: str, expected: object) -> None:
    assert parse_every_way(text) == expected
    _, parser = feed_all([text])
    assert parser.truncated


def test_truncation_emits_done_events_for_everything_open() -> None:
    events, parser = feed_all(['{"a": ["x", "unfinished'])
    dones = [(e["key"], e["value"]) for e in events if e["event"] == "done"]
    assert dones == [
        ("a.[]", "x"),
        ("a.[]", "unfinished"),
        ("a", ["x", "unfinished"]),
        ("", {"a": ["x", "unfinished"]}),
    ]
    assert parser.truncated


def test_complete_reply_is_not_truncated() -> None:
    for text in ['{"a": 1}', "12", "true", '"s"', "[1, 2]  trailing prose"]:
        _, parser = feed_all([text])
        assert not parser.truncated, text


def test_json_lines_with_multiple() -> None:
    text = '{"n": 1}\n{"n": 2}\n\n[3]\n"four"\n5\n'
    assert parse_every_way(text, multiple=True) == [{"n": 1}, {"n": 2}, [3], "four", 5]
    events, _ = feed_all([text], multiple=True)
    roots = [(e["document"], e["value"]) for e in events if e["key"] == "" and e["event"] == "done"]
    assert roots == [(0, {"n": 1}), (1, {"n": 2}), (2, [3]), (3, "four"), (4, 5)]
    assert all("document" in e for e in events)


def test_concatenated_values_and_prose_between_documents() -> None:
    text = 'First: {"a": 1}{"a": 2} and then ```json\n{"a": 3}\n``` bye'
    assert parse_every_way(text, multiple=True) == [{"a": 1}, {"a": 2}, {"a": 3}]


def test_single_document_ignores_what_follows() -> None:
    assert parse_every_way('{"a": 1}\n```\nAnything {"b": 2} at all') == {"a": 1}
    events, _ = feed_all(['{"a": 1} {"b": 2}'])
    assert "document" not in events[0]


@pytest.mark.parametrize(
    ("expect", "text", "expected"),
    [
        ("object", 'Options [1, 2] are listed; answer: {"pick": 2}', {"pick": 2}),
        ("array", 'The object {"x": 1} is wrong, use [1, 2]', [1, 2]),
        ("object", '42 is not it: {"a": 42}', {"a": 42}),
    ],
)
def test_expect_narrows_the_document_start(expect: str, text: str, expected: object) -> None:
    assert parse_every_way(text, expect=expect) == expected


def test_expect_object_with_no_object_is_an_error() -> None:
    with pytest.raises(instant.ParseError, match="no JSON value"):
        instant.parse("[1, 2, 3]", expect="object")


def test_duplicate_keys_last_wins_but_every_value_has_its_events() -> None:
    events, parser = feed_all(['{"a": 1, "b": 2, "a": 3}'])
    assert parser.value == {"a": 3, "b": 2}
    assert [(e["key"], e["value"]) for e in events[:3]] == [("a", 1), ("b", 2), ("a", 3)]


def test_no_json_at_all_raises_at_close() -> None:
    parser = instant.Parser()
    assert parser.feed("I'm sorry, I can't help with that.") == []
    with pytest.raises(instant.ParseError, match="no JSON value found"):
        parser.close()


def test_candidate_that_fails_is_abandoned_whatever_the_chunking() -> None:
    text = 'Use [brackets] or {curly: braces} or [the x] and then [1, "two"]'
    assert parse_every_way(text) == [1, "two"]
    # a mid-sentence array of numbers only is notation (a citation, an interval), not data
    with pytest.raises(instant.ParseError, match="no JSON"):
        parse_every_way("Use [brackets] and then [1, 2]")
    assert parse_every_way("Use [brackets] and then [1, 2]", expect="array") == [1, 2]


def test_start_events_of_an_abandoned_candidate_are_never_seen() -> None:
    text = 'See [the docs] for {"a": [1]}'
    for chunks in (list(text), [text]):
        events, _ = feed_all(chunks, emit_start=True)
        assert [(e["event"], e["key"]) for e in events] == [
            ("start", ""),
            ("start", "a"),
            ("done", "a.[]"),
            ("done", "a"),
            ("done", ""),
        ]


def test_a_bracket_in_the_middle_of_a_sentence_is_only_tentative() -> None:
    # SPEC 2: "[1]," is followed by prose on its line, so it is abandoned; the answer after
    # it closes at the end of the reply and commits.
    text = 'As shown in [1], the answer is {"a": 1}'
    assert parse_every_way(text) == {"a": 1}
    assert parse_every_way(text, expect="object") == {"a": 1}
