"""The public API as a user calls it: Parser, parse, iter_events and the event contract."""

from __future__ import annotations

import copy
import decimal
import json
from typing import get_type_hints

import instant
from tests.chunking import feed_all

FIELDS = ["key", "indexes", "path", "event", "delta", "value", "is_complete", "complete_value"]


def test_event_fields_and_their_order() -> None:
    events, _ = feed_all(['{"a": "hi"}'])
    for e in events:
        assert list(e) == FIELDS
    assert list(get_type_hints(instant.Event)) == [*FIELDS, "document", "tool_call"]


def test_agently_example_document() -> None:
    text = (
        '{"value_a": "A", "dict_a": {"key_1": "x", "key_2": 2},'
        ' "list_b": [{"list_with_dict_in_list_b": [{"key_3": 3}, {"key_3": "y"}]}]}'
    )
    events, parser = feed_all(list(text))
    got = [(e["key"], e["indexes"], e["event"], e["delta"]) for e in events]
    assert got == [
        ("value_a", [], "delta", "A"),
        ("value_a", [], "done", ""),
        ("dict_a.key_1", [], "delta", "x"),
        ("dict_a.key_1", [], "done", ""),
        ("dict_a.key_2", [], "done", 2),
        ("dict_a", [], "done", {"key_1": "x", "key_2": 2}),
        ("list_b.[].list_with_dict_in_list_b.[].key_3", [0, 0], "done", 3),
        ("list_b.[].list_with_dict_in_list_b.[]", [0, 0], "done", {"key_3": 3}),
        ("list_b.[].list_with_dict_in_list_b.[].key_3", [0, 1], "delta", "y"),
        ("list_b.[].list_with_dict_in_list_b.[].key_3", [0, 1], "done", ""),
        ("list_b.[].list_with_dict_in_list_b.[]", [0, 1], "done", {"key_3": "y"}),
        ("list_b.[].list_with_dict_in_list_b", [0], "done", [{"key_3": 3}, {"key_3": "y"}]),
        ("list_b.[]", [0], "done", {"list_with_dict_in_list_b": [{"key_3": 3}, {"key_3": "y"}]}),
        ("list_b", [], "done", [{"list_with_dict_in_list_b": [{"key_3": 3}, {"key_3": "y"}]}]),
        ("", [], "done", json.loads(text)),
    ]
    assert events[6]["path"] == ("list_b", 0, "list_with_dict_in_list_b", 0, "key_3")
    assert parser.value == json.loads(text)


def test_keys_that_are_not_selector_names_are_quoted_like_json() -> None:
    text = '{"a.b": {"": 1, "say \\"hi\\"": 2, "$ref": 3, "naïve-ok_1": 4, "中文": 5, "a b": 6}}'
    events, _ = feed_all([text])
    assert [e["key"] for e in events if not isinstance(e["value"], dict)] == [
        '"a.b".""',
        '"a.b"."say \\"hi\\""',
        '"a.b"."$ref"',
        '"a.b".naïve-ok_1',
        '"a.b".中文',
        '"a.b"."a b"',
    ]
    assert events[0]["path"] == ("a.b", "")


def test_string_deltas_stream_and_add_up() -> None:
    parser = instant.Parser()
    assert parser.feed('{"answer": "Hel') == [
        {
            "key": "answer",
            "indexes": [],
            "path": ("answer",),
            "event": "delta",
            "delta": "Hel",
            "value": "Hel",
            "is_complete": False,
            "complete_value": {"answer": "Hel"},
        }
    ]
    assert parser.feed("") == []
    (e,) = parser.feed("lo wor")
    assert (e["delta"], e["value"], e["complete_value"]) == (
        "lo wor",
        "Hello wor",
        {"answer": "Hello wor"},
    )
    events = parser.feed('ld", "n": 1')
    assert [(e["event"], e["delta"], e["value"]) for e in events] == [
        ("delta", "ld", "Hello world"),
        ("done", "", "Hello world"),
    ]
    # a number is done only once a delimiter shows it is complete
    assert [e["value"] for e in parser.feed("2")] == []
    assert [(e["key"], e["value"]) for e in parser.feed("}")] == [
        ("n", 12),
        ("", {"answer": "Hello world", "n": 12}),
    ]


def test_at_most_one_delta_per_string_per_chunk_and_none_for_empty_strings() -> None:
    events, _ = feed_all(['["", "abc", "x\\ny"]'])
    assert [(e["event"], e["delta"]) for e in events] == [
        ("done", ""),
        ("delta", "abc"),
        ("done", ""),
        ("delta", "x\ny"),
        ("done", ""),
        ("done", ["", "abc", "x\ny"]),
    ]


def test_snapshots_never_change_after_the_event() -> None:
    text = '{"a": [1, {"b": "xy"}, [2]], "c": "long text here", "d": {"e": null}}'
    parser = instant.Parser()
    kept = []
    for ch in text:
        for e in parser.feed(ch):
            kept.append((e, copy.deepcopy(e["complete_value"])))
    for e in parser.close():
        kept.append((e, copy.deepcopy(e["complete_value"])))
    for e, snapshot in kept:
        assert e["complete_value"] == snapshot
    assert kept[-1][1] == json.loads(text)
    # closed containers are shared between snapshots, not copied
    assert kept[-1][0]["complete_value"]["d"] is kept[-2][0]["value"]


