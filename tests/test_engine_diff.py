"""Sameness, proven: the C engine and the Python engine, fed the same inputs in one process.

Every test here feeds both engines (:mod:`tests.engines`) the same chunks with the same options
and a consumer that keeps the same things, and requires identical traces: every event field in
order, values with their exact types, which objects are the same (snapshots shared within a
call, kept pieces across calls), the reference count of every object a consumer receives (an
event, its ``indexes`` and ``path``, every container of a snapshot: a reference the C code
forgot or dropped shows here), which open containers each call copied, errors with type, kind,
offset, line, column, message and excerpt, and at the end ``value``, ``values`` and
``truncated``.

Inputs: JSONTestSuite, the model replies, the JSON5 suite and the fuzz seeds in many chunkings
(every cut in two for short texts), hypothesis' JSON texts, model outputs and truncations, the
inputs that reach every branch of the C code (escapes, surrogate pairs split anywhere, long
strings, numbers and literals split anywhere, limits, hooks), and a seeded slice of the long
differential run (``tests/fuzz/diff_engines.py``, run once with 1,000,000 inputs: README
"How it works").
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import instant
from instant.strategies import chunkings as chunkings_strategy
from instant.strategies import json_texts, model_outputs, truncations
from tests.engines import OPTION_SETS, POLICIES, chunkings, compare, engines, trace
from tests.fuzz import diff_engines
from tests.test_fuzz_regressions import FINDINGS, SEEDS
from tests.test_replies import REPLIES

pytestmark = pytest.mark.c_engine

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _the_c_engine_is_there() -> None:
    assert instant.ENGINE == "c", (
        "the C engine is not built: pip install this checkout where a C compiler is"
    )


def same_every_way(
    text: str, options_list: list[dict[str, Any]], exhaustive: int = 48, seed: Any = 0
) -> None:
    rng = random.Random(seed)
    n = 0
    for chunks in chunkings(text, rng, exhaustive=exhaustive if len(text) <= 4000 else 0):
        if len(chunks) > 600:
            continue  # one character at a time through a long text: random pieces cover it
        for options in options_list:
            policy = POLICIES[n % len(POLICIES)]
            n += 1
            diff = compare(chunks, options, policy, seed=n)
            assert diff is None, diff


BASIC = [{}, {"strict": True}, {"multiple": True, "snapshots": False}]


def test_jsontestsuite(jsontestsuite_file: Path) -> None:
    text = jsontestsuite_file.read_bytes().decode("utf-8", "replace")
    same_every_way(text, BASIC, seed=jsontestsuite_file.name)


@pytest.mark.parametrize("reply", REPLIES, ids=[r.id for r in REPLIES])
def test_replies(reply: Any) -> None:
    same_every_way(
        reply.text,
        [reply.options, {**reply.options, "snapshots": False}, {**reply.options, "strict": True}],
        exhaustive=32,
        seed=reply.id,
    )


JSON5 = sorted(
    p
    for p in (DATA / "json5-tests").rglob("*")
    if p.is_file() and p.suffix in (".json", ".json5", ".js", ".txt")
)


@pytest.mark.parametrize("path", JSON5, ids=[p.name for p in JSON5])
def test_json5_suite(path: Path) -> None:
    same_every_way(path.read_text(encoding="utf-8", errors="replace"), [{}], seed=path.name)


@pytest.mark.parametrize("raw", FINDINGS + SEEDS)
def test_fuzz_seeds(raw: bytes) -> None:
    n = raw[0] % 9 if raw else 0
    text = raw[1 + 2 * n :].decode("utf-8", "replace")
    same_every_way(text, OPTION_SETS, seed=raw)


# -- hypothesis -------------------------------------------------------------------------------

OPTIONS = st.sampled_from(OPTION_SETS)
POLICY = st.sampled_from(POLICIES)


@given(data=st.data(), text=json_texts(), options=OPTIONS, policy=POLICY)
def test_json_texts(data: st.DataObject, text: str, options: dict[str, Any], policy: str) -> None:
    chunks = data.draw(chunkings_strategy(text), label="chunks")
    diff = compare(chunks, options, policy)
    assert diff is None, diff


@given(data=st.data(), reply=model_outputs(), options=OPTIONS, policy=POLICY)
def test_model_outputs(
    data: st.DataObject, reply: tuple[str, Any], options: dict[str, Any], policy: str
) -> None:
    chunks = data.draw(chunkings_strategy(reply[0]), label="chunks")
    diff = compare(chunks, options, policy)
    assert diff is None, diff


@given(data=st.data(), text=json_texts(), policy=POLICY)
def test_truncations(data: st.DataObject, text: str, policy: str) -> None:
    cut = data.draw(truncations(text), label="cut")
    chunks = data.draw(chunkings_strategy(cut), label="chunks")
    diff = compare(chunks, {}, policy)
    assert diff is None, diff


# -- every branch of the C code -------------------------------------------------------------------

TARGETED = [
    # every JSON escape, and lenient ones (handed back), in values and keys
    '{"e\\b\\f\\n\\r\\t\\"\\\\\\/": "a\\b\\f\\n\\r\\t\\"\\\\\\/\\u00e9\\u4e2d z", "k": 1}',
    "{\"a\": \"x\\'y\\x41\\v\\0\\d\", 'b': 'q\\\"r'}",
    # surrogate pairs, joined, lone, high before a non-low escape
    '["\\ud83d\\ude00", "\\ud83d", "\\ude00\\ud83d", "\\ud83d\\u0041", "\\uD83D\\uDE00x", "\\ud83d\\\\u"]',
    # numbers: every form, signs, exponents, leading zeros (an error), JSON5's (handed back)
    "[0, -0, 12, -3.25, 1e9, 2E-3, 6.02e+23, 0.5e1, 123456789012345678901234567890]",
    "[01]",
    "[1.]",
    "[-]",
    "[1e+]",
    "{a: +1, b: .5, c: 5., d: 0x1F, e: -Infinity, f: NaN}",
    # literals, Python ones, a literal cut off, a bad one
    "[true, false, null, True, False, None, undefined]",
    "[tru]",
    "[trux]",
    "[nul",
    # empty and nested containers, trailing commas, duplicate keys
    '{"a": {}, "b": [], "c": [[], {}], "d": {"e": [[[1]]]}, "a": 2}',
    '{"a": [1, 2,], "b": {"c": 3,},}',
    '{"": "", "k": ""}',
    # prose, fences, think blocks, several documents
    'Sure!\n```json\n{"a": "b"}\n```\nDone.',
    '<think>{"not": "this"}</think>{"a": [1, "x"]}',
    'The array [1, 2] and {"k": "v"} then {"x": "y"}.',
    '{"a": 1}\n{"b": "two"}\n[3]',
    # comments and JSON5 whitespace
    '{"a": 1, // one\n "b": /* two */ 2}',
    '{\u00a0"a":\u20281}',
    # control characters inside strings (lenient keeps them, strict refuses)
    '{"a": "x\ty\x01z"}',
    # a string with no text, strings that are whole documents
    '""',
    '"just a string"',
    '{"a": "", "b": "x"}',
    # non-ASCII text of every width
    '{"é": "naïve", "中": "文字", "😀": "emoji 😀", "k": "\u2028\u2029"}',
]


@pytest.mark.parametrize("text", TARGETED, ids=range(len(TARGETED)))
def test_targeted(text: str) -> None:
    same_every_way(text, OPTION_SETS, exhaustive=96, seed=text)


EXCERPTS = [
    # errors whose excerpt reaches back over many calls (the C engine keeps those characters in
    # a buffer of its own and makes the str only when Python reads it)
    '{"a": "' + "x" * 45 + '\x01"}',  # strict: after text the fast path took
    "[" + " " * 70 + "1 2]",  # after a long run of blanks
    '{"k": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12.e5]}',  # a number begun in an earlier call
    '{"\u00e4": "' + "\u00fc" * 40 + "\u20ac\U0001f600" * 4 + '", "b": tru}',  # every width
    '["' + "\u00e9" * 35 + '", 12' + "3" * 30 + "x]",
    # a number too long, or one a hook refuses: the error points back at the number's start (or
    # its limit), in text consumed calls ago, which the excerpt takes from the kept characters
    '{"pad": "' + "p" * 20 + '", "n": [7, 8, 9], "big": 1234567890123456789012345}',
    "[" + "\u00fc" * 50 + ", -98765432109876543210]",
]


def _short_ints(text: str) -> int:
    if len(text) > 12:
        raise ValueError("this hook takes at most 12 digits")
    return int(text)


@pytest.mark.parametrize("text", EXCERPTS, ids=range(len(EXCERPTS)))
def test_excerpts_after_many_calls(text: str) -> None:
    options: list[dict[str, Any]] = [
        *BASIC,
        {"max_number_length": 10},
        {"parse_int": _short_ints, "strict": True},
    ]
    same_every_way(text, options, exhaustive=128, seed=text)


def test_long_strings_batch_their_deltas_the_same() -> None:
    """Past 65,536 characters a string's deltas are batched (the C path hands that back)."""
    rng = random.Random(5)
    body = "".join(rng.choice("abc de\\n\u00e9\u4e2d") for _ in range(70_000))
    text = json.dumps({"long": body, "after": [1, "x"]}, ensure_ascii=False)
    for size in (1000, 4093):
        chunks = [text[i : i + size] for i in range(0, len(text), size)]
        for policy in ("drop", "last"):
            diff = compare(chunks, {}, policy)
            assert diff is None, diff


