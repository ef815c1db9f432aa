"""The JSON5 conformance suite (json5/json5-tests, MIT) in lenient mode, one test per file.

Lenient mode's named standard is JSON5 (README "Finding the JSON in a model reply"): every
valid file (``.json``, ``.json5``) parses to the value the reference ``json5`` package gives,
in every chunking, and is not marked truncated; every invalid file (``.js``, ``.txt``) is
rejected with ``ParseError`` -- except the few that are leniencies instant documents on
purpose, each listed in :data:`LENIENCIES` with its reason and the value it gives.

The files and their expected values are in ``tests/data/json5-tests`` (see its SOURCE.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import instant
from tests.chunking import chunkings, first_difference

SUITE = Path(__file__).parent / "data" / "json5-tests"
CASES: list[dict[str, Any]] = [
    json.loads(line) for line in (SUITE / "expected.jsonl").read_text().splitlines()
]

#: invalid JSON5 that instant accepts on purpose: file -> (why, the value it gives)
LENIENCIES: dict[str, tuple[str, Any]] = {
    "objects/illegal-unquoted-key-number.txt": (
        "an unquoted key is any run of letters, digits, '_', '$' and '-' ([\\w$-]+): models "
        "write keys such as 10twenty",
        {"10twenty": "ten twenty"},
    ),
    "objects/illegal-unquoted-key-symbol.txt": (
        "an unquoted key may hold '-' (content-type, multi-word): models write them unquoted",
        {"multi-word": "multi-word"},
    ),
    "strings/unescaped-multi-line-string.txt": (
        "a raw newline (or tab) inside a string is kept: models break long strings that way",
        "foo\nbar",
    ),
}


def test_the_suite_is_all_here() -> None:
    assert len(CASES) == 113
    assert all((SUITE / case["file"]).is_file() for case in CASES)
    assert set(LENIENCIES) <= {case["file"] for case in CASES if not case["valid"]}


def outcomes(text: str) -> list[tuple[Any, bool] | instant.ParseError]:
    """(value, truncated) or the ParseError, for the text in several chunkings."""
    results: list[tuple[Any, bool] | instant.ParseError] = []
    for chunks in chunkings(text, seeds=3):
        parser = instant.Parser()
        try:
            for chunk in chunks:
                parser.feed(chunk)
            parser.close()
        except instant.ParseError as err:
            results.append(err)
        else:
            results.append((parser.value, parser.truncated))
    return results


@pytest.mark.parametrize("case", CASES, ids=[case["file"] for case in CASES])
def test_json5_file(case: dict[str, Any]) -> None:
    text = (SUITE / case["file"]).read_bytes().decode("utf-8")
    if case["valid"] or case["file"] in LENIENCIES:
        expected = case["value"] if case["valid"] else LENIENCIES[case["file"]][1]
        for got in outcomes(text):
            assert not isinstance(got, instant.ParseError), f"rejected: {got}"
            value, truncated = got
            diff = first_difference(value, expected)
            assert diff is None, f"value differs from the reference at {diff}"
            assert truncated is False
        assert first_difference(instant.parse(text), expected) is None
    else:
        for got in outcomes(text):
            assert isinstance(got, instant.ParseError), f"accepted as {got!r:.200}"
        with pytest.raises(instant.ParseError):
            instant.parse(text)
