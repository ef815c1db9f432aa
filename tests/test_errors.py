"""Errors say where and what, keep what was parsed, and are the only exception input raises."""

from __future__ import annotations

import json
import sys

import pytest

import instant
from tests.chunking import chunkings


def error_of(chunks: list, **options: object) -> instant.ParseError:
    parser = instant.Parser(**options)  # type: ignore[arg-type]
    with pytest.raises(instant.ParseError) as info:
        for chunk in chunks:
            parser.feed(chunk)
        parser.close()
    return info.value


@pytest.mark.parametrize(
    ("text", "offset", "message"),
    [
        ('{"a": 1,\n "b" 2}', 14, "expected ':' after the object key, found '2'"),
        ("[1, 2\n, 3 4]", 10, "expected ',' or ']' after an array item, found '4'"),
        ('{"a": [1, 2}', 11, "expected ',' or ']' after an array item, found '}'"),
        ("[01]", 2, "no leading zeros"),
        ("[1.]", 3, "a digit after the decimal point"),
        ("[1e+]", 4, "a digit in the exponent"),
        ("[-x]", 2, "a digit after '-'"),
        ('["a\\x"]', 4, "invalid escape"),
        ('["a\\u12g4"]', 7, "invalid escape"),
        ('["tab\there"]', 5, "unescaped control character U+0009"),
        ("[tru]", 4, "found ']'"),
        ("[trux]", 4, "found 'x'"),
        ("[1,]", 3, "expected a value, found ']'"),
        ('{"a":1,}', 7, "expected an object key in double quotes, found '}'"),
        ("{'a': 1}", 1, "expected an object key in double quotes"),
        ("[1] 2", 4, "expected end of input after the JSON value"),
        ("[NaN]", 1, "found 'N'"),
        ("[1, 2", 5, "expected ',' or ']' after an array item, found end of input"),
        ('{"a": "b', 8, "expected the closing quote of a string, found end of input"),
        ("", 0, "no JSON value found"),
        ("  \n ", 4, "no JSON value found"),
        ("// c\n1", 0, "expected a value, found '/'"),
    ],
)
def test_strict_errors_say_where_and_what(text: str, offset: int, message: str) -> None:
    for chunks in chunkings(text, seeds=4):
        err = error_of(chunks, strict=True)
        assert err.offset == offset, (chunks, str(err))
        assert message in err.msg, str(err)
        # line and column counted the way json.JSONDecodeError counts them
        assert err.line == text.count("\n", 0, offset) + 1
        assert err.column == offset - text.rfind("\n", 0, offset)
        if offset < len(text) and not text[offset].isspace():
            assert text[offset] in str(err).split("\n", 1)[1]  # the excerpt shows the culprit


def test_line_and_column_agree_with_json_module() -> None:
    text = '{\n  "a": [1,\n    2,\n    oops\n  ]\n}'
    with pytest.raises(json.JSONDecodeError) as ref:
        json.loads(text)
    err = error_of([text], strict=True)
    assert (err.line, err.column, err.offset) == (ref.value.lineno, ref.value.colno, ref.value.pos)


def test_error_message_has_an_excerpt_with_a_caret() -> None:
    err = error_of(['{"name": "Ada", "age": 36 "city": "London"}'], strict=True)
    lines = str(err).split("\n")
    assert lines[0].startswith("expected ',' or '}' after an object member, found '\"'")
    assert "line 1, column 27 (offset 26)" in lines[0]
    caret = lines[2].index("^")
    assert lines[1][caret] == '"'


def test_value_keeps_everything_before_the_error_and_feed_raises_again() -> None:
    parser = instant.Parser()
    events = parser.feed('{"a": [1, 2], "b": "hello')
    assert parser.value == {"a": [1, 2], "b": "hello"}
    with pytest.raises(instant.ParseError) as first:
        parser.feed(' world", "c": 3 4}')
    assert parser.value == {"a": [1, 2], "b": "hello world", "c": 3}
    # the events of the failing call are not lost: they ride on the error
    assert [e["key"] for e in first.value.events] == ["b", "b", "c"]
    assert events[-1]["value"] == "hello"
    with pytest.raises(instant.ParseError) as again:
        parser.feed("}")
    assert again.value is first.value
    with pytest.raises(instant.ParseError):
        parser.close()


def test_lenient_mode_raises_once_a_document_is_committed() -> None:
    err = error_of(['Here: {"a": 1, "b": [2 3]}'])
    assert err.offset == 23 and "found '3'" in err.msg


def test_deep_nesting_fails_fast_with_parse_error_not_recursion_error() -> None:
    for strict in (True, False):
        for text, offset in (
            ("[" * 100_000, 1000),
            ('{"a":' * 100_000, 5000),
            ('[{"a":' * 50_000, 3000),
        ):
            err = error_of([text], strict=strict)
            assert "max_depth=1000" in err.msg
            assert err.offset == offset


def test_depth_limit_is_a_constructor_argument() -> None:
    assert instant.parse("[[[1]]]", max_depth=3) == [[[1]]]
    with pytest.raises(instant.ParseError, match="max_depth=2"):
        instant.parse("[[[1]]]", max_depth=2)