def test_deep_nesting_and_the_depth_limit() -> None:
    text = "[" * 1200 + "1" + "]" * 1200
    for options in ({}, {"max_depth": 50}, {"strict": True}):
        for chunks in ([text], [text[i : i + 7] for i in range(0, len(text), 7)]):
            diff = compare(chunks, options, "last")
            assert diff is None, diff


def test_whole_documents_take_the_bulk_path_the_same() -> None:
    rng = random.Random(3)
    value = diff_engines._value(rng)
    doc = {"items": [diff_engines._value(rng) for _ in range(60)], "v": value}
    text = json.dumps(doc, indent=1)
    for options in ({}, {"snapshots": False}, {"multiple": True}):
        diff = compare([text], options, "last")
        assert diff is None, diff
        diff = compare([text[:300], text[300:]], options, "all")
        assert diff is None, diff


def test_a_model_like_document_in_small_chunks() -> None:
    sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
    try:
        from docs import chunks_1_8, model_document
    finally:
        sys.path.pop(0)
    text = model_document(4096, seed=1)
    for policy in POLICIES:
        diff = compare(chunks_1_8(text, seed=2), {}, policy)
        assert diff is None, diff


# -- a slice of the long run ------------------------------------------------------------------------


@pytest.mark.parametrize("part", range(4))
def test_random_inputs(part: int) -> None:
    """1,000 inputs of the long differential run (``tests/fuzz/diff_engines.py``) per part."""
    done, diff = diff_engines.run(seed=21, start=part * 1000, count=1000)
    assert diff is None, diff
    assert done == 1000


