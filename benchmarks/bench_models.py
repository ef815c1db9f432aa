"""Partial models: µs per streamed chunk of ``instant.stream_model`` against the plain parser.

For each size, the seeded model-like document of ``docs.model_document`` (the one
``bench_core.py`` measures) is cut into random 1-8 character chunks (``docs.chunks_1_8``) and
streamed into ``Report``, a pydantic model of that document (nested models, a ``list[Item]``
of records with text, lists, optional fields). Measured, per chunk:

- ``Parser()`` (the default, snapshots on) and ``Parser(snapshots=False)``, events iterated;
- ``stream_model(Report, chunks)``: a ``Partial[Report]`` after every chunk that changed
  something, then the validated ``Report``; the same with ``on="field"``; with
  ``validate="subtree"`` (each ``Item``, ``Meta``, ``Source``, ``Step`` validated as it
  closes); and into ``PolicyReport``, the same model with streaming policies on its fields
  (``WithState`` title, ``Done`` summaries and scores, ``NotNull`` item ids).

Before timing, the final ``Report`` is checked against ``Report.model_validate_json(text)``.
Timings are best of N runs, interleaved across sizes in rounds, garbage collector off while
the clock runs (see ``timing.py``).

    python benchmarks/bench_models.py [--sizes 64K,256K,1M] [--quick] [--gc] [--cpu]

``--run NAME`` (``parser``, ``models``, ``field``, ``subtree``, ``policies`` or ``none``)
prepares the first size and streams it once, untimed: for instruction counts, e.g.
``valgrind --tool=callgrind python benchmarks/bench_models.py --sizes 64K --run models``
less the same with ``--run none``.

Prints a markdown table, writes it to ``benchmarks/results/models.md`` and, when matplotlib is
installed, a log-log plot to ``benchmarks/results/models.png``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from docs import chunks_1_8, model_document, parse_size  # noqa: E402
from timing import BUDGET_S, MAX_REPEAT, ROUNDS, Timing, clock_name, run_rounds, use_cpu_time  # noqa: E402

import instant  # noqa: E402

TARGET_RATIO = 3.0  # stream_model µs/chunk over Parser() µs/chunk, every size


class Source(BaseModel):
    url: str
    page: int
    verified: bool | None


class Meta(BaseModel):
    lang: str
    confidence: float
    source: Source


class Step(BaseModel):
    n: int
    text: str
    done: bool


class Item(BaseModel):
    id: int
    name: str
    summary: str
    score: float
    count: int
    active: bool
    parent: int | None
    tags: list[str]
    values: list[float]
    meta: Meta
    steps: list[Step] = Field(default_factory=list)
    note: str | None = None


class Metadata(BaseModel):
    model: str
    usage: dict[str, int]
    stop_reason: str | None
    flags: list[bool | None]
    ratios: list[float]


class Report(BaseModel):
    title: str
    answer: str
    language: str
    confidence: float
    needs_review: bool
    error: str | None
    metadata: Metadata
    items: list[Item]


class PolicyItem(BaseModel):
    id: Annotated[int, instant.NotNull]
    name: str
    summary: Annotated[str, instant.Done]
    score: float
    count: int
    active: bool
    parent: int | None
    tags: list[str]
    values: Annotated[list[float], instant.Done]
    meta: Meta
    steps: list[Step] = Field(default_factory=list)
    note: str | None = None


class PolicyReport(BaseModel):
    title: Annotated[str, instant.WithState]
    answer: str
    language: str
    confidence: float
    needs_review: bool
    error: str | None
    metadata: Metadata
    items: list[PolicyItem]


def parser_run(chunks: Sequence[str], snapshots: bool) -> Callable[[], None]:
    def run() -> None:
        p = instant.Parser(snapshots=snapshots)
        feed = p.feed
        for c in chunks:
            for _e in feed(c):
                pass
        for _e in p.close():
            pass

    return run


def models_run(
    chunks: Sequence[str], on: str, model: type[BaseModel] = Report, validate: str = "final"
) -> Callable[[], None]:
    def run() -> None:
        for _p in instant.stream_model(model, chunks, on=on, validate=validate):  # type: ignore[call-overload]
            pass

    return run


def runs(chunks: Sequence[str]) -> dict[str, Callable[[], None]]:
    return {
        "on": parser_run(chunks, True),
        "off": parser_run(chunks, False),
        "models": models_run(chunks, "chunk"),
        "field": models_run(chunks, "field"),
        "subtree": models_run(chunks, "chunk", validate="subtree"),
        "policies": models_run(chunks, "chunk", PolicyReport),
    }


@dataclass
class Case:
    size: int
    text: str
    chunks: list[str]
    partials: int
    field_partials: int
    timings: dict[str, Timing]


def prepare(size: int, seed: int) -> Case:
    text = model_document(size, seed=seed)
    chunks = chunks_1_8(text, seed=seed)
    out = list(instant.stream_model(Report, chunks))
    if out[-1] != Report.model_validate_json(text):
        raise AssertionError(f"{size}: the final Report differs from model_validate_json")
    n_field = sum(1 for _ in instant.stream_model(Report, chunks, on="field")) - 1
    subtree = list(instant.stream_model(Report, chunks, validate="subtree"))
    if subtree[-1] != out[-1] or len(subtree) != len(out):
        raise AssertionError(f"{size}: validate='subtree' found a valid document invalid")
    if list(instant.stream_model(PolicyReport, chunks))[-1] != PolicyReport.model_validate_json(
        text
    ):
        raise AssertionError(f"{size}: the final PolicyReport differs from model_validate_json")
    timings = {name: Timing(fn) for name, fn in runs(chunks).items()}
    return Case(size, text, chunks, len(out) - 1, n_field, timings)


def _fmt_size(n: int) -> str:
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KB"
    return f"{n} B"


def us(case: Case, name: str) -> float:
    return case.timings[name].best / len(case.chunks) * 1e6


def render(cases: list[Case], args: argparse.Namespace) -> str:
    out = ["# instant partial-models benchmark\n"]
    out.append(
        f"- {datetime.datetime.now():%Y-%m-%d %H:%M}, Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )
    out.append(
        f"- document: `docs.model_document(size, seed={args.seed})` streamed into `Report` "
        f"(nested models, `list[Item]`), chunked by `docs.chunks_1_8(text, seed={args.seed})`"
    )
    reps = (
        "1 run (--quick)"
        if args.quick
        else f"best of N runs, N adaptive (~{BUDGET_S} s a measurement, {ROUNDS + 1} to "
        f"{MAX_REPEAT} runs), interleaved across sizes in {ROUNDS} rounds"
    )
    out.append(
        f"- timing: `time.{clock_name()}`, {reps}; garbage collector "
        + ("left **on**" if args.gc else "**disabled** while the clock runs")
    )
    out.append(
        "- the final `Report` was checked against `Report.model_validate_json(text)` "
        "before timing\n"
    )
    out.append(
        "| size | chunks | partials | µs/chunk `Parser()` | µs/chunk `Parser(snapshots=False)` "
        '| µs/chunk `stream_model` | ratio to `Parser()` | µs/chunk `on="field"` '
        '| µs/chunk `validate="subtree"` | µs/chunk with policies |'
    )
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in cases:
        out.append(
            f"| {_fmt_size(c.size)} | {len(c.chunks):,} | {c.partials:,} | {us(c, 'on'):.2f} | "
            f"{us(c, 'off'):.2f} | {us(c, 'models'):.2f} | "
            f"{us(c, 'models') / us(c, 'on'):.2f}x | {us(c, 'field'):.2f} | "
            f"{us(c, 'subtree'):.2f} | {us(c, 'policies'):.2f} |"
        )
    out.append(
        '\n"partials" is how many `Partial[Report]` the chunk mode hands out (a chunk that '
        "only brings whitespace, a key or part of a number changes nothing visible); "
        f'`on="field"` hands out {", ".join(f"{c.field_partials:,}" for c in cases)}.\n'
    )
    out.append("## Targets\n")
    worst = max(cases, key=lambda c: us(c, "models") / us(c, "on"))
    ratio = us(worst, "models") / us(worst, "on")
    out.append(
        f"- stream_model ≤ {TARGET_RATIO:g}x `Parser()` per chunk at every size: worst "
        f"{ratio:.2f}x at {_fmt_size(worst.size)} — "
        + ("**pass**" if ratio <= TARGET_RATIO else "**FAIL**")
        + f" (against `Parser(snapshots=False)`: worst "
        f"{max(us(c, 'models') / us(c, 'off') for c in cases):.2f}x)"
    )
    if len(cases) > 1:
        first, last = cases[0], cases[-1]
        out.append(
            f"- growth of µs/chunk from {_fmt_size(first.size)} to {_fmt_size(last.size)}: "
            f"stream_model {us(last, 'models') / us(first, 'models'):.2f}x, "
            f"`Parser()` {us(last, 'on') / us(first, 'on'):.2f}x (the open `items` list is "
            "copied for each partial, as the parser's snapshots copy it for each event)"
        )
    return "\n".join(out) + "\n"


def plot(cases: list[Case], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    xs = [c.size for c in cases]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, label, style in (
        ("off", "Parser(snapshots=False)", "o-"),
        ("on", "Parser() (default)", "s-"),
        ("models", "stream_model(Report)", "^-"),
        ("field", 'stream_model(Report, on="field")', "v--"),
    ):
        ax.loglog(xs, [us(c, name) for c in cases], style, label=label)
    ax.set_xticks(xs, [_fmt_size(x) for x in xs])
    ax.minorticks_off()
    ax.set_xlabel("document size")
    ax.set_ylabel("µs per 1-8 char chunk")
    ax.set_title("instant: partial models, cost per streamed chunk")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--sizes", default="64K,256K,1M", help="comma-separated sizes; %(default)s")
    ap.add_argument("--quick", action="store_true", help="one run per measurement")
    ap.add_argument("--gc", action="store_true", help="leave the garbage collector on")
    ap.add_argument("--cpu", action="store_true", help="time with process_time (CPU time)")
    ap.add_argument("--seed", type=int, default=0, help="document and chunking seed")
    ap.add_argument("--out", type=Path, default=HERE / "results", help="output directory")
    ap.add_argument(
        "--run",
        choices=["parser", "models", "field", "subtree", "policies", "none"],
        help="stream the first size once, untimed (for instruction counts), and exit",
    )
    args = ap.parse_args(argv)
    if args.run is not None:
        size = parse_size(args.sizes.split(",")[0])
        chunks = chunks_1_8(model_document(size, seed=args.seed), seed=args.seed)
        instant.Partial[Report], instant.Partial[PolicyReport]  # noqa: B018 - made before the run
        if args.run != "none":
            runs(chunks)["on" if args.run == "parser" else args.run]()
        return 0
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
    (args.out / "models.md").write_text(table, encoding="utf-8")
    wrote_png = plot(cases, args.out / "models.png")
    print(
        f"wrote {args.out / 'models.md'}"
        + (f" and {args.out / 'models.png'}" if wrote_png else ""),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