def test_huge_number_is_a_parse_error_not_a_value_error_from_int() -> None:
    for strict in (True, False):
        for text in ["1" * 100_000, "[" + "1" * 100_000 + "]", "-" + "9" * 5000, "1." + "5" * 5000]:
            for chunks in ([text], [text[i : i + 7] for i in range(0, len(text), 7)]):
                err = error_of(chunks, strict=strict)
                assert "max_number_length=4300" in err.msg
                assert isinstance(err, ValueError)


def test_number_limit_can_be_raised_and_int_limit_still_surfaces_as_parse_error() -> None:
    text = "1" * 5000
    if hasattr(sys, "get_int_max_str_digits") and sys.get_int_max_str_digits():
        with pytest.raises(instant.ParseError, match="cannot convert"):
            instant.parse(text, max_number_length=10_000)
    assert instant.parse("1" * 50, max_number_length=60) == int("1" * 50)
    with pytest.raises(instant.ParseError, match="max_number_length=10"):
        instant.parse("[12345678901]", max_number_length=10)


def test_max_size() -> None:
    parser = instant.Parser(max_size=10)
    parser.feed('{"a": ')
    with pytest.raises(instant.ParseError) as info:
        parser.feed('"hello"}')
    assert info.value.offset == 10 and "max_size=10" in info.value.msg
    assert parser.value == {"a": "hel"}  # the 10 characters allowed: {"a": "hel


def test_invalid_utf8_is_a_parse_error_naming_the_byte_offset() -> None:
    parser = instant.Parser()
    parser.feed(b'{"a": "caf')
    with pytest.raises(instant.ParseError) as info:
        parser.feed(b'\xc3\xa9 \xff more"}')
    err = info.value
    assert "invalid UTF-8 byte 0xff at byte offset 13" in err.msg
    assert err.offset == 12  # in characters: '{"a": "café ' is 12 characters
    assert parser.value == {"a": "café "}


def test_truncated_utf8_at_close() -> None:
    with pytest.raises(instant.ParseError, match="incomplete UTF-8"):
        p = instant.Parser(strict=True)
        p.feed(b'"caf\xc3')
        p.close()
    p = instant.Parser()
    p.feed(b'{"a": "caf\xc3')
    p.close()
    assert p.value == {"a": "caf"} and p.truncated


def test_feed_after_close_is_an_error_and_close_twice_is_harmless() -> None:
    parser = instant.Parser()
    parser.feed("[1]")
    parser.close()
    assert parser.close() == []
    with pytest.raises(instant.ParseError, match="after close"):
        parser.feed("[2]")


def test_a_chunk_of_the_wrong_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="str or bytes"):
        instant.Parser().feed(123)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "\x00",
        "[\x00]",
        '{"\\ud800": "\\udc00\\ud800"}',
        "[" * 2000 + "]" * 2000,
        '"\\',
        "{" + '"a":1,' * 1000,
        "\\" * 1000,
        "/*" * 100,
        "```" * 50,
        "<think>" * 20,
        "-" * 10,
        "[-Infinity, -Inf, -I]",
    ],
)
def test_garbage_raises_only_parse_error(text: str) -> None:
    for strict in (False, True):
        for chunks in chunkings(text, seeds=3):
            try:
                feed_all = instant.Parser(strict=strict)
                for c in chunks:
                    feed_all.feed(c)
                feed_all.close()
            except instant.ParseError:
                pass


def test_excerpt_shows_the_text_before_the_error_whatever_the_chunking() -> None:
    text = '{"note": "all of this streamed in small pieces" x}'
    for chunks in chunkings(text, seeds=3):
        err = error_of(chunks, strict=True)
        assert 'small pieces" x' in str(err), (chunks, str(err))


def test_excerpt_keeps_the_30_characters_before_the_error_across_many_calls() -> None:
    # the characters before the culprit may have come in many calls: runs of blanks, a string's
    # text taken by feed()'s fast path, characters of every width
    texts = [
        '{"a": "' + "x" * 45 + '\x01"}',  # strict: a control character
        "[" + " " * 70 + "1 2]",  # a missing comma
        '{"\u00e4": "' + "\u00fc" * 40 + "\u20ac\U0001f600" * 4 + '", "b" 1}',  # a missing colon
    ]
    for text in texts:
        for chunks in chunkings(text, seeds=3):
            err = error_of(chunks, strict=True)
            before = text[max(0, err.offset - 30) : err.offset]
            assert err.excerpt[: err.pointer] == before, (chunks, err.excerpt, err.pointer)
            assert err.excerpt[err.pointer] == text[err.offset]


def test_number_limit_counts_digits_not_the_sign() -> None:
    # max_number_length is CPython's int-string limit: digits, the sign not counted
    for text in ("-" + "9" * 4300, "9" * 4300, "[-" + "9" * 4300 + "]"):
        assert instant.parse(text, strict=True) == json.loads(text)
    for text in ("-" + "9" * 4301, "9" * 4301):
        err = error_of([text], strict=True)
        assert err.offset == len(text) - 1 and "max_number_length" in err.msg
