"""Hostile input: each case is bounded by construction (the parser's work is linear in the
input, and each limit stops it early), so no test measures time. Where linearity itself is
the claim, the test counts the work (events, characters copied) instead of timing it."""

from __future__ import annotations

import json
from typing import Any

import pytest

import instant
from tests.chunking import chunkings, feed_all

N = 100_000


def parse_error(chunks: list[Any], **options: Any) -> instant.ParseError:
    """Feed ``chunks`` and close; the parser must raise ParseError and nothing else."""
    parser = instant.Parser(**options)
    with pytest.raises(instant.ParseError) as info:
        for chunk in chunks:
            parser.feed(chunk)
        parser.close()
    assert type(info.value) is instant.ParseError
    return info.value


# -- nesting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opener", "strict"),
    [(o, False) for o in ["[", '{"a":', "[{'k':", "{a: ["]]
    + [(o, True) for o in ["[", '{"a":', '[{"k":']],
)
def test_100000_deep_nesting_stops_at_max_depth(opener: str, strict: bool) -> None:
    text = opener * N
    for chunks in ([text], list(text[: 20 * len(opener) * 1000])):
        err = parse_error(chunks, strict=strict)
        assert "max_depth=1000" in str(err)
        depth_at = 0
        for i, ch in enumerate(text):  # the offset is the container that is one too deep
            depth_at += ch in "[{"
            if depth_at == 1001:
                assert err.offset == i
                break


def test_deep_nesting_with_closers_and_a_lower_limit() -> None:
    text = "[" * N + "]" * N
    err = parse_error([text], max_depth=50)
    assert err.offset == 50 and "max_depth=50" in err.msg
    ok = "[" * 1000 + "]" * 1000  # exactly max_depth deep is fine
    value = instant.parse(ok, strict=True)
    for _ in range(999):
        value = value[0]
    assert value == []


# -- long strings ------------------------------------------------------------------------


def test_a_2_5_mb_string_fed_one_character_at_a_time() -> None:
    # One feed() per character: the fast path for a chunk inside an open string. 2.5 MB keeps
    # the suite fast; the work is shown to be linear by counting, and the 10 MB case below is
    # fed in small chunks. Past 64K characters deltas are batched (each delta's ``value`` is
    # the text so far), so the total text handed out stays linear too.
    n = 2_500_000
    parser = instant.Parser(snapshots=False)
    parser.feed('{"s": "')
    deltas = copied = 0
    for _ in range(n):
        for e in parser.feed("x"):
            deltas += 1
            copied += len(e["value"])
    events = parser.feed('"}') + parser.close()
    assert [e["key"] for e in events][-2:] == ["s", ""]
    assert parser.value == {"s": "x" * n}
    assert deltas < 65_536 + 16 * 8 * 2  # one per chunk up to 64K, then ~16 per doubling
    assert copied < 65_536**2 // 2 + 40 * n


