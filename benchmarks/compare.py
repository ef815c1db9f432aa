"""instant against the alternatives: the same documents, the same chunks, in one run.

Every contender is used the way its documentation streams: the re-parsers (jiter, pydantic-core,
partial-json-parser, json_repair, partialjson, and Agently's instant-mode parser) parse the whole
buffer again after each chunk; the incremental parsers (ijson, json-stream, jsonriver, instant)
are pushed or pulled one chunk at a time; ``json.loads``/``orjson.loads`` of the whole text once
are the lower bound. Each contender's final value is checked against ``json.loads``.

Documents are ``docs.model_document`` (seeded, model-like) at 1 KB ... 1 MB plus one 64 KB
document that is a single long ``answer`` string. Chunks are real tokens (``bpe-openai``'s
``o200k_base`` encoding, token bytes decoded incrementally so a chunk is the text an API sends)
and random 1-8 character pieces (``docs.chunks_1_8``).

    python -m pip install ".[bench]"
    python benchmarks/compare.py            # full run, < 10 minutes on 2 cores
    python benchmarks/compare.py --quick    # ~3 minutes: 1 run each, 1.5 s budget a run

Writes ``benchmarks/results/compare.md``, ``compare_time.png`` / ``compare_latency.png`` and the
raw figures in ``compare.json`` (``--replot`` re-renders the table and plots from it).
A contender whose package is missing is listed as "not installed"; a size whose one run is
predicted (from the contender's measured growth) to exceed the per-run budget is skipped and
marked with the prediction.
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import datetime
import functools
import gc
import json
import math
import os
import platform
import random
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import docs  # noqa: E402
from docs import chunks_1_8, model_document  # noqa: E402

import instant  # noqa: E402

CLOCK = time.perf_counter
K, M = 1024, 1024 * 1024
SIZES = [1 * K, 4 * K, 16 * K, 64 * K, 256 * K, 1 * M]
ANSWER_SIZE = 64 * K
SELECT = "items.[].name"


# --------------------------------------------------------------------------- documents, chunks


def small_document(size: int, seed: int = 0) -> str:
    """A model-like document below ``model_document``'s fixed part (~1.5 KB): title, answer and a
    couple of items, padded with words at the end of ``answer`` to exactly ``size`` bytes."""
    rng = random.Random(seed)
    doc: dict[str, Any] = {"title": docs._sentence(rng).rstrip(".!?:"), "answer": "", "items": []}
    doc["answer"] = docs._prose(rng, 1, 2)
    while True:
        item = docs._item(rng, len(doc["items"]))
        doc["items"].append(item)
        if len(docs._render(doc).encode()) > size:
            doc["items"].pop()
            break
    doc["items"] = doc["items"] or []
    gap = size - len(docs._render(doc).encode())
    if gap < 0:  # even without items it is too big: shorten the answer
        doc["answer"] = doc["answer"][: max(0, len(doc["answer"]) + gap - 8)]
        gap = size - len(docs._render(doc).encode())
    fill = random.Random(seed + 1)
    words = " " + " ".join(fill.choice(docs._WORDS) for _ in range(gap // 3 + 2))
    doc["answer"] += words[:gap]
    text = docs._render(doc)
    assert len(text.encode()) == size, (len(text.encode()), size)
    return text


def answer_document(size: int, seed: int = 0) -> str:
    """``{"answer": "<prose>"}`` of exactly ``size`` bytes: one long string, as a chat reply."""
    rng = random.Random(seed)
    parts: list[str] = []
    n = 0
    while n < size:
        s = docs._prose(rng, 3, 6)
        parts.append(s)
        n += len(json.dumps(s, ensure_ascii=False).encode())
    prose = "\n\n".join(parts)
    text = docs._render({"answer": prose})
    while len(text.encode()) > size:
        over = len(text.encode()) - size
        prose = prose[: len(prose) - max(1, over // 2)]
        text = docs._render({"answer": prose})
    gap = size - len(text.encode())
    text = docs._render({"answer": prose + "x" * gap})
    assert len(text.encode()) == size
    return text


def document(size: int, seed: int) -> str:
    try:
        return model_document(size, seed=seed)
    except ValueError:
        return small_document(size, seed=seed)


_ENCODING: Any = None


def o200k_chunks(text: str) -> list[str]:
    """The text as a model API streams it: o200k_base tokens, their bytes decoded incrementally
    (a token ending inside a UTF-8 sequence yields no text; that empty chunk is not sent)."""
    global _ENCODING
    if _ENCODING is None:
        import bpe_openai

        _ENCODING = bpe_openai.get_encoding("o200k_base")
    # The package refuses a text of 1,000,000 characters or more: encode the 1 MB document in
    # pieces of < 256K characters cut just before a newline (where a token boundary is anyway).
    tokens: list[int] = []
    start = 0
    while start < len(text):
        end = (
            len(text)
            if len(text) - start < 256 * K
            else text.rfind("\n", start + 1, start + 256 * K)
        )
        if end <= start:
            end = min(len(text), start + 256 * K)
        tokens += _ENCODING.encode(text[start:end])
        start = end
    dec = codecs.getincrementaldecoder("utf-8")()
    out = [s for b in _ENCODING.decode_tokens_bytes(tokens) if (s := dec.decode(b))]
    tail = dec.decode(b"", final=True)
    if tail:
        out.append(tail)
    assert "".join(out) == text
    return out


@dataclass
class Case:
    doc: str  # "1 KB" ... or "64 KB answer"
    size: int
    chunking: str  # "o200k" or "1-8"
    text: str
    chunks: list[str]
    bchunks: list[bytes]
    expected: Any


# --------------------------------------------------------------------------- contenders
#
# Each contender has ``timed(case) -> value``: its natural streaming loop, as tight as its API
# allows, and ``probe(case, marks) -> (value, t_first)``: the same loop that appends a
# ``perf_counter`` timestamp after each chunk (push style) or at each pull of the next chunk
# (pull style) and returns the time its first output reached the caller. The timed loop is
# used for totals and µs/chunk, the probed one for first-event time and p99 latency.


@dataclass
class Contender:
    name: str
    kind: str  # "re-parse", "incremental", "instant", "bound"
    timed: Callable[[Case], Any] | None
    probe: Callable[[Case, list[float]], tuple[Any, float]] | None = None
    check: Callable[[Case], Any] | None = None  # value for the check, if timed returns none
    missing: str = ""  # why it is unavailable
    note: str = ""
    cap_s: dict[str, float] = field(default_factory=dict)  # per chunking, over --cap-s
    pure_python: bool = False
    child: bool = False  # measured in a subprocess with INSTANT_PURE_PYTHON=1 (see main)


def _reparse(
    name: str, parse: Callable[[str], Any], note: str = "", pure: bool = False
) -> Contender:
    def timed(case: Case) -> Any:
        buf = ""
        value = None
        for c in case.chunks:
            buf += c
            try:
                value = parse(buf)
            except Exception:  # a prefix it cannot handle yet: keep the last value
                pass
        return value

    def probe(case: Case, marks: list[float]) -> tuple[Any, float]:
        buf = ""
        value = None
        first = 0.0
        mark = marks.append
        for c in case.chunks:
            buf += c
            try:
                value = parse(buf)
            except Exception:
                pass
            t = CLOCK()
            mark(t)
            if not first and value:
                first = t
        return value, first

    return Contender(name, "re-parse", timed, probe, note=note, pure_python=pure)


def _missing(name: str, kind: str, why: str) -> Contender:
    return Contender(name, kind, None, missing=why)


def reparse_contenders() -> list[Contender]:
    out: list[Contender] = []
    try:
        import jiter

        def jiter_parse(s: str) -> Any:
            return jiter.from_json(s.encode(), partial_mode="trailing-strings")

        out.append(
            _reparse(
                f"jiter {jiter.__version__} from_json(partial_mode='trailing-strings')",
                jiter_parse,
                "what the OpenAI SDK does (bytes of the buffer after every chunk)",
            )
        )
    except ImportError:
        out.append(_missing("jiter", "re-parse", "not installed"))
    try:
        import pydantic_core

        def pc_parse(s: str) -> Any:
            return pydantic_core.from_json(s, allow_partial=True)

        out.append(
            _reparse(
                f"pydantic-core {pydantic_core.__version__} from_json(allow_partial=True)",
                pc_parse,
            )
        )
    except ImportError:
        out.append(_missing("pydantic-core", "re-parse", "not installed"))
    try:
        import partial_json_parser

        out.append(
            _reparse(
                "partial-json-parser loads",
                partial_json_parser.loads,
                pure=True,
            )
        )
    except ImportError:
        out.append(_missing("partial-json-parser", "re-parse", "not installed"))
    try:
        import json_repair

        def jr_parse(s: str) -> Any:
            return json_repair.loads(s)

        out.append(_reparse("json_repair loads", jr_parse, pure=True))
    except ImportError:
        out.append(_missing("json_repair", "re-parse", "not installed"))
    try:
        from partialjson.json_parser import JSONParser

        pj = JSONParser()

        def pj_parse(s: str) -> Any:
            return pj.parse(s)

        out.append(_reparse("partialjson JSONParser.parse", pj_parse, pure=True))
    except ImportError:
        out.append(_missing("partialjson", "re-parse", "not installed"))
    return out


def agently_contender() -> Contender:
    name = "Agently StreamingJSONParser (instant mode)"
    try:
        from agently.utils import StreamingJSONParser
    except Exception as exc:  # ImportError, or its import-time dependencies failing
        return _missing(name, "re-parse", f"not importable ({type(exc).__name__})")

    # Agently's parser needs the expected output structure; the document's own value is that.
    # max_incomplete_parse_chars=0: by default it stops parsing (defers to the end) once the
    # buffer passes 1024 characters, which would make it stream nothing at these sizes.
    async def run(case: Case, marks: list[float] | None) -> tuple[Any, float]:
        p = StreamingJSONParser(case.expected, max_incomplete_parse_chars=0)
        first = 0.0
        for c in case.chunks:
            async for _e in p.parse_chunk(c):
                if marks is not None and not first:
                    first = CLOCK()
            if marks is not None:
                marks.append(CLOCK())
        async for _e in p.finalize():
            pass
        return p.current_data, first

    return Contender(
        name,
        "re-parse",
        lambda case: asyncio.run(run(case, None))[0],
        lambda case, marks: asyncio.run(run(case, marks)),
        note="re-parses with json5 after every chunk; max_incomplete_parse_chars=0",
        pure_python=True,
    )


def ijson_contenders() -> list[Contender]:
    try:
        import ijson
    except ImportError:
        return [_missing("ijson", "incremental", "not installed")]
    out = []
    fastest = ijson.backend  # ijson picks the fastest installed backend as the default
    for bname in dict.fromkeys([fastest, "python"]):
        try:
            backend = ijson.get_backend(bname)
        except Exception:
            continue

        def timed(case: Case, backend: Any = backend) -> Any:
            sink = ijson.sendable_list()
            coro = backend.parse_coro(sink, use_float=True)
            send = coro.send
            for c in case.bchunks:
                send(c)
                for _e in sink:
                    pass
                del sink[:]
            coro.close()
            return None

        def probe(case: Case, marks: list[float], backend: Any = backend) -> tuple[Any, float]:
            sink = ijson.sendable_list()
            coro = backend.parse_coro(sink, use_float=True)
            first = 0.0
            for c in case.bchunks:
                coro.send(c)
                t = CLOCK()
                if sink and not first:
                    first = t
                del sink[:]
                marks.append(t)
            coro.close()
            return None, first

        def check(case: Case, backend: Any = backend) -> Any:
            sink = ijson.sendable_list()
            coro = backend.items_coro(sink, "", use_float=True)
            for c in case.bchunks:
                coro.send(c)
            coro.close()
            return sink[0] if sink else None

        out.append(
            Contender(
                f"ijson {ijson.__version__} parse_coro, backend {bname}",
                "incremental",
                timed,
                probe,
                check,
                note="bytes chunks; events consumed, value checked with items_coro",
                pure_python=bname == "python",
            )
        )
    return out


def json_stream_contenders() -> list[Contender]:
    try:
        import json_stream
        from json_stream.base import StreamingJSONList, StreamingJSONObject
        from json_stream.tokenizer import tokenize as py_tokenize
    except ImportError:
        return [_missing("json-stream", "incremental", "not installed")]
    from json_stream.select_tokenizer import default_tokenizer

    def walk(node: Any) -> Any:
        if isinstance(node, StreamingJSONObject):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, StreamingJSONList):
            return [walk(v) for v in node]
        return node

    out = []
    variants = [("python tokenizer", py_tokenize, True)]
    if default_tokenizer is not py_tokenize:
        variants.insert(0, ("rust tokenizer", default_tokenizer, False))
    for label, tok, pure in variants:

        def timed(case: Case, tok: Any = tok) -> Any:
            return walk(json_stream.load(iter(case.chunks), tokenizer=tok))

        def probe(case: Case, marks: list[float], tok: Any = tok) -> tuple[Any, float]:
            mark = marks.append

            def pulled() -> Any:
                for c in case.chunks:
                    mark(CLOCK())  # the previous chunk is processed when the next is pulled
                    yield c

            first = [0.0]

            def walk1(node: Any) -> Any:
                if isinstance(node, StreamingJSONObject):
                    return {k: walk1(v) for k, v in node.items()}
                if isinstance(node, StreamingJSONList):
                    return [walk1(v) for v in node]
                if not first[0]:
                    first[0] = CLOCK()
                return node

            value = walk1(json_stream.load(pulled(), tokenizer=tok))
            mark(CLOCK())
            del marks[0]  # the first pull happens before any chunk is processed
            return value, first[0]

        out.append(
            Contender(
                f"json-stream load (transient), {label}",
                "incremental",
                timed,
                probe,
                note="pull: walks the transient objects, building the value",
                pure_python=pure,
            )
        )
    return out


def jsonriver_contender() -> Contender:
    try:
        import jsonriver
    except ImportError:
        return _missing("jsonriver", "incremental", "not installed")

    async def run(case: Case, marks: list[float] | None) -> tuple[Any, float]:
        async def chunks() -> Any:
            for c in case.chunks:
                if marks is not None:
                    marks.append(CLOCK())
                yield c

        value = None
        first = 0.0
        async for partial in jsonriver.parse(chunks()):
            value = partial  # the same objects, updated in place
            if marks is not None and not first:
                first = CLOCK()
        if marks is not None:
            marks.append(CLOCK())
            del marks[0]
        return value, first

    return Contender(
        f"jsonriver {getattr(jsonriver, '__version__', '')} parse".replace("  ", " "),
        "incremental",
        lambda case: asyncio.run(run(case, None))[0],
        lambda case, marks: asyncio.run(run(case, marks)),
        note=(
            "async pull; numbers come back as float; a `\\ud83d\\ude80` surrogate-pair "
            "escape comes back as two lone surrogates, not the one character `json.loads` "
            "gives (the MISMATCH rows)"
        ),
        pure_python=True,
    )


def instant_contenders() -> list[Contender]:
    instant.compile_selector(SELECT)  # compiled once and cached: not part of any run
    out = []
    for label, kw in (
        ("instant Parser()", {}),
        ("instant Parser(snapshots=False)", {"snapshots": False}),
        (f"instant Parser(select='{SELECT}')", {"select": SELECT}),
    ):

        def timed(case: Case, kw: dict[str, Any] = kw) -> Any:
            p = instant.Parser(**kw)
            feed = p.feed
            for c in case.chunks:
                for _e in feed(c):
                    pass
            for _e in p.close():
                pass
            return p.value

        def probe(case: Case, marks: list[float], kw: dict[str, Any] = kw) -> tuple[Any, float]:
            p = instant.Parser(**kw)
            first = 0.0
            for c in case.chunks:
                events = p.feed(c)
                t = CLOCK()
                if events and not first:
                    first = t
                marks.append(t)
            p.close()
            return p.value, first

        out.append(Contender(label, "instant", timed, probe))
    if hasattr(instant, "stream_model"):
        out.append(_missing("instant stream_model", "instant", "not wired into compare.py yet"))
    else:
        out.append(_missing("instant stream_model", "instant", "n/a: not in this version"))
    return out


def bound_contenders() -> list[Contender]:
    out = [Contender("json.loads (whole text once)", "bound", lambda case: json.loads(case.text))]
    try:
        import orjson

        out.append(
            Contender(
                f"orjson {orjson.__version__} loads (whole text once)",
                "bound",
                lambda case: orjson.loads(case.text),
            )
        )
    except ImportError:
        out.append(_missing("orjson", "bound", "not installed"))

    def whole(case: Case, kw: dict[str, Any]) -> Any:
        p = instant.Parser(**kw)
        for _e in p.feed(case.text):
            pass
        for _e in p.close():
            pass
        return p.value

    out.append(
        Contender("instant Parser(): whole text in one feed", "bound", lambda c: whole(c, {}))
    )
    out.append(
        Contender(
            "instant Parser(snapshots=False): whole text in one feed",
            "bound",
            lambda c: whole(c, {"snapshots": False}),
        )
    )
    return out


# The pure-Python engine, beside the C one: ``instant.ENGINE`` is decided at import, so these
# rows are the same loops run by a child ``compare.py`` with ``INSTANT_PURE_PYTHON=1`` (same
# documents, chunks, clock and budget); the parent renames the child's rows with this suffix.
PYTHON_ROWS = ("instant Parser()", "instant Parser(): whole text in one feed")
PYTHON_SUFFIX = " [python engine]"


def python_engine_contenders(kind: str) -> list[Contender]:
    if instant.ENGINE != "c":
        return []  # the rows above are the Python engine already
    return [
        Contender(
            name + PYTHON_SUFFIX,
            kind,
            None,
            note="the same loop in a subprocess with INSTANT_PURE_PYTHON=1",
            pure_python=True,
            child=True,
        )
        for name in PYTHON_ROWS
        if ("whole text" in name) == (kind == "bound")
    ]


def all_contenders() -> list[Contender]:
    return (
        instant_contenders()
        + python_engine_contenders("instant")
        + ijson_contenders()
        + json_stream_contenders()
        + [jsonriver_contender()]
        + reparse_contenders()
        + [agently_contender()]
        + bound_contenders()
        + python_engine_contenders("bound")
    )


# --------------------------------------------------------------------------- measuring


def same_value(got: Any, expected: Any) -> str:
    """ "ok", "ok (float numbers)" when equal once every number is a float, or "MISMATCH"."""
    if got == expected:
        return "ok"

    def norm(v: Any) -> Any:
        if isinstance(v, bool) or v is None or isinstance(v, str):
            return v
        if isinstance(v, (int, float)):
            return float(v)
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        return v

    try:
        if norm(got) == norm(expected):
            return "ok (float numbers)"
    except Exception:
        pass
    return "MISMATCH"


@dataclass
class Result:
    contender: str
    case: str  # doc label
    size: int
    chunking: str
    nchunks: int
    status: str = ""  # "" when measured, else why not
    total_s: float = math.nan
    runs: int = 0
    first_s: float = math.nan
    p99_s: float = math.nan
    peak_bytes: float = math.nan
    check: str = ""
    exponent: float = math.nan  # growth of total time from the previous size

    @property
    def us_per_chunk(self) -> float:
        return self.total_s / self.nchunks * 1e6


def time_runs(
    fn: Callable[[], Any], target_s: float, max_runs: int, min_runs: int
) -> tuple[float, int]:
    best = math.inf
    spent = 0.0
    n = 0
    gc.collect()
    gc.disable()
    try:
        while n < min_runs or (spent < target_s and n < max_runs):
            t0 = CLOCK()
            fn()
            dt = CLOCK() - t0
            best = min(best, dt)
            spent += dt
            n += 1
    finally:
        gc.enable()
    return best, n


def second_pass(rows: list[tuple[Contender, Case, Result]], args: argparse.Namespace) -> None:
    """Time each repeated row again once every contender has run, and keep the better best.

    A row's runs take from milliseconds to a second, one after another; on a shared machine a
    slow spell can outlast all the runs of a fast row, and then it decides that row (and its
    ratio to a slow row measured in a quieter moment). Two passes minutes apart make that much
    less likely, for every contender alike.
    """
    for c, case, res in rows:
        assert c.timed is not None
        best, n = time_runs(functools.partial(c.timed, case), args.repeat_s, 25, 3)
        res.total_s = min(res.total_s, best)
        res.runs += n


def growth(results: list[Result]) -> None:
    """Each measured row's growth exponent from the previous size measured (same contender and
    chunking; the single-string answer rows stand apart), from the final totals."""
    prev: dict[tuple[str, str], Result] = {}
    for res in results:
        if res.case.endswith("answer") or res.status:
            continue
        key = (res.contender, res.chunking)
        if key in prev:
            last = prev[key]
            res.exponent = math.log(res.total_s / last.total_s) / math.log(res.size / last.size)
        prev[key] = res


def measure(c: Contender, case: Case, args: argparse.Namespace, res: Result) -> None:
    assert c.timed is not None
    # 1. check the value (this run also warms caches and imports)
    gc.collect()
    gc.disable()
    try:
        t0 = CLOCK()
        value = c.check(case) if c.check is not None else c.timed(case)
        first_run = CLOCK() - t0
    finally:
        gc.enable()
    res.check = same_value(value, case.expected)
    # 2. timed runs: best of N. A run longer than --long-s is not repeated: the checking run
    # above was that run (it is the same loop, timed the same way).
    if c.check is None and first_run > args.long_s:
        res.total_s, res.runs = first_run, 1
    else:
        target = 0.0 if args.quick else args.repeat_s
        max_runs = 1 if args.quick else 25
        min_runs = 1 if args.quick else 3
        res.total_s, res.runs = time_runs(lambda: c.timed(case), target, max_runs, min_runs)
    if c.probe is None:
        res.first_s = res.total_s  # a one-shot parse hands over nothing before the end
        return
    if res.total_s > args.long_s * 4:
        return  # a probed run would cost as much again: no first-event/p99 figures
    # 3. one probed run: first event and per-chunk latencies
    marks: list[float] = []
    gc.disable()
    try:
        t0 = CLOCK()
        _v, first = c.probe(case, marks)
    finally:
        gc.enable()
    res.first_s = (first - t0) if first else math.nan
    if marks:
        lat = [marks[0] - t0] + [b - a for a, b in zip(marks, marks[1:])]
        lat.sort()
        res.p99_s = lat[min(len(lat) - 1, int(0.99 * len(lat)))]


def measure_memory(c: Contender, case: Case, res: Result) -> None:
    assert c.timed is not None
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        c.timed(case)
        res.peak_bytes = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def predict(points: list[tuple[int, float]], size: int, kind: str) -> float:
    """Extrapolate one run's time to ``size`` from the measured (size, seconds) points."""
    s2, t2 = points[-1]
    if len(points) >= 2:
        s1, t1 = points[-2]
        e = math.log(max(t2, 1e-9) / max(t1, 1e-9)) / math.log(s2 / s1)
        e = min(max(e, 1.0), 2.5)
    else:
        e = 2.0 if kind == "re-parse" else 1.2
    return t2 * (size / s2) ** e