def test_snapshots_off_hands_out_the_live_document() -> None:
    parser = instant.Parser(snapshots=False)
    first = parser.feed('{"a": [1, ')[0]
    parser.feed("2]}")
    assert first["complete_value"] == {"a": [1, 2]}
    assert first["complete_value"] is parser.value


def test_emit_start() -> None:
    events, _ = feed_all(['{"a": [{}]}'], emit_start=True)
    assert [(e["event"], e["key"], e["value"]) for e in events] == [
        ("start", "", {}),
        ("start", "a", []),
        ("start", "a.[]", {}),
        ("done", "a.[]", {}),
        ("done", "a", [{}]),
        ("done", "", {"a": [{}]}),
    ]


def test_numbers_and_hooks_as_in_json_loads() -> None:
    text = "[0, -0, 1.5, -2e-3, 1E400, 123456789012345678901234567890, 0.1]"
    assert instant.parse(text) == json.loads(text)
    assert instant.parse(text, strict=True) == json.loads(text)
    got = instant.parse(text, parse_float=decimal.Decimal)
    assert got == json.loads(text, parse_float=decimal.Decimal)
    assert isinstance(got[6], decimal.Decimal)
    assert instant.parse("[1, 2]", parse_int=str) == ["1", "2"]


def test_surrogates_decode_as_json_loads() -> None:
    for text in [
        '"\\ud83d\\ude00"',
        '"\\ud800"',
        '"\\udc00\\ud800x"',
        '"\\ud800\\u0041"',
        '"\\uD834\\uDD1E"',
    ]:
        assert instant.parse(text, strict=True) == json.loads(text)


def test_bytes_split_inside_code_points() -> None:
    text = '{"k": "é中😀"}'
    data = text.encode()
    events, parser = feed_all([data[i : i + 1] for i in range(len(data))])
    assert parser.value == {"k": "é中😀"}
    assert "".join(e["delta"] for e in events if e["event"] == "delta") == "é中😀"


def test_parse_and_iter_events() -> None:
    reply = 'Sure!\n```json\n{"items": [{"id": 1}, {"id": 2}]}\n```'
    assert instant.parse(reply) == {"items": [{"id": 1}, {"id": 2}]}
    assert instant.parse(reply.encode()) == {"items": [{"id": 1}, {"id": 2}]}
    chunks = (reply[i : i + 3] for i in range(0, len(reply), 3))
    items = [
        e["value"]
        for e in instant.iter_events(chunks)
        if e["key"] == "items.[]" and e["is_complete"]
    ]
    assert items == [{"id": 1}, {"id": 2}]
    assert instant.parse("1 2 3", multiple=True) == [1, 2, 3]


def test_value_is_none_before_a_document_and_values_lists_documents() -> None:
    parser = instant.Parser(multiple=True)
    assert parser.value is None
    parser.feed('Here: {"a": 1}\n{"a": ')
    assert parser.values == [{"a": 1}]
    assert parser.value == {}  # the second document, committed by its first key
    parser.feed("2")
    parser.feed("}")
    assert parser.value == {"a": 2}
    parser.close()
    assert parser.values == [{"a": 1}, {"a": 2}]


def test_parse_error_is_a_value_error_and_pickles() -> None:
    import pickle

    try:
        instant.parse("[1,,2]", strict=True)
    except ValueError as e:
        assert isinstance(e, instant.ParseError)
        again = pickle.loads(pickle.dumps(e))
        assert (again.offset, again.line, again.column, again.msg) == (
            e.offset,
            e.line,
            e.column,
            e.msg,
        )
    else:  # pragma: no cover
        raise AssertionError("no error")


def test_a_very_long_string_streams_with_linear_work() -> None:
    # Each delta's value is the whole text so far, so past 65,536 characters deltas are
    # batched (until the new text is 1/16 of the text so far): total copying stays linear.
    n = 400_000
    text = '{"answer": "' + "abcd" * (n // 4) + '"}'
    chunks = [text[i : i + 3] for i in range(0, len(text), 3)]
    parser = instant.Parser(snapshots=False)
    deltas, copied = [], 0
    for chunk in chunks:
        for e in parser.feed(chunk):
            if e["event"] == "delta":
                deltas.append(e["delta"])
                copied += len(e["value"])
    parser.close()
    assert "".join(deltas) == parser.value["answer"] == "abcd" * (n // 4)
    short = 65_536 // 3  # one delta per chunk while the string is short
    assert short < len(deltas) < short + 16 * 3  # then about 16 per doubling
    assert copied < 65_536**2 // 6 + 40 * n  # quadratic only up to the threshold


def test_value_shows_a_started_document() -> None:
    strict = instant.Parser(strict=True)
    strict.feed('{"a": [1')
    # a number appears only once complete, and a container with its first event
    assert strict.value == {}
    strict.feed(", ")
    assert strict.value == {"a": [1]}
    strict.feed('"x')
    assert strict.value == {"a": [1, "x"]}
    strict.feed('"], "b": "')
    assert strict.value == {"a": [1, "x"]}  # "b" has no text yet: no event, not there yet
    strict.feed('"')
    assert strict.value == {"a": [1, "x"], "b": ""}
    lenient = instant.Parser()
    lenient.feed("[[1")
    assert lenient.value is None  # an uncommitted candidate: it may still turn out to be prose
    lenient.feed(", 2")
    assert lenient.value == [[1]]
    keyed = instant.Parser()
    keyed.feed('{"a": [1')
    assert keyed.value == {}  # a complete key commits the document; "a" has had no event yet
    keyed.feed(",")
    assert keyed.value == {"a": [1]}