def test_a_10_mb_string_streams_with_linear_work() -> None:
    n = 10_000_000
    text = '["' + "abcé\\n" * (n // 6) + '"]'
    parser = instant.Parser(snapshots=False)
    copied = calls = 0
    for i in range(0, len(text), 97):
        calls += 1
        for e in parser.feed(text[i : i + 97]):
            if e["event"] == "delta":
                copied += len(e["value"])
    parser.close()
    assert parser.value == ["abcé\n" * (n // 6)]
    assert copied < 65_536**2 // 2 + 40 * n  # quadratic only up to the 64K threshold


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_backslash_flood(strict: bool) -> None:
    n = 1_000_000
    text = '"' + "\\\\" * n + '"'
    assert instant.parse(text, strict=strict) == "\\" * n
    part = text[: 2 * (n // 5) + 1] + '"'  # a fifth of it, in 3-character chunks: escapes split
    chunks = [part[i : i + 3] for i in range(0, len(part), 3)]
    _, parser = feed_all(chunks, strict=strict, snapshots=False)
    assert parser.value == "\\" * (n // 5)
    # an odd number of backslashes escapes the closing quote: the string never ends
    odd = '"' + "\\" * (2 * n + 1) + '"'
    if strict:
        parse_error([odd], strict=True)
    else:
        _, parser = feed_all([odd])
        assert parser.truncated and parser.value == "\\" * n + '"'


# -- big containers, big numbers -----------------------------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["whole", "chunked"])
def test_100000_keys_in_one_object(chunked: bool) -> None:
    pairs = [(f"k{i}", i) for i in range(N)]
    text = json.dumps(dict(pairs))
    chunks = [text[i : i + 4096] for i in range(0, len(text), 4096)] if chunked else [text]
    # snapshots=False: with snapshots every event hands out a copy of the open object, so
    # keeping all 100,000 events would hold 100,000 copies (quadratic by design).
    events, parser = feed_all(chunks, snapshots=False)
    assert list(parser.value.items()) == pairs
    assert len(events) == N + 1
    assert instant.parse(text) == dict(pairs)  # parse() keeps no events, so no snapshots


def test_a_million_item_array() -> None:
    # snapshots=False: with snapshots each item's done event would copy the open array
    # (copy-on-write of the containers on the path), which is quadratic for one huge array.
    n = 1_000_000
    text = "[" + "1," * (n - 1) + "1]"
    events, parser = feed_all([text[: len(text) // 2], text[len(text) // 2 :]], snapshots=False)
    assert parser.value == [1] * n and len(events) == n + 1


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_a_100000_digit_number(strict: bool) -> None:
    digits = "7" * N
    for text in (digits, "-" + digits, "0." + digits, "1e" + digits, "[" + digits + "]"):
        for chunks in ([text], [text[i : i + 1000] for i in range(0, len(text), 1000)]):
            err = parse_error(chunks, strict=strict)
            assert "max_number_length=4300" in err.msg
    # raising our limit: CPython's own int limit still surfaces as ParseError
    err = parse_error([digits], strict=strict, max_number_length=2 * N)
    assert "cannot convert" in err.msg
    assert instant.parse("0." + digits, max_number_length=2 * N) == float("0." + digits)
    # exactly the limit is fine (sign not counted), one more is not
    assert instant.parse("-" + "9" * 4300, strict=strict) == -int("9" * 4300)
    assert parse_error(["9" * 4301], strict=strict).offset == 4300


# -- characters and bytes -------------------------------------------------------------------

SURROGATE_TEXTS = [
    '"\\udc00\\ud800"',  # reversed pair: two lone surrogates
    '"\\ud800"',
    '"\\udfff"',
    '"\\ud800\\u0041"',
    '"\\ud800\\ud800\\udc00"',  # a lone high, then a pair
    '["\\ud83d", "\\ude00", "\\ud83d\\ude00"]',
    '{"\\ud800": "\\udc00x"}',
    '"\ud800 raw \udc00 lone"',  # lone surrogates as characters of a str chunk
]


@pytest.mark.parametrize("text", SURROGATE_TEXTS)
@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_lone_and_reversed_surrogates_decode_like_json_loads(text: str, strict: bool) -> None:
    expected = json.loads(text)
    for chunks in chunkings(text, seeds=3):
        _, parser = feed_all(chunks, strict=strict)
        assert parser.value == expected, chunks


@pytest.mark.parametrize("code", range(0x20))
def test_every_control_character(code: int) -> None:
    c = chr(code)
    in_string = '["a' + c + 'b"]'
    err = parse_error([in_string], strict=True)
    assert err.offset == 3
    assert instant.parse(in_string) == ["a" + c + "b"]  # lenient: raw controls are kept
    between = "[1," + c + "2]"
    try:
        expected = json.loads(between)
    except ValueError:
        assert parse_error(list(between), strict=True).offset == 3
    else:
        assert instant.parse(between, strict=True) == expected
    # anywhere in a lenient reply, only ParseError may come out
    for text in (c, c + '{"a": 1}', '{"a"' + c + ": 1}", "[" + c * 3 + "]", "'" + c + "'"):
        for chunks in ([text], list(text), [text.encode()]):
            try:
                feed_all(chunks)
            except instant.ParseError:
                pass


def test_nul_bytes() -> None:
    assert instant.parse('{"a": "\x00\x00"}') == {"a": "\x00\x00"}
    assert instant.parse(b'{"a": "\\u0000"}', strict=True) == {"a": "\x00"}
    assert parse_error([b"\x00" * 1000], strict=True).offset == 0
    assert parse_error(["\x00" * 1000]).msg.startswith("no JSON value")


INVALID_UTF8 = [
    (b'{"a": "\xff"}', 7, "invalid UTF-8 byte 0xff"),
    (b'["ok", "\xc3\x28"]', 8, "invalid UTF-8 byte 0xc3"),
    (b'["\xc0\xaf"]', 2, "invalid UTF-8 byte 0xc0"),  # overlong "/"
    (b'["\xed\xa0\x80"]', 2, "invalid UTF-8 byte 0xed"),  # an encoded surrogate
    (b'["\xf4\x90\x80\x80"]', 2, "invalid UTF-8 byte 0xf4"),  # above U+10FFFF
    (b'["caf\xc3\xa9 \x80"]', 8, "invalid UTF-8 byte 0x80"),  # a lone continuation byte
]


@pytest.mark.parametrize(("data", "at", "message"), INVALID_UTF8)
@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_invalid_utf8_is_a_parse_error_naming_the_byte_offset(
    data: bytes, at: int, message: str, strict: bool
) -> None:
    for chunks in ([data], [data[i : i + 1] for i in range(len(data))], [data[:at], data[at:]]):
        err = parse_error(chunks, strict=strict)
        assert not isinstance(err, UnicodeDecodeError)
        assert message in err.msg and f"byte offset {at}" in err.msg, err.msg


def test_utf8_cut_inside_a_code_point_at_the_end() -> None:
    data = '{"a": "caf\u00e9 \U0001f600"}'.encode()[:-4]  # inside the emoji
    err = parse_error([data], strict=True)
    assert "incomplete UTF-8 sequence at byte offset" in err.msg
    _, parser = feed_all([data])  # lenient: a cut-off reply, finished at close()
    assert parser.truncated and parser.value == {"a": "caf\u00e9 "}


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
def test_max_size_exceeded(strict: bool) -> None:
    text = json.dumps({"items": list(range(1000))})
    assert instant.parse(text, strict=strict, max_size=len(text)) == json.loads(text)
    for chunks in ([text], [text[i : i + 7] for i in range(0, len(text), 7)], [text.encode()]):
        err = parse_error(chunks, strict=strict, max_size=len(text) - 1)
        assert err.offset == len(text) - 1 and "max_size" in err.msg
    # a flood never read past the limit, even one giant chunk of it
    err = parse_error(['"' + "x" * 10_000_000], max_size=1000)
    assert err.offset == 1000