# --------------------------------------------------------------------------- output


def fmt_size(n: int) -> str:
    if n >= M and n % M == 0:
        return f"{n // M} MB"
    if n >= K and n % K == 0:
        return f"{n // K} KB"
    return f"{n} B"


def f_time(s: float) -> str:
    if math.isnan(s):
        return "—"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.1f} ms"
    return f"{s * 1e6:.0f} µs"


def f_us(x: float) -> str:
    if math.isnan(x):
        return "—"
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def f_mem(b: float) -> str:
    if math.isnan(b):
        return "—"
    if b >= M:
        return f"{b / M:.1f} MB"
    return f"{b / K:.0f} KB"


def render(
    results: list[Result],
    contenders: list[Contender],
    cases: list[Case],
    args: argparse.Namespace,
    elapsed: float,
    meta: dict[str, str],
) -> str:
    out: list[str] = []
    add = out.append
    add("# instant against the alternatives\n")
    add(
        f"- {datetime.datetime.now():%Y-%m-%d %H:%M}, Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs; whole run {elapsed:.0f} s (wall clock)"
    )
    add(f"- command: `{meta.get('command', '')}`")
    engine = meta.get("engine", "python")
    add(
        f"- instant's engine: **{engine}** (`instant.ENGINE`)"
        + (
            f"; the rows ending in `{PYTHON_SUFFIX.strip()}` are the same loops in a child "
            "process with `INSTANT_PURE_PYTHON=1` (same documents, chunks, clock, budget)"
            if engine == "c"
            else ""
        )
    )
    add(
        "- documents: `docs.model_document(size, seed=0)` (1 KB: the same generator with fewer "
        'fixed fields), and a 64 KB `{"answer": "..."}` (one long string); '
        "sizes are UTF-8 bytes, KB = 1024"
    )
    add(
        f"- chunks: **o200k** = `bpe-openai` {meta.get('bpe', '?')} `o200k_base` tokens, bytes "
        "decoded incrementally (empty pieces inside a code point not sent); **1-8** = "
        "`docs.chunks_1_8(text, seed=0)`"
    )
    add(
        f"- clock: `time.{CLOCK.__name__}`; total = best of N runs ("
        + (
            "1 run, `--quick`"
            if args.quick
            else f"N adaptive: ~{args.repeat_s:g} s a measurement, 3 to 25 runs; a run over "
            f"{args.long_s:g} s is run once; a repeated row is measured again after every "
            "contender ran, and the better of the two passes counts"
        )
        + "), garbage "
        "collector off while timing; µs/chunk = total / chunks; growth exponent = "
        "log(total ratio) / log(size ratio) from the previous size; first event = time until "
        "the contender first hands the caller something (an event, or a non-empty partial "
        "value); p99 = 99th percentile of one probed run's per-chunk times; peak memory = "
        "`tracemalloc` peak during one run (Python allocations only: memory a Rust/C "
        "extension takes from malloc itself is not seen), measured for runs under "
        f"{args.mem_cap_s:g} s"
    )
    add(
        f"- budget: a size whose single run is predicted above {args.cap_s:g} s (from the "
        "contender's measured growth) is skipped, with the larger ones; runs over "
        f"{4 * args.long_s:g} s get no probed run (no first-event or p99 figure)"
    )
    add(
        '- value check: the final value against `json.loads(text)`; "ok (float numbers)": '
        "equal once every number is a float (jsonriver parses numbers as float)\n"
    )

    by = {(r.contender, r.case, r.chunking): r for r in results}
    inst = "instant Parser()"

    add("## Headline: o200k tokens, 64 KB and 256 KB\n")
    add(
        "| contender | kind | µs/chunk 64 KB | µs/chunk 256 KB | total 256 KB | "
        "× instant 256 KB | p99 µs/chunk 256 KB | growth 64→256 KB |"
    )
    add("|---|---|---:|---:|---:|---:|---:|---:|")
    for c in contenders:
        if c.missing:
            add(f"| {c.name} | {c.kind} | {c.missing} | | | | | |")
            continue
        r64 = by.get((c.name, "64 KB", "o200k"))
        r256 = by.get((c.name, "256 KB", "o200k"))
        i256 = by.get((inst, "256 KB", "o200k"))

        def cell(r: Result | None) -> str:
            if r is None:
                return "—"
            return r.status or f_us(r.us_per_chunk)

        rel = "—"
        if r256 is not None and not r256.status and i256 is not None and not i256.status:
            rel = f"{r256.total_s / i256.total_s:.2g}×"
        add(
            f"| {c.name} | {c.kind} | {cell(r64)} | {cell(r256)} | "
            f"{f_time(r256.total_s) if r256 and not r256.status else '—'} | {rel} | "
            f"{f_us(r256.p99_s * 1e6) if r256 and not r256.status else '—'} | "
            f"{f'{r256.exponent:.2f}' if r256 and not r256.status else '—'} |"
        )
    add("")

    add("## Targets for instant\n")
    add(targets(results, contenders, cases) + "\n")

    for chunking in ("o200k", "1-8"):
        add(f"## All results, {chunking} chunks\n")
        for case in cases:
            if case.chunking != chunking:
                continue
            add(f"### {case.doc}, {chunking}: {len(case.chunks):,} chunks\n")
            add(
                "| contender | total | µs/chunk | growth | first event | p99 µs/chunk | "
                "peak memory | value | runs |"
            )
            add("|---|---:|---:|---:|---:|---:|---:|---|---:|")
            for c in contenders:
                if c.missing:
                    continue
                r = by.get((c.name, case.doc, chunking))
                if r is None:
                    continue
                if r.status:
                    add(f"| {c.name} | {r.status} | | | | | | | |")
                    continue
                add(
                    f"| {c.name} | {f_time(r.total_s)} | {f_us(r.us_per_chunk)} | "
                    f"{'—' if math.isnan(r.exponent) else f'{r.exponent:.2f}'} | "
                    f"{f_time(r.first_s)} | {f_us(r.p99_s * 1e6)} | {f_mem(r.peak_bytes)} | "
                    f"{r.check} | {r.runs} |"
                )
            add("")
    add("## Contenders\n")
    for c in contenders:
        extra = "; pure Python" if c.pure_python else ""
        add(
            f"- **{c.name}** ({c.kind}{extra}){': ' + c.note if c.note else ''}"
            f"{' — ' + c.missing if c.missing else ''}"
        )
    return "\n".join(out) + "\n"


