"""Trust: the right document or a precise error, and an honest verdict at the end (SPEC 2, 5).

Every outcome here is checked in every chunking (whole, one character, one byte -- so every
multi-byte code point split --, random bytes, random pieces) by
:func:`tests.chunking.outcome_every_way`, which also asserts that all chunkings give the same
value, error (kind, offset, line, column, message), ``parser.value`` after it and events.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

import instant
from instant import strategies
from instant.strategies import model_outputs
from tests.chunking import Outcome, chunkings, outcome_every_way

# -- where the document is ---------------------------------------------------------------

FOUND = [
    # a document that begins the reply is the document once it has an event or a key
    ('{"a": 1, "b": [1, 2]}', {"a": 1, "b": [1, 2]}),
    # before that, a failure makes it prose, and its inner brackets are never searched
    ('[Note] Here is the JSON: {"a": 1}', {"a": 1}),
    ("[citation needed] The result: [1, 2]", [1, 2]),
    # a number or literal that begins the reply is the document only if blanks follow it
    ('3 reasons: {"a": 1}', {"a": 1}),
    ('None of the above. {"a": 1}', {"a": 1}),
    ('True story: {"a": 1}', {"a": 1}),
    ("42", 42),
    ("  42  \n", 42),
    ("null // nothing to report\n", None),
    ("```json\n42\n```\nThe answer is 42.", 42),
    # mid-sentence brackets are tentative: prose after them on the line abandons them
    ('See [1]. {"a": 1}', {"a": 1}),
    ('Use `{}` for empty. {"a": 1}', {"a": 1}),
    ('The range [0, 1) is half-open; result: {"a": 1}', {"a": 1}),
    ('As shown in [1], the answer is {"a": 1}', {"a": 1}),
    # ... and the last complete one is taken at close() if nothing better came
    ('The answer is {"a": 1}.', {"a": 1}),
    ('Précisément : {"ville": "Zürich"} — voilà.', {"ville": "Zürich"}),
    # a candidate after a colon, at the start of a line or after a fence streams at once
    ("Here is the data: [1, 2, 3]", [1, 2, 3]),
    ('Here is the JSON:\n{"title": "Lisbon"}\nEnjoy!', {"title": "Lisbon"}),
    ('Sure 😀\n```json\n{"a": [1, 2]}\n```\nDone [1].', {"a": [1, 2]}),
    ('<think>Maybe {"a": 0}? Or [1]</think>\n{"a": 2}', {"a": 2}),
    # JSON5 and the other leniencies inside a document
    ('{"result": undefined, "items": [1, 2]}', {"result": None, "items": [1, 2]}),
    ('{"x": .5, "data": [1, 2]}', {"x": 0.5, "data": [1, 2]}),
    ("{hex: 0xC8, plus: +1, dot: 5., big: 1e3,}", {"hex": 200, "plus": 1, "dot": 5.0, "big": 1e3}),
    ("{'text': 'one \\\ntwo', \u00a0'x\\x41': '\\v'}", {"text": "one two", "xA": "\v"}),
    ("0xC8", 200),
]


@pytest.mark.parametrize(("text", "expected"), FOUND)
def test_the_document_is_found_in_every_chunking(text: str, expected: Any) -> None:
    out = outcome_every_way(text)
    assert out.error is None, str(out.error)
    assert out.value == expected
    assert out.truncated is False
    assert instant.parse(text) == expected


NO_JSON = [
    "12abc",
    "1e0x4",
    "Here is {braces",
    "{[",
    "The interval [0, 1) is half-open.",
    "I'm sorry, but I can't help with that request.",
    "42 is the answer.",
    "true\n/* an unterminated comment",
    'The answer is {"a": 1, "b": [1, 2',  # a mid-sentence candidate cut off is not taken
]


@pytest.mark.parametrize("text", NO_JSON)
def test_a_reply_without_a_document_is_a_no_json_error(text: str) -> None:
    out = outcome_every_way(text)
    assert out.error is not None and out.error.kind == "no_json", out.error
    assert out.error.offset == len(text)  # said at close(): the end of the reply
    assert out.value is None and out.events == []
    with pytest.raises(instant.ParseError) as info:
        instant.parse(text)
    assert info.value.kind == "no_json"


def test_the_no_json_error_says_why_a_reply_that_looked_like_json_is_not() -> None:
    out = outcome_every_way("[\n    ,null\n]")
    assert out.error is not None
    assert out.error.msg == (
        "no JSON value found in the input (what looked like JSON is not: "
        "expected a value or ']', found ',' at line 2, column 5)"
    )


FAILS = [
    # (text, the offending text, the value parsed before it)
    ('{"a": 1, "b": @@@, "c": [1, 2]}', "@@@", {"a": 1}),
    ('{"answer": "Paris", "n": 1 "x": 2}', '"x"', {"answer": "Paris", "n": 1}),
    ("[1, 2, 3, ...]", "..]", [1, 2, 3]),
    ('{"a": [1, 2}', "}", {"a": [1, 2]}),
    ('Here: {"a": 1, "b": [2 3]}', "3]", {"a": 1, "b": [2]}),
    ('{"name": "Zoë", "tags": ["é", "ü"] "x"}', '"x"', {"name": "Zoë", "tags": ["é", "ü"]}),
    ('{"see": below}', "below", {}),  # the key committed it
    ('```json\n{"a": 1,, "b": 2}\n```', ", ", {"a": 1}),
]


@pytest.mark.parametrize(("text", "at", "before"), FAILS)
def test_a_committed_document_fails_at_the_offending_character(
    text: str, at: str, before: Any
) -> None:
    out = outcome_every_way(text)
    err = out.error
    assert err is not None and err.kind == "syntax", err
    assert err.offset == text.index(at), str(err)
    assert out.value == before  # parser.value: what was parsed before it, every chunking
    assert "found" in err.msg and "expected" in err.msg
    # the events handed out (err.events included) hold exactly what was parsed
    assert out.raw[-1]["complete_value"] == before if out.raw else before == {}
    with pytest.raises(instant.ParseError):
        instant.parse(text)


def test_string_text_of_the_failing_chunk_is_not_lost() -> None:
    out = outcome_every_way('{"a": "hello wörld\x01"}', strict=True)
    assert out.error is not None and out.error.offset == 18
    assert out.value == {"a": "hello wörld"}
    deltas = "".join(e["delta"] for e in out.events if e["event"] == "delta")
    assert deltas == "hello wörld"
    out = outcome_every_way('["ok\\u00e9 \\q"]', strict=True)
    assert out.error is not None and out.value == ["oké "]


def test_expect_narrows_where_the_document_may_begin() -> None:
    text = 'Here: [1, 2] are the options.\nAnswer: {"pick": 2}'
    assert outcome_every_way(text).value == [1, 2]
    assert outcome_every_way(text, expect="object").value == {"pick": 2}
    assert outcome_every_way("[1, 2]", expect="object").error.kind == "no_json"  # type: ignore[union-attr]
    text = 'The object {"x": 1} is wrong, use [2]'
    assert outcome_every_way(text, expect="array").value == [2]


def test_json_lines_with_multiple() -> None:
    text = '{"n": 1}\n{"n": 2}\n7\n"eight"\ntrue\n'
    assert outcome_every_way(text, multiple=True).value == [{"n": 1}, {"n": 2}, 7, "eight", True]
    text = 'Results:\n{"n": 1}\n{"n": 2}\nThat is all [1].'
    assert outcome_every_way(text, multiple=True).value == [{"n": 1}, {"n": 2}]


# -- the common case keeps streaming --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ['Here is the JSON:\n{"title": "Lis', 'Sure! ```json\n{"title": "Lis', '{"title": "Lis'],
)
def test_a_document_streams_before_close(text: str) -> None:
    for chunks in chunkings(text, seeds=3):
        parser = instant.Parser()
        events = [e for chunk in chunks for e in parser.feed(chunk)]
        assert any(e["key"] == "title" and e["event"] == "delta" for e in events), chunks
        assert "".join(e["delta"] for e in events if e["key"] == "title") == "Lis"


def test_start_events_come_when_each_container_opens() -> None:
    parser = instant.Parser(emit_start=True)
    assert parser.feed('{"a') == []  # not yet a document: "{a" could be prose
    started = parser.feed('": ')  # its first key is complete: the document
    assert [(e["event"], e["key"]) for e in started] == [("start", "")]
    assert [(e["event"], e["key"]) for e in parser.feed("{")] == [("start", "a")]
    assert [(e["event"], e["key"]) for e in parser.feed('"b": [')] == [("start", "a.b")]
    # an array that begins the reply commits at its first value ("[Note]" is prose)
    parser = instant.Parser(emit_start=True)
    assert parser.feed("[[") == []
    assert [(e["event"], e["key"]) for e in parser.feed('"x')] == [
        ("start", ""),
        ("start", "[]"),
        ("delta", "[].[]"),
    ]


# -- errors: kind and offset, whatever the chunking --------------------------------------------


def test_limit_errors_say_limit_at_the_offending_character() -> None:
    out = outcome_every_way("[" + "1" * 5000 + "]")
    assert out.error is not None and out.error.kind == "limit" and out.error.offset == 4301
    out = outcome_every_way("See " + "[" * 1200)
    assert out.error is not None and out.error.kind == "limit" and out.error.offset == 1004
    assert "no JSON" not in out.error.msg
    if hasattr(sys, "get_int_max_str_digits") and sys.get_int_max_str_digits():
        # a raised max_number_length meets CPython's own limit: at the number's start
        out = outcome_every_way("x:\n[" + "7" * 5000 + "]", max_number_length=10_000)
        assert out.error is not None and out.error.kind == "limit", out.error
        assert out.error.offset == 4 and "cannot convert" in out.error.msg
        assert out.value is None  # "[" had not committed yet
        out = outcome_every_way("7" * 5000, max_number_length=10_000)
        assert out.error is not None and out.error.offset == 0


def test_max_size_is_a_limit_error() -> None:
    parser = instant.Parser(max_size=8)
    with pytest.raises(instant.ParseError) as info:
        parser.feed('{"a": "hello"}')
    assert info.value.kind == "limit" and info.value.offset == 8
    assert parser.value == {"a": "h"}


def test_a_str_chunk_inside_an_incomplete_utf8_sequence_is_an_encoding_error() -> None:
    parser = instant.Parser()
    parser.feed(b'{"a": "caf')  # now inside a string: feed()'s fast path would take a str
    parser.feed(b"\xc3")
    with pytest.raises(instant.ParseError) as info:
        parser.feed("x")
    assert info.value.kind == "encoding" and parser.value == {"a": "caf"}
    parser = instant.Parser()
    parser.feed(b'{"a": "caf\xc3')
    with pytest.raises(instant.ParseError) as info:
        parser.feed('"}')
    assert info.value.kind == "encoding"


# -- an honest verdict ---------------------------------------------------------------------

TRUNCATED = [
    ('{"price": 12', {"price": 12}),  # trailing digits are kept, but the reply was cut
    ('{"answer": "The capital of France is Par', {"answer": "The capital of France is Par"}),
    (
        'Here is the JSON:\n```json\n{"items": [{"id": 1}, {"id": 2, "na',
        {"items": [{"id": 1}, {"id": 2}]},
    ),
    ("[1, 2, 3.", [1, 2]),  # half a number is dropped
    ('{"ok": tr', {}),
]


@pytest.mark.parametrize(("text", "completed"), TRUNCATED)
def test_a_truncated_reply_raises_truncated_error_unless_allowed(text: str, completed: Any) -> None:
    out = outcome_every_way(text)
    assert out.error is None and out.truncated is True and out.value == completed
    with pytest.raises(instant.TruncatedError) as info:
        instant.parse(text)
    err = info.value
    assert isinstance(err, instant.ParseError) and err.kind == "truncated"
    assert err.value == completed and err.offset == len(text)
    assert err.line == text.count("\n") + 1
    assert instant.parse(text, allow_truncated=True) == completed
    # a stream source gets the same verdict
    with pytest.raises(instant.TruncatedError):
        instant.parse(iter([text[:5], text[5:]]))


def test_a_complete_reply_is_not_truncated() -> None:
    for text in ['{"price": 12}', "12", "[1] trailing prose", 'Answer: {"a": 1}.']:
        assert outcome_every_way(text).truncated is False
        instant.parse(text)


def test_allow_truncated_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="allow_truncated"):
        instant.parse("[1]", allow_truncated="yes")  # type: ignore[arg-type]


def test_stream_ends_normally_on_a_reply_without_json() -> None:
    stream = instant.stream(["I can't ", "help with that."])
    assert list(stream) == []
    assert stream.value is None and stream.text == "I can't help with that."
    with pytest.raises(instant.ParseError) as info:
        instant.parse(["I can't ", "help with that."])
    assert info.value.kind == "no_json"


# -- the same outcome whatever the chunking, for any reply --------------------------------

_JUNK = ["@", "}", "]", ",", ":", '"', "'", "\n", " x ", "[", "{", "```", "<think>", "1", "é", "/*"]


@given(output=model_outputs(), data=st.data())
def test_any_reply_with_a_mistake_has_one_outcome_in_every_chunking(
    output: tuple[str, Any], data: st.DataObject
) -> None:
    text, _ = output
    for _ in range(data.draw(st.integers(0, 2), label="mistakes")):
        at = data.draw(st.integers(0, len(text)), label="at")
        text = text[:at] + data.draw(st.sampled_from(_JUNK), label="junk") + text[at:]
    options: dict[str, Any] = data.draw(
        st.sampled_from([{}, {"multiple": True}, {"expect": "object"}, {"emit_start": True}]),
        label="options",
    )
    note(f"text {text!r}")
    reference = Outcome([text], **options)
    chunks = data.draw(strategies.chunkings(text), label="chunks")
    assert Outcome(chunks, **options).key() == reference.key()


_PIECES = [
    "Here", " is", " the", " JSON", ":", " ", "\n", "\n\n", ".", ",", "(", ")", "`", "```", "```json\n",
    "<think>", "</think>", "[", "]", "{", "}", "[1]", "[0, 1)", "{}", "[]", '{"a": 1}', '"s"', "'q'",
    "1", "-", "+", ".5", "0x1F", "12abc", "true", "None", "undefined", "Infinity", "NaN", " // c\n",
    "/*", "*/", "é", "😀", '"k": ', "a:", "\t", "\\", "\r\n",
]  # fmt: skip


@given(data=st.data())
def test_any_mix_of_prose_and_json_has_one_outcome_in_every_chunking(data: st.DataObject) -> None:
    text = "".join(data.draw(st.lists(st.sampled_from(_PIECES), max_size=24), label="pieces"))
    options: dict[str, Any] = data.draw(
        st.sampled_from([{}, {"multiple": True}, {"expect": "array"}, {"emit_start": True}]),
        label="options",
    )
    note(f"text {text!r}")
    reference = Outcome([text], **options)
    chunks = data.draw(strategies.chunkings(text), label="chunks")
    assert Outcome(chunks, **options).key() == reference.key()


@pytest.mark.parametrize(
    "reply, single, multiple",
    [
        # a root scalar, then a fence that opens: the fenced block is the document
        ("'quoted' ```json\n[null,null]\n```", [None, None], ["quoted", [None, None]]),
        ("42\n```json\n[1]\n```", [1], [42, [1]]),
        ('true```json\n{"a":1}```', {"a": 1}, [True, {"a": 1}]),
        # ... unless the fence holds no document: then the scalar is the fallback
        ("42 ```", 42, [42]),
        ("42 ```json\nnot json\n```", 42, [42]),
        # a root scalar inside a fence: the fence closing after it ends the document
        ("```json\n42\n```\nmore [1]", 42, [42]),
        ("```\n'x'\n``` and [1]", "x", ["x"]),
    ],
)
def test_a_fence_after_a_root_scalar_closes_its_own_fence_or_opens_the_document(
    reply: str, single: Any, multiple: list[Any]
) -> None:
    """Found by the relay's property test: a fence after a root scalar was taken as the
    scalar's closing fence even when none was open, so the fenced document was lost."""
    for chunks in chunkings(reply):
        parser = instant.Parser()
        for chunk in chunks:
            parser.feed(chunk)
        parser.close()
        assert parser.value == single, chunks
    assert instant.parse(reply, multiple=True) == multiple
