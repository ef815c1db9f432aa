"""The long differential run: the C and Python engines fed the same inputs, until a difference.

    python tests/fuzz/diff_engines.py --inputs 1000000 [--seed 0] [--processes 2]
    python tests/fuzz/diff_engines.py --seed 0 --start 800000 --inputs 20000  # a part of it

Each *input* is one text, cut one way, parsed with one set of options by a consumer with one
policy (what it keeps between calls), fed to both engines in the same process and compared with
:func:`tests.engines.compare` (every event field, snapshots by value and by sharing, the copies
each call made, errors with their positions and messages, ``value``, ``values``,
``truncated``). Texts come from the corpora the suite carries -- JSONTestSuite, the model
replies (``tests/data/replies.txt``), the JSON5 suite, the fuzz seeds -- and from generated
JSON and model-like replies, each mutated at random (cut short, spans deleted or repeated,
tokens inserted: quotes, escapes, surrogate halves, brackets, literals, comments, fences,
think tags, control characters, non-ASCII). Exit status 1 and the failing input on the first
difference; deterministic for a seed. Each worker's address space is capped (``--max-gb``),
so an input that makes a worker grow without end is named (a ``MemoryError``); a worker that
dies all the same ends the run with the batch it had. ``tests/test_engine_diff.py`` runs a
CI-sized slice.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # for `tests`; appended: the instant first on the path is tested
    sys.path.append(str(ROOT))

from tests.engines import OPTION_SETS, POLICIES, compare  # noqa: E402

DATA = ROOT / "tests" / "data"

TOKENS = [
    '"',
    "\\",
    '\\"',
    "\\\\",
    "\\n",
    "\\u",
    "\\u00e9",
    "\\ud83d",
    "\\ude00",
    "\\ud83d\\ude00",
    "\\uDBFF",
    "\\u12",
    "\\x41",
    "\\'",
    "\\/",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    " ",
    "\n",
    "\t",
    "\r\n",
    "0",
    "1",
    "-",
    "-0",
    "1.5",
    "1e9",
    ".",
    "e",
    "+",
    "0x1F",
    "true",
    "fal",
    "null",
    "None",
    "NaN",
    "-Infinity",
    "undefined",
    "'",
    "'a'",
    "key",
    '"k":',
    "/*",
    "*/",
    "//",
    "<think>",
    "</think>",
    "```json\n",
    "```",
    "\x00",
    "\x1f",
    "\x7f",
    "é",
    "中",
    "😀",
    "\u2028",
    "\ufeff",
    "\xa0",
    "Here it is: ",
    "Sure!\n",
    "[1]",
    "{}",
    "[]",
    '{"a": ',
    '"b"',
    ", 2",
]


def _value(rng: random.Random, depth: int = 0) -> Any:
    r = rng.random()
    if depth > 4 or r < 0.45:
        return rng.choice(
            [
                rng.randint(-(10**6), 10**6),
                rng.random() * 10 ** rng.randint(-5, 20),
                rng.choice([True, False, None]),
                "".join(rng.choice('ab "\\\n\té中😀\x01/') for _ in range(rng.randint(0, 12))),
                10 ** rng.randint(15, 30),
                -0.0,
            ]
        )
    if r < 0.75:
        return {
            "".join(rng.choice('kéy"\\ .$') for _ in range(rng.randint(0, 5))): _value(
                rng, depth + 1
            )
            for _ in range(rng.randint(0, 5))
        }
    return [_value(rng, depth + 1) for _ in range(rng.randint(0, 5))]


def generated(rng: random.Random) -> str:
    """A JSON text (ASCII or raw, compact or indented), sometimes wrapped as a model would."""
    text = json.dumps(
        _value(rng),
        ensure_ascii=rng.random() < 0.5,
        indent=rng.choice([None, None, 2]),
        separators=rng.choice([None, (",", ":")]),
    )
    wrap = rng.random()
    if wrap < 0.15:
        text = f"Sure! Here it is:\n```json\n{text}\n```\nAnything else?"
    elif wrap < 0.25:
        text = f"<think>let me see {{</think>\n{text}"
    elif wrap < 0.35:
        text = f"The value {text} is what you asked for."
    elif wrap < 0.4:
        text = text + "\n" + text
    return text


def corpus() -> list[tuple[str, dict[str, Any]]]:
    """(text, options) from the corpora the suite carries."""
    out: list[tuple[str, dict[str, Any]]] = []
    suite = DATA / "JSONTestSuite" / "test_parsing"
    for p in sorted(suite.glob("*.json")):
        data = p.read_bytes()
        if len(data) <= 4000:
            out.append((data.decode("utf-8", "replace"), {}))
    from tests.test_replies import read_corpus

    out += [(r.text, r.options) for r in read_corpus()]
    for p in sorted((DATA / "json5-tests").rglob("*")):
        if p.is_file() and p.suffix in (".json", ".json5", ".js", ".txt"):
            out.append((p.read_text(encoding="utf-8", errors="replace"), {}))
    from tests.test_fuzz_regressions import FINDINGS, SEEDS

    for raw in [*(getattr(f, "values", (f,))[0] for f in FINDINGS), *SEEDS]:
        n = raw[0] % 9 if raw else 0
        out.append((raw[1 + 2 * n :].decode("utf-8", "replace"), {}))
    return out


def mutate(text: str, rng: random.Random) -> str:
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        r = rng.random()
        i = rng.randint(0, len(text))
        if r < 0.2:
            text = text[:i]  # cut short, as a token limit does
        elif r < 0.4:
            j = rng.randint(i, min(len(text), i + 8))
            text = text[:i] + text[j:]
        elif r < 0.5:
            j = rng.randint(i, min(len(text), i + 12))
            text = text[:j] + text[i:j] + text[j:]
        else:
            text = text[:i] + rng.choice(TOKENS) + text[i:]
    return text


def chunks_of(text: str, rng: random.Random) -> list[Any]:
    r = rng.random()
    if r < 0.1 or not text:
        return [text]
    if r < 0.3:
        return list(text)
    if r < 0.4:
        k = rng.randint(1, len(text))
        return [text[:k], text[k:]]
    if r < 0.85:
        out, i, top = [], 0, rng.choice([3, 9, 30])
        while i < len(text):
            k = rng.randint(1, top)
            out.append(text[i : i + k])
            i += k
        return out
    data = text.encode("utf-8", "surrogatepass")
    out, i = [], 0
    while i < len(data):
        k = rng.randint(1, 9)
        out.append(data[i : i + k])
        i += k
    return out


def options_of(base: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    opts = dict(base)
    for extra in rng.sample(OPTION_SETS, rng.choice([0, 1, 1, 2])):
        for k, v in extra.items():
            if k == "expect" and "expect" in base:
                continue
            opts[k] = v
    return opts


def inputs(seed: int, count: int, start: int = 0) -> Any:
    """``count`` inputs (chunks, options, policy, seed), deterministic for ``seed``; the
    ``start``-th first (to split a run between processes)."""
    texts = corpus()
    for k in range(start, start + count):
        rng = random.Random(f"{seed}:{k}")
        if rng.random() < 0.5:
            text, base = rng.choice(texts)
        else:
            text, base = generated(rng), {}
        text = mutate(text, rng)
        yield chunks_of(text, rng), options_of(base, rng), rng.choice(POLICIES), k


def run(seed: int, start: int, count: int) -> tuple[int, str | None]:
    done = 0
    for chunks, options, policy, k in inputs(seed, count, start):
        try:
            diff = compare(chunks, options, policy, seed=k)
        except MemoryError:  # over --max-gb (the worker's cap): name the input
            return done, f"input {k} (seed {seed}): MemoryError, over the worker's memory cap"
        if diff is not None:
            return done, f"input {k} (seed {seed}): {diff}"
        done += 1
    return done, None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--inputs", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--start", type=int, default=0, help="index of the first input")
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--batch", type=int, default=20_000)
    ap.add_argument("--max-gb", type=float, default=4.0, help="address space cap of a worker")
    args = ap.parse_args(argv)
    import instant

    if instant.ENGINE != "c":
        print("the C engine is not built (or INSTANT_PURE_PYTHON is set): nothing to compare")
        return 2
    started = time.time()
    end = args.start + args.inputs
    batches = [(args.seed, s, min(args.batch, end - s)) for s in range(args.start, end, args.batch)]
    total = 0
    # a worker that dies (killed, crashed) breaks the pool and ends the run, naming its batch
    # (multiprocessing.Pool would replace it and wait forever for the batch it had)
    pool = ProcessPoolExecutor(
        args.processes,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_cap_memory,
        initargs=(args.max_gb,),
    )
    try:
        results = pool.map(_run_batch, batches)
        for seed, start, count in batches:
            try:
                done, diff = next(results)
            except BrokenProcessPool:
                print(
                    f"a worker died within inputs {start:,}..{start + count - 1:,} (killed, or "
                    f"the C code crashed); that batch alone: --seed {seed} --start {start} "
                    f"--inputs {count} --batch 1"
                )
                return 1
            total += done
            if diff is not None:
                print(f"DIFFERENCE after {total:,} inputs: {diff}")
                return 1
            print(f"{total:,} inputs, no difference ({time.time() - started:.0f} s)", flush=True)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # an early end waits for no other batch
    print(f"done: {total:,} inputs fed to both engines, no difference")
    return 0


def _cap_memory(max_gb: float) -> None:
    cap = int(max_gb * (1 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _run_batch(batch: tuple[int, int, int]) -> tuple[int, str | None]:
    return run(*batch)


if __name__ == "__main__":
    sys.exit(main())