def targets(results: list[Result], contenders: list[Contender], cases: list[Case]) -> str:
    lines: list[str] = []
    by = {(r.contender, r.case, r.chunking): r for r in results}
    inst = "instant Parser()"
    model_docs = [c for c in cases if not c.doc.endswith("answer")]

    def mark(ok: bool) -> str:
        return "**met**" if ok else "**MISSED**"

    # 0. the C engine: <= 3x ijson's C backend per chunk at 64 and 256 KB (both chunkings),
    # >= 300x faster than re-parsing with jiter at 64 KB; and the Python engine beside it
    def named(start: str) -> str | None:
        return next((c.name for c in contenders if start in c.name and not c.missing), None)

    def ratios(a: str | None, b: str | None, sizes: tuple[int, ...]) -> list[tuple[float, str]]:
        out = []
        for case in model_docs:
            ra, rb = (
                by.get((a or "", case.doc, case.chunking)),
                by.get((b or "", case.doc, case.chunking)),
            )
            if case.size in sizes and ra and rb and not ra.status and not rb.status:
                out.append((ra.total_s / rb.total_s, f"{case.doc} {case.chunking}"))
        return out

    engine = "python" if named(PYTHON_SUFFIX) is None else "c"
    if engine == "c":
        got = ratios(inst, named("backend yajl2_c"), (64 * K, 256 * K))
        if got:
            lines.append(
                "- C engine: `Parser()` (snapshots on) ≤ 3× ijson's `yajl2_c` per chunk at 64 KB "
                "and 256 KB: "
                + ", ".join(f"{w} {x:.2f}×" for x, w in got)
                + f" — {mark(max(got)[0] <= 3)}"
            )
        got = ratios(named("jiter "), inst, (64 * K,))
        if got:
            lines.append(
                "- C engine: ≥ 300× faster than re-parsing with jiter at 64 KB: "
                + ", ".join(f"{w} {x:.0f}×" for x, w in got)
                + f" — {mark(min(got)[0] >= 300)}"
            )
        got = ratios(inst + PYTHON_SUFFIX, inst, (64 * K, 256 * K))
        if got:
            lines.append(
                "- the Python engine (`INSTANT_PURE_PYTHON=1`) against the C engine, `Parser()`: "
                + ", ".join(f"{w} {x:.1f}×" for x, w in got)
                + " the C engine's time (the targets below are the C engine's)"
            )

    # 1. >= 100x faster than the re-parsers at 64 KB and above
    worst: tuple[float, str] | None = None
    predicted: list[tuple[float, str]] = []
    details = []
    for case in model_docs:
        if case.size < 64 * K:
            continue
        i = by.get((inst, case.doc, case.chunking))
        if i is None or i.status:
            continue
        for c in contenders:
            if c.kind != "re-parse" or c.missing:
                continue
            r = by.get((c.name, case.doc, case.chunking))
            if r is None:
                continue
            if r.status:
                if r.status.startswith("skipped (predicted"):
                    est = float(r.status.split()[2])
                    predicted.append((est / i.total_s, f"{c.name} at {case.doc} {case.chunking}"))
                continue
            ratio = r.total_s / i.total_s
            details.append((ratio, f"{c.name} at {case.doc} {case.chunking}"))
            if worst is None or ratio < worst[0]:
                worst = (ratio, f"{c.name} at {case.doc} {case.chunking}")
    if worst is not None:
        lines.append(
            f"- at 64 KB and above, ≥ 100× faster than every re-parse contender (total time, "
            f"measured pairs; skipped ones were predicted slower still): worst {worst[0]:.0f}× "
            f"({worst[1]}) — {mark(worst[0] >= 100)}"
            + (
                f"; the skipped ones are predicted at ≥ {min(predicted)[0]:.0f}× "
                f"({min(predicted)[1]})"
                if predicted
                else ""
            )
        )
    else:
        lines.append("- ≥ 100× faster than re-parsers at ≥ 64 KB: n/a (no re-parser measured)")

    # 2. faster per chunk than every pure-Python incremental contender at every size
    losses: dict[str, list[tuple[str, float, float]]] = {}
    checked = 0
    for case in cases:
        i = by.get((inst, case.doc, case.chunking))
        if i is None or i.status:
            continue
        for c in contenders:
            if c.kind != "incremental" or not c.pure_python or c.missing:
                continue
            r = by.get((c.name, case.doc, case.chunking))
            if r is None or r.status:
                continue
            checked += 1
            if r.total_s <= i.total_s:
                losses.setdefault(c.name, []).append(
                    (f"{case.doc} {case.chunking}", r.us_per_chunk, i.us_per_chunk)
                )
    lost = [
        f"{name} in {len(v)} of {len(cases)} cases (e.g. {v[0][0]}: {f_us(v[0][1])} against "
        f"{f_us(v[0][2])} µs/chunk; instant/it {min(b / a for _, a, b in v):.2f}× to "
        f"{max(b / a for _, a, b in v):.2f}×)"
        for name, v in losses.items()
    ]
    lines.append(
        f"- `Parser()` faster per chunk than every pure-Python incremental contender at every "
        f"size ({checked} pairs): "
        + (mark(True) if not lost else mark(False) + ": slower than " + "; ".join(lost))
    )

    # 3. growth exponent <= 1.05
    for chunking in ("o200k", "1-8"):
        rs = [by.get((inst, c.doc, chunking)) for c in model_docs if c.chunking == chunking]
        # from 4 KB: at 1 KB the fixed cost of a run (creating the parser) still shows
        rs = [r for r in rs if r is not None and not r.status and r.size >= 4 * K]
        exps = [(r.exponent, r.case) for r in rs if not math.isnan(r.exponent)]
        if len(rs) >= 2:
            overall = math.log(rs[-1].total_s / rs[0].total_s) / math.log(rs[-1].size / rs[0].size)
            worst_e = max(exps)
            overall_off = ""
            ro = [by.get(("instant Parser(snapshots=False)", r.case, chunking)) for r in rs]
            if all(x is not None and not x.status for x in ro):
                eo = math.log(ro[-1].total_s / ro[0].total_s) / math.log(ro[-1].size / ro[0].size)
                overall_off = f"; snapshots=False: {eo:.3f}"
            lines.append(
                f"- growth exponent ≤ 1.05 ({chunking}, `Parser()`): {rs[0].case}→{rs[-1].case} "
                f"{overall:.3f}, worst step {worst_e[0]:.3f} (to {worst_e[1]}){overall_off} — "
                f"{mark(overall <= 1.05)} overall"
                + ("" if worst_e[0] <= 1.05 else f", {mark(False)} for the worst step")
            )

    # 4. whole-document feed within 10x json.loads
    wr = []
    for case in model_docs:
        if case.chunking != "o200k":
            continue
        j = by.get(("json.loads (whole text once)", case.doc, "o200k"))
        for name in (
            "instant Parser(): whole text in one feed",
            "instant Parser(snapshots=False): whole text in one feed",
        ):
            w = by.get((name, case.doc, "o200k"))
            if j and w and not j.status and not w.status:
                wr.append((w.total_s / j.total_s, name, case.doc))
    if wr:
        on = [x for x in wr if "snapshots=False" not in x[1]]
        off = [x for x in wr if "snapshots=False" in x[1]]
        won, woff = max(on), max(off)
        lines.append(
            f"- whole-document feed within 10× `json.loads`: default `Parser()` worst "
            f"{won[0]:.1f}× ({won[2]}) — {mark(won[0] <= 10)}; `snapshots=False` worst "
            f"{woff[0]:.1f}× ({woff[2]}) — {mark(woff[0] <= 10)}; per size: "
            + ", ".join(f"{d} {r:.1f}×/{ro:.1f}×" for (r, _, d), (ro, _, _) in zip(on, off))
            + " (default/snapshots off)"
        )
    return "\n".join(lines)


