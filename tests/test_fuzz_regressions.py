"""Inputs found by the atheris fuzz target (tests/fuzz/fuzz_parser.py), replayed through the
same checks (:func:`check` is plain Python; atheris is only needed to fuzz).

Each entry: the raw fuzzer input (first byte: number of cut points; then two bytes per cut;
then the data) and what it found.
"""

from __future__ import annotations

import pytest

from tests.fuzz.fuzz_parser import check

FINDINGS = [
    # A libFuzzer "timeout" during the first run: the machine was swapping under another
    # process; replayed alone the input takes about a millisecond. Kept as a smoke input.
    pytest.param(
        b"\x00S\x01\x00\x00\x00\x00\x00\x00\x1eur{,e(! ```j\xc5\x00\n{'a': Tuve,r\x00e",
        id="timeout-under-load-not-a-bug",
    ),
]

SEEDS = [
    b'\x00{"a": [1, 2.5e-3, "x\\u00e9\\ud83d\\ude00", true, null]}',
    b"\x00Sure! ```json\n{'a': True, b: [1,2,],} // c\n```",
    b"\x02\x03\x00\x07\x00<think>{}</think>[1]",
    b'\x01\x02\x00"\\ud800"',
    b"\x00-0.0e+10",
    b'\x03\x01\x00\x02\x00\x03\x00{"k": {"n": [[[]]]}}',
    b'\x00[1] [2]\n{"a":1}',
    b"\x01\x05\x00" + '["caf\u00e9 \U0001f600"]'.encode(),
    b"\x00" + b"\xff\xfe{",
]


@pytest.mark.parametrize("raw", FINDINGS + SEEDS)
def test_fuzz_input(raw: bytes) -> None:
    check(raw)