@settings(max_examples=10)
@given(seed=st.integers(0, 2**32 - 1))
def test_random_inputs_of_any_seed(seed: int) -> None:
    done, diff = diff_engines.run(seed=seed, start=0, count=50)
    assert diff is None, diff


def test_huge_limits() -> None:
    text = '{"a": [12345678901234567890, "x"], "b": {"c": [[[1.5e300]]]}}'
    for options in ({"max_depth": 10**30}, {"max_number_length": 10**20}):
        same_every_way(text, [options], exhaustive=0)


def test_a_long_string_leaves_the_fast_path_at_its_batching_length() -> None:
    text = json.dumps({"answer": "word " * 14_000, "n": 1})
    chunks = [text[i : i + 97] for i in range(0, len(text), 97)]
    for policy in ("drop", "last"):
        diff = compare(chunks, {}, policy)
        assert diff is None, diff


def test_what_follows_the_document_reaches_the_ignored_hook_the_same() -> None:
    """The CLI counts the documents after the first through State._on_ignored."""
    from tests.engines import difference, engines, trace

    text = '{"a": 1}  \n {"b": 2}\n\n[3]  '
    for chunks in ([text], list(text)):
        seen: dict[str, list[str]] = {}
        traces = {}
        for name, cls in engines().items():

            def make(
                cls: Any = cls, name: str = name, seen: dict[str, list[str]] = seen, **options: Any
            ) -> Any:
                parser = cls(**options)
                parser._on_ignored = seen.setdefault(name, []).append
                return parser

            traces[name] = trace(make, chunks, {})
        assert difference(traces["c"], traces["python"]) is None
        assert seen["c"] == seen["python"] and "".join(seen["c"]).strip()


@pytest.mark.parametrize("policy", POLICIES)
def test_a_failed_parser_raises_the_same_error_again(policy: str) -> None:
    # SPEC: further calls raise the same error; the trace notes it once it was recorded (a deep
    # document's events recorded on every later call took the long run to 24 GB)
    text = "[" * 300 + "Sure!\n" + "[" * 50 + "]" * 400
    chunks = list(text)
    assert compare(chunks, {"strict": True, "emit_start": True}, policy) is None
    for name, make in engines().items():
        t = trace(make, chunks, {"strict": True, "emit_start": True}, policy)
        failed = next(i for i, call in enumerate(t.calls) if call[1] is not None)
        assert t.calls[failed][1][0] == "ParseError" and len(t.calls[failed][0]) == 300, name
        later = t.calls[failed + 1 :]
        assert len(later) == len(chunks) - failed, name  # the close() too
        assert all(c[1][:2] == ("the same error again", True) for c in later), name


# Each case runs in a fresh process: the long run forks its workers, and forking pytest's
# process (which has threads by then) is what CPython 3.12 warns may deadlock.
LONG_RUN_CASES = {
    "clean": "",
    "dies": """
real = d.run
def dies(seed, start, count):
    if start == 20:
        os._exit(9)  # as the OOM killer or a crash in the C code would end it
    return real(seed, start, count)
d.run = dies  # the workers are forked: they see it
""",
    "grows": """
d.compare = lambda *a, **k: bytearray(1 << 31)  # over --max-gb 1
""",
}


def _long_run(case: str, *argv: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import os, sys\n"
        "from tests.fuzz import diff_engines as d\n"
        + LONG_RUN_CASES[case]
        + f"\nsys.exit(d.main({list(argv)!r}))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_long_run_names_what_stopped_it() -> None:
    done = _long_run("clean", "--inputs", "60", "--batch", "20", "--processes", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "done: 60 inputs fed to both engines, no difference" in done.stdout

    done = _long_run("dies", "--seed", "3", "--inputs", "60", "--batch", "20")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "a worker died within inputs 20..39" in done.stdout, done.stdout
    assert "--seed 3 --start 20 --inputs 20 --batch 1" in done.stdout, done.stdout

    done = _long_run("grows", "--seed", "3", "--start", "40", "--inputs", "5", "--max-gb", "1")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "input 40 (seed 3): MemoryError" in done.stdout, done.stdout
    assert "Warning" not in done.stderr, done.stderr