def plot(results: list[Result], contenders: list[Contender], path: Path, what: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5), sharey=True)
    styles = {"instant": "-", "incremental": "--", "re-parse": ":", "bound": "-."}
    markers = "os^vD<>px*hH+"
    cmap = plt.get_cmap("tab20")
    for ax, chunking in zip(axes, ("o200k", "1-8")):
        for n, c in enumerate(contenders):
            if c.missing:
                continue
            if what == "p99" and c.kind == "bound":
                continue
            if what == "time" and c.kind == "bound" and "whole text in one feed" in c.name:
                continue
            rs = [
                r
                for r in results
                if r.contender == c.name
                and r.chunking == chunking
                and not r.status
                and not r.case.endswith("answer")
            ]
            if not rs:
                continue
            ys = [r.us_per_chunk if what == "time" else r.p99_s * 1e6 for r in rs]
            ax.loglog(
                [r.size for r in rs],
                ys,
                styles[c.kind],
                marker=markers[n % len(markers)],
                color=cmap(n % 20),
                lw=2.2 if c.kind == "instant" else 1.2,
                label=c.name,
            )
        ax.set_xticks(SIZES, [fmt_size(s) for s in SIZES])
        ax.minorticks_off()
        ax.set_xlabel("document size")
        ax.set_title(f"{chunking} chunks")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel(
        "µs per chunk (total / chunks)" if what == "time" else "p99 µs for one chunk"
    )
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=7.5, frameon=False)
    fig.suptitle(
        "cost per streamed chunk (log-log; lower is better; missing points: skipped by budget)"
        if what == "time"
        else "p99 latency of one chunk (log-log)"
    )
    fig.tight_layout(rect=(0, 0.17, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# --------------------------------------------------------------------------- main


def python_engine_results(args: argparse.Namespace, names: list[str]) -> list[Result]:
    """The rows ``names`` (``PYTHON_ROWS`` + suffix) measured by a child ``compare.py`` with
    ``INSTANT_PURE_PYTHON=1`` and the same settings, renamed with :data:`PYTHON_SUFFIX`."""
    import subprocess
    import tempfile

    wanted = [n.removesuffix(PYTHON_SUFFIX) for n in names]
    argv = [sys.executable, str(Path(__file__).resolve())]
    argv += ["--repeat-s", str(args.repeat_s), "--long-s", str(args.long_s)]
    argv += ["--cap-s", str(args.cap_s), "--mem-cap-s", str(args.mem_cap_s)]
    argv += ["--quick"] * args.quick + ["--cpu"] * args.cpu
    if args.sizes:
        argv += ["--sizes", args.sizes]
    print(f"the Python engine ({', '.join(wanted)}): a child process", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        argv += ["--only", "instant parser()", "--out", tmp]
        env = {**os.environ, "INSTANT_PURE_PYTHON": "1"}
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
        saved = json.loads((Path(tmp) / "compare.json").read_text(encoding="utf-8"))
    assert saved["meta"]["engine"] == "python", saved["meta"]
    out = []
    for r in saved["results"]:
        if r["contender"] in wanted:
            r["contender"] += PYTHON_SUFFIX
            out.append(Result(**r))
    return out


def defaults(args: argparse.Namespace) -> None:
    global CLOCK
    if args.cpu:
        CLOCK = time.process_time
    if args.cap_s is None:
        args.cap_s = 1.5 if args.quick else 6.0
    if args.mem_cap_s is None:
        args.mem_cap_s = 0.3 if args.quick else 1.5


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 run a measurement, 1.5 s budget a run")
    ap.add_argument("--cap-s", type=float, default=None, help="skip a run predicted above this")
    ap.add_argument(
        "--repeat-s", type=float, default=0.4, help="time spent repeating a measurement"
    )
    ap.add_argument("--long-s", type=float, default=2.0, help="a run this long is not repeated")
    ap.add_argument(
        "--cpu", action="store_true", help="CPU time (process_time): steadier on a busy machine"
    )
    ap.add_argument("--mem-cap-s", type=float, default=None, help="tracemalloc only below this")
    ap.add_argument("--only", default="", help="comma-separated substrings of contender names")
    ap.add_argument("--sizes", default="", help="e.g. 1K,4K,64K (default: 1K..1M)")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    ap.add_argument("--replot", action="store_true", help="re-render from --out/compare.json")
    args = ap.parse_args(argv)
    defaults(args)
    sizes = SIZES
    if args.sizes:
        sizes = [docs.parse_size(s) for s in args.sizes.split(",") if s.strip()]

    if args.replot:  # re-render the table and plots from the last run's compare.json
        saved = json.loads((args.out / "compare.json").read_text(encoding="utf-8"))
        out_dir = args.out
        args = ap.parse_args(saved["meta"]["command"].split()[2:])
        args.out = out_dir
        defaults(args)
        results = [Result(**r) for r in saved["results"]]
        contenders = all_contenders()
        cases = [
            Case(r.case, r.size, r.chunking, "", [""] * r.nchunks, [], None)
            for r in results
            if r.contender == results[0].contender
        ]
        table = render(results, contenders, cases, args, saved["elapsed"], saved["meta"])
        (args.out / "compare.md").write_text(table, encoding="utf-8")
        plot(results, contenders, args.out / "compare_time.png", "time")
        plot(results, contenders, args.out / "compare_latency.png", "p99")
        print(table)
        return 0

    started = time.perf_counter()
    meta: dict[str, str] = {
        "command": " ".join(
            ["python", "benchmarks/compare.py", *(sys.argv[1:] if argv is None else argv)]
        )
    }
    try:
        from importlib.metadata import version

        meta["bpe"] = version("bpe-openai")
    except Exception:
        pass

    contenders = all_contenders()
    if args.only:
        keys = [k.strip().lower() for k in args.only.split(",")]
        contenders = [c for c in contenders if any(k in c.name.lower() for k in keys)]

    # documents and chunkings, built once
    docs_: list[tuple[str, int, str]] = [(fmt_size(s), s, document(s, 0)) for s in sizes]
    if not args.sizes or ANSWER_SIZE in sizes:
        docs_.append((f"{fmt_size(ANSWER_SIZE)} answer", ANSWER_SIZE, answer_document(ANSWER_SIZE)))
    cases: list[Case] = []
    for chunking in ("o200k", "1-8"):
        for label, size, text in docs_:
            try:
                chunks = o200k_chunks(text) if chunking == "o200k" else chunks_1_8(text, seed=0)
            except ImportError:
                print("bpe-openai is not installed: o200k chunks skipped", file=sys.stderr)
                break
            cases.append(
                Case(
                    label,
                    size,
                    chunking,
                    text,
                    chunks,
                    [c.encode() for c in chunks],
                    json.loads(text),
                )
            )
    print(
        f"documents and chunks ready in {time.perf_counter() - started:.1f} s "
        f"({len(cases)} cases, {sum(not c.missing for c in contenders)} contenders)",
        file=sys.stderr,
    )

    results: list[Result] = []
    again: list[tuple[Contender, Case, Result]] = []  # rows timed once more at the end
    for c in contenders:
        if c.missing:
            print(f"{c.name}: {c.missing}", file=sys.stderr)
            continue
        if c.child:
            continue  # measured below, in a subprocess
        t_c = time.perf_counter()
        for chunking in ("o200k", "1-8"):
            points: list[tuple[int, float]] = []
            skipped_from: str = ""
            for case in [x for x in cases if x.chunking == chunking]:
                res = Result(c.name, case.doc, case.size, chunking, len(case.chunks))
                results.append(res)
                is_answer = case.doc.endswith("answer")
                base_pts = [p for p in points if p[0] <= case.size] if is_answer else points
                if skipped_from and not is_answer:
                    if skipped_from.startswith("skipped") and points:
                        est = predict(points, case.size, c.kind)
                        res.status = f"skipped (predicted {est:.0f} s)"
                    else:
                        res.status = skipped_from
                    continue
                if base_pts:
                    est = predict(base_pts, case.size, c.kind)
                    if est > c.cap_s.get(chunking, args.cap_s):
                        res.status = f"skipped (predicted {est:.0f} s)"
                        if not is_answer:
                            skipped_from = res.status
                        continue
                try:
                    measure(c, case, args, res)
                except Exception as exc:  # a contender that crashes is reported, not fatal
                    res.status = f"error: {type(exc).__name__}: {str(exc)[:60]}"
                    print(f"  {c.name} {case.doc} {chunking}: {res.status}", file=sys.stderr)
                    if not is_answer:
                        skipped_from = res.status
                    continue
                if res.runs > 1 and not args.quick:
                    again.append((c, case, res))
                if res.total_s < args.mem_cap_s and c.kind != "bound":
                    measure_memory(c, case, res)
                if not is_answer:
                    points.append((case.size, res.total_s))
                print(
                    f"  {c.name[:60]:60} {case.doc:>12} {chunking:>5}: "
                    f"{f_us(res.us_per_chunk):>8} µs/chunk  {f_time(res.total_s):>9}  "
                    f"{res.check}",
                    file=sys.stderr,
                    flush=True,
                )
        print(f"{c.name}: {time.perf_counter() - t_c:.1f} s", file=sys.stderr, flush=True)

    if again:
        t_again = time.perf_counter()
        second_pass(again, args)
        print(f"second pass: {time.perf_counter() - t_again:.1f} s", file=sys.stderr, flush=True)
    growth(results)

    children = [c.name for c in contenders if c.child and not c.missing]
    if children:
        results += python_engine_results(args, children)

    elapsed = time.perf_counter() - started
    meta["engine"] = instant.ENGINE
    raw = [dict(vars(r)) for r in results]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "compare.json").write_text(
        json.dumps({"elapsed": elapsed, "meta": meta, "results": raw}, indent=1),
        encoding="utf-8",
    )
    table = render(results, contenders, cases, args, elapsed, meta)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "compare.md").write_text(table, encoding="utf-8")
    wrote = plot(results, contenders, args.out / "compare_time.png", "time")
    plot(results, contenders, args.out / "compare_latency.png", "p99")
    print(
        f"wrote {args.out / 'compare.md'}"
        + (", compare_time.png and compare_latency.png" if wrote else " (no matplotlib: no plots)")
        + f"; whole run {elapsed:.0f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
