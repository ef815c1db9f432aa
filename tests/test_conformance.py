"""JSONTestSuite (test_parsing) in strict mode, one test per file.

* ``y_*``: accepted, with the value ``json.loads(bytes)`` gives (same types, same key order;
  NaN-safe, lone surrogates compared as Python str);
* ``n_*``: rejected with ``instant.ParseError`` (from ``feed`` or ``close``);
* ``i_*``: either, but never another exception type -- and the same outcome (and value)
  whichever way the bytes are fed.

Each file is parsed three ways: ``instant.parse(data, strict=True)``, one ``Parser.feed`` of the
whole bytes then ``close()``, and ``feed`` one byte at a time.  The corpus directory comes from
``conftest.JSONTESTSUITE`` (``tests/data/JSONTestSuite/test_parsing``, carried in the
repository with its MIT licence and source note) and parametrization from
``conftest.pytest_generate_tests``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import instant
from tests.chunking import first_difference
from tests.conftest import JSONTESTSUITE


def run_parser(chunks: list[bytes]) -> Any:
    p = instant.Parser(strict=True)
    events: list[dict[str, Any]] = []
    for chunk in chunks:
        events += p.feed(chunk)
    events += p.close()
    assert p.truncated is False
    assert events, "accepted, but no events"
    last = events[-1]
    assert (last["key"], last["path"], last["event"]) == ("", (), "done"), f"last: {last!r:.300}"
    diff = first_difference(last["value"], p.value)
    assert diff is None, f"root done value vs Parser.value: {diff}"
    return p.value


class Rejected:
    """The outcome of a parse that raised ParseError."""

    def __init__(self, error: instant.ParseError) -> None:
        self.error = error

    def __repr__(self) -> str:
        return f"Rejected({self.error.msg!r})"


def outcome(how: str, parse: Callable[[], Any]) -> Any:
    """The parsed value, or ``Rejected``; any exception other than ParseError fails the test."""
    try:
        return parse()
    except instant.ParseError as exc:
        assert isinstance(exc, ValueError)
        return Rejected(exc)
    except Exception as exc:  # noqa: BLE001 - that is exactly what must not happen
        pytest.fail(f"{how}: {type(exc).__name__} escaped instead of ParseError: {exc!r:.500}")


def test_jsontestsuite(jsontestsuite_file: Path | None) -> None:
    if jsontestsuite_file is None:
        pytest.fail(f"JSONTestSuite corpus missing: no y_/n_/i_ files in {JSONTESTSUITE}")
    name = jsontestsuite_file.name
    data = jsontestsuite_file.read_bytes()

    outcomes = {
        "instant.parse": outcome("instant.parse", lambda: instant.parse(data, strict=True)),
        "feed(whole)": outcome("feed(whole)", lambda: run_parser([data])),
        "feed(1 byte)": outcome(
            "feed(1 byte)", lambda: run_parser([data[i : i + 1] for i in range(len(data))])
        ),
    }

    if name.startswith("y_"):
        expected = json.loads(data)
        for how, got in outcomes.items():
            assert not isinstance(got, Rejected), f"{how} rejected valid JSON: {got.error}"
            diff = first_difference(got, expected)
            assert diff is None, f"{how}: value differs from json.loads at {diff}"
    elif name.startswith("n_"):
        for how, got in outcomes.items():
            assert isinstance(got, Rejected), f"{how} accepted invalid JSON as {got!r:.300}"
    else:  # i_: implementation-defined, but the same whatever the chunking
        results = list(outcomes.items())
        (how0, first), rest = results[0], results[1:]
        for how, got in rest:
            if isinstance(first, Rejected) or isinstance(got, Rejected):
                assert isinstance(first, Rejected) == isinstance(got, Rejected), (
                    f"{how0} gave {first!r:.200} but {how} gave {got!r:.200}"
                )
            else:
                diff = first_difference(got, first)
                assert diff is None, f"{how} vs {how0}: {diff}"
