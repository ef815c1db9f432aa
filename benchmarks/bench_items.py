"""items and tap: µs per streamed chunk, against the parser they are built on.

For each size, the seeded model-like document of ``docs.model_document`` (the one
``bench_core.py`` and ``bench_models.py`` measure) is cut into random 1-8 character chunks
(``docs.chunks_1_8``) and read by:

- ``Parser()``, ``Parser(snapshots=False)`` and ``Parser(select="items.[].$done",
  snapshots=False)`` (what ``items`` asks the parser for), events iterated: the baselines;
- ``items(chunks, "items.[]")``, the same with ``model=Item`` (pydantic validation of each
  item), ``items.[].steps.[]`` (nested items), ``aitems`` over an async generator;
- ``stream(chunks, until="missing")`` against ``stream(chunks)``: what checking ``until=``
  costs when it never holds;
- ``tap_sync(chunks).items("items.[]")`` and ``tap(async source)`` with three handles
  awaited together (``value("title")``, ``deltas("answer")``, ``items("items.[]")``).

Before timing, every result is checked against ``json.loads(text)``. Timings are best of N
runs, interleaved across measurements in rounds, garbage collector off while the clock runs
(see ``timing.py``).

    python benchmarks/bench_items.py [--sizes 64K,256K] [--quick] [--gc] [--cpu]

Prints a markdown table and writes it to ``benchmarks/results/items.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_models import Item  # noqa: E402
from docs import chunks_1_8, model_document, parse_size  # noqa: E402
from timing import BUDGET_S, MAX_REPEAT, ROUNDS, Timing, clock_name, run_rounds, use_cpu_time  # noqa: E402

import instant  # noqa: E402

# (name, label, baseline name): what each row measures, and the parser it is built on
ROWS = [
    ("parser", "`Parser()`", None),
    ("parser_off", "`Parser(snapshots=False)`", None),
    ("parser_sel", '`Parser(select="items.[].$done", snapshots=False)`', None),
    ("items", '`items(chunks, "items.[]")`', "parser_sel"),
    ("items_model", '`items(chunks, "items.[]", Item)`', "parser_sel"),
    ("items_nested", '`items(chunks, "items.[].steps.[]")`', "parser_sel"),
    ("aitems", '`aitems(async source, "items.[]")`', "parser_sel"),
    ("stream", "`stream(chunks)`", "parser"),
    ("stream_until", '`stream(chunks, until="missing")`', "stream"),
    ("tap_sync", '`tap_sync(chunks).items("items.[]")`', "parser_off"),
    ("tap", "`tap(async source)`, 3 handles in 3 tasks", "parser_off"),
]


def parser_run(chunks: Sequence[str], **options: Any) -> Callable[[], None]:
    def run() -> None:
        p = instant.Parser(**options)
        feed = p.feed
        for c in chunks:
            for _e in feed(c):
                pass
        for _e in p.close():
            pass

    return run


def drain(make: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        for _x in make():
            pass

    return run


async def agen(chunks: Sequence[str]) -> AsyncIterator[str]:
    for c in chunks:
        yield c


def aitems_run(chunks: Sequence[str]) -> Callable[[], Any]:
    async def main() -> list[Any]:
        return [x async for x in instant.aitems(agen(chunks), "items.[]")]

    return lambda: asyncio.run(main())


def tap_run(chunks: Sequence[str]) -> Callable[[], Any]:
    async def main() -> list[Any]:
        t = instant.tap(agen(chunks))

        async def answer() -> str:
            return "".join([p async for p in t.deltas("answer")])

        async def items() -> list[Any]:
            return [x async for x in t.items("items.[]")]

        out = await asyncio.gather(t.value("title"), answer(), items())
        await t.aclose()
        return out

    return lambda: asyncio.run(main())


@dataclass
class Case:
    size: int
    chunks: list[str]
    items: int
    timings: dict[str, Timing]


def prepare(size: int, seed: int) -> Case:
    text = model_document(size, seed=seed)
    chunks = chunks_1_8(text, seed=seed)
    doc = json.loads(text)
    want = doc["items"]
    # check every contender's result before timing it
    assert list(instant.items(chunks, "items.[]")) == want
    assert list(instant.items(chunks, "items.[]", Item)) == [Item.model_validate(i) for i in want]
    nested = [s for i in want for s in i.get("steps", [])]
    assert list(instant.items(chunks, "items.[].steps.[]")) == nested
    assert aitems_run(chunks)() == want
    assert list(instant.tap_sync(chunks).items("items.[]")) == want
    assert tap_run(chunks)() == [doc["title"], doc["answer"], want]
    until = instant.stream(chunks, until="missing")
    assert [e["key"] for e in until] == [e["key"] for e in instant.stream(chunks)]
    timings = {
        "parser": Timing(parser_run(chunks)),
        "parser_off": Timing(parser_run(chunks, snapshots=False)),
        "parser_sel": Timing(parser_run(chunks, select="items.[].$done", snapshots=False)),
        "items": Timing(drain(lambda: instant.items(chunks, "items.[]"))),
        "items_model": Timing(drain(lambda: instant.items(chunks, "items.[]", Item))),
        "items_nested": Timing(drain(lambda: instant.items(chunks, "items.[].steps.[]"))),
        "aitems": Timing(aitems_run(chunks)),
        "stream": Timing(drain(lambda: instant.stream(chunks))),
        "stream_until": Timing(drain(lambda: instant.stream(chunks, until="missing"))),
        "tap_sync": Timing(drain(lambda: instant.tap_sync(chunks).items("items.[]"))),
        "tap": Timing(tap_run(chunks)),
    }
    return Case(size, chunks, len(want), timings)


def _fmt_size(n: int) -> str:
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KB"
    return f"{n} B"


def us(case: Case, name: str) -> float:
    return case.timings[name].best / len(case.chunks) * 1e6


def render(cases: list[Case], args: argparse.Namespace) -> str:
    out = ["# instant items and tap benchmark\n"]
    out.append(
        f"- {datetime.datetime.now():%Y-%m-%d %H:%M}, Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )
    out.append(
        f"- document: `docs.model_document(size, seed={args.seed})`, chunked by "
        f"`docs.chunks_1_8(text, seed={args.seed})`; "
        + ", ".join(
            f"{_fmt_size(c.size)}: {len(c.chunks):,} chunks, {c.items} items" for c in cases
        )
    )
    reps = (
        "1 run (--quick)"
        if args.quick
        else f"best of N runs, N adaptive (~{BUDGET_S} s a measurement, {ROUNDS + 1} to "
        f"{MAX_REPEAT} runs), interleaved in {ROUNDS} rounds"
    )
    out.append(
        f"- timing: `time.{clock_name()}`, {reps}; garbage collector "
        + ("left **on**" if args.gc else "**disabled** while the clock runs")
    )
    out.append("- every result was checked against `json.loads(text)` before timing\n")
    head = "| what | " + " | ".join(f"µs/chunk {_fmt_size(c.size)}" for c in cases)
    head += " | over its baseline, µs/chunk | baseline |"
    out.append(head)
    out.append("|---|" + "---:|" * len(cases) + "---:|---|")
    labels = {name: label for name, label, _ in ROWS}
    for name, label, base in ROWS:
        cells = " | ".join(f"{us(c, name):.2f}" for c in cases)
        if base is None:
            over, against = "", ""
        else:
            over = " / ".join(f"{us(c, name) - us(c, base):+.2f}" for c in cases)
            against = labels[base]
        out.append(f"| {label} | {cells} | {over} | {against} |")
    out.append(
        "\nThe baseline of each row is the parser call it is built on: `items` asks the parser "
        "for the items' done events only (`select=`), the tap takes every event with "
        "`snapshots=False`, `stream(until=)` is `stream` plus the check. `aitems` and `tap` "
        "also pay for the event loop (an async generator source; the tap's handles wake "
        "their tasks as items come).\n"
    )
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--sizes", default="64K,256K", help="comma-separated sizes; %(default)s")
    ap.add_argument("--quick", action="store_true", help="one run per measurement")
    ap.add_argument("--gc", action="store_true", help="leave the garbage collector on")
    ap.add_argument("--cpu", action="store_true", help="time with process_time (CPU time)")
    ap.add_argument("--seed", type=int, default=0, help="document and chunking seed")
    ap.add_argument("--out", type=Path, default=HERE / "results", help="output directory")
    args = ap.parse_args(argv)
    if args.cpu:
        use_cpu_time()
    cases = []
    for label in (s.strip() for s in args.sizes.split(",") if s.strip()):
        size = parse_size(label)
        print(f"preparing and verifying {_fmt_size(size)} ...", file=sys.stderr, flush=True)
        cases.append(prepare(size, args.seed))
    print("timing ...", file=sys.stderr, flush=True)
    run_rounds([t for c in cases for t in c.timings.values()], args.quick, args.gc)
    table = render(cases, args)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "items.md").write_text(table, encoding="utf-8")
    print(f"wrote {args.out / 'items.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
