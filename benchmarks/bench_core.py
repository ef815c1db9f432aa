"""Core parser cost: µs per streamed chunk, and one-shot parsing against json.loads.

For each size, a seeded model-like document (``docs.model_document``) is cut into random 1-8
character chunks (``docs.chunks_1_8``) and fed to ``instant.Parser`` chunk by chunk, with
``snapshots=False`` (live value) and ``snapshots=True`` (the default); the caller consumes the
events by iterating each returned list. The whole text is also fed in one ``feed`` + ``close`` and
compared with ``json.loads``. Every timing is the best of N runs (N chosen so that each
measurement takes about half a second, at least 6 runs; ``--quick``: one run), interleaved across
sizes in rounds so that load from other processes skews no size alone, with the garbage
collector disabled while the clock runs (``--gc`` leaves it on). Before timing, each size's final
value is checked against ``json.loads`` so a broken parser cannot be measured silently.

    python benchmarks/bench_core.py [--sizes 4K,16K,64K,256K,1M] [--quick] [--gc] [--cpu]

Prints a markdown table, writes it to ``benchmarks/results/core.md`` and, when matplotlib is
installed, a log-log plot to ``benchmarks/results/core.png``. If ijson is installed, a reference
table for its fastest backend over the same chunks is added.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from docs import chunks_1_8, model_document, parse_size  # noqa: E402
from timing import BUDGET_S, MAX_REPEAT, ROUNDS, Timing, clock_name, run_rounds, use_cpu_time  # noqa: E402

import instant  # noqa: E402

# Targets from the issue.
TARGET_US_PER_CHUNK_256K = 2.0  # snapshots off, 256 KB
TARGET_SCALING_1M_VS_4K = 1.3  # snapshots off, µs/chunk at 1 MB over µs/chunk at 4 KB
TARGET_WHOLE_VS_JSON = 10.0  # one feed + close over json.loads, every size


# --------------------------------------------------------------------------- timing helpers


# --------------------------------------------------------------------------- instant runs


def feed_chunks(chunks: Sequence[str], snapshots: bool) -> Callable[[], None]:
    def run() -> None:
        p = instant.Parser(snapshots=snapshots)
        feed = p.feed
        for c in chunks:
            for _e in feed(c):
                pass
        for _e in p.close():
            pass

    return run


def feed_whole(text: str, snapshots: bool) -> Callable[[], None]:
    def run() -> None:
        p = instant.Parser(snapshots=snapshots)
        events = p.feed(text)
        events += p.close()
        for _e in events:
            pass

    return run


def final_value(chunks: Sequence[str], snapshots: bool) -> tuple[Any, int]:
    """Feed the chunks; return the root ``done`` value (or ``parser.value``) and the event count."""
    p = instant.Parser(snapshots=snapshots)
    events: list[dict[str, Any]] = []
    for c in chunks:
        events.extend(p.feed(c))
    events.extend(p.close())
    roots = [e for e in events if e["event"] == "done" and e["key"] == ""]
    assert len(roots) == 1, f"expected exactly one root done event, got {len(roots)}"
    assert events[-1] is roots[0], "the root done event must be the last event"
    value = roots[0]["value"]
    if hasattr(p, "value"):
        assert p.value == value, "parser.value differs from the root done event's value"
    if snapshots:
        assert events[-1]["complete_value"] == value, "complete_value of the last event differs"
    return value, len(events)


def verify(text: str, chunks: Sequence[str], label: str) -> dict[str, int]:
    """Assert every way of feeding this text gives json.loads's value; return event counts."""
    expected = json.loads(text)
    counts: dict[str, int] = {}
    for name, pieces, snaps in (
        ("chunked/off", chunks, False),
        ("chunked/on", chunks, True),
        ("whole/on", [text], True),
    ):
        value, n = final_value(pieces, snaps)
        if value != expected:
            raise AssertionError(
                f"{label} {name}: final value differs from json.loads "
                f"(see benchmarks/README.md for how to get a minimal repro)"
            )
        counts[name] = n
    return counts


# --------------------------------------------------------------------------- ijson reference


def ijson_reference() -> tuple[Any, str] | None:
    try:
        import ijson
    except ImportError:
        return None
    return ijson, str(ijson.backend)  # the default backend is the fastest one installed


def ijson_chunked(ijson: Any, bchunks: Sequence[bytes], build: bool) -> Callable[[], None]:
    """Push pre-encoded chunks into ijson's coroutine API (``basic_parse_coro`` events, or
    ``items_coro(prefix="")``, which also builds the value), draining events after each send."""

    def run() -> None:
        sink = ijson.sendable_list()
        if build:
            coro = ijson.items_coro(sink, "", use_float=True)
        else:
            coro = ijson.basic_parse_coro(sink, use_float=True)
        send = coro.send
        for c in bchunks:
            send(c)
            for _e in sink:
                pass
            del sink[:]
        coro.close()
        for _e in sink:
            pass

    return run


def ijson_value(ijson: Any, bchunks: Sequence[bytes]) -> Any:
    sink = ijson.sendable_list()
    coro = ijson.items_coro(sink, "", use_float=True)
    for c in bchunks:
        coro.send(c)
    coro.close()
    return sink[0] if sink else None


# --------------------------------------------------------------------------- the run


@dataclass
class Row:
    label: str
    size: int
    nbytes: int
    nchars: int
    nchunks: int
    us_off: float
    us_on: float
    whole_on_ms: float
    whole_off_ms: float
    loads_ms: float
    repeats: dict[str, int] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)
    ijson_us_events: float | None = None
    ijson_us_items: float | None = None

    @property
    def ratio(self) -> float:
        return self.whole_on_ms / self.loads_ms


@dataclass
class Case:
    """One size: its text, chunks and timings (set up and verified before any timing)."""

    label: str
    size: int
    text: str
    chunks: list[str]
    events: dict[str, int]
    timings: dict[str, Timing]


def prepare(label: str, size: int, seed: int, ij: tuple[Any, str] | None) -> Case:
    text = model_document(size, seed=seed)
    chunks = chunks_1_8(text, seed=seed)
    counts = verify(text, chunks, label)
    timings = {
        "off": Timing(feed_chunks(chunks, False)),
        "on": Timing(feed_chunks(chunks, True)),
        "whole_on": Timing(feed_whole(text, True)),
        "whole_off": Timing(feed_whole(text, False)),
        "loads": Timing(lambda: json.loads(text)),
    }
    if ij is not None:
        ijson = ij[0]
        bchunks = [c.encode("utf-8") for c in chunks]  # encoded outside the clock
        if ijson_value(ijson, bchunks) == json.loads(text):
            timings["ijson_events"] = Timing(ijson_chunked(ijson, bchunks, build=False))
            timings["ijson_items"] = Timing(ijson_chunked(ijson, bchunks, build=True))
    return Case(label, size, text, chunks, counts, timings)


def to_row(case: Case) -> Row:
    t, n = case.timings, len(case.chunks)
    row = Row(
        label=case.label,
        size=case.size,
        nbytes=len(case.text.encode()),
        nchars=len(case.text),
        nchunks=n,
        us_off=t["off"].best / n * 1e6,
        us_on=t["on"].best / n * 1e6,
        whole_on_ms=t["whole_on"].best * 1e3,
        whole_off_ms=t["whole_off"].best * 1e3,
        loads_ms=t["loads"].best * 1e3,
        repeats={k: v.runs for k, v in t.items()},
        events=case.events,
    )
    if "ijson_events" in t:
        row.ijson_us_events = t["ijson_events"].best / n * 1e6
        row.ijson_us_items = t["ijson_items"].best / n * 1e6
    return row


def _fmt_size(n: int) -> str:
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KB"
    return f"{n} B"


def _mark(ok: bool) -> str:
    return "**pass**" if ok else "**FAIL**"


def render(rows: list[Row], args: argparse.Namespace, ij: tuple[Any, str] | None) -> str:
    out: list[str] = []
    out.append("# instant core benchmark\n")
    out.append(
        f"- {datetime.datetime.now():%Y-%m-%d %H:%M}, Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )
    out.append(
        f"- document: `docs.model_document(size, seed={args.seed})` (pretty-printed, "
        f"model-like; sizes are UTF-8 bytes, KB = 1024), chunked by "
        f"`docs.chunks_1_8(text, seed={args.seed})`"
    )
    reps = (
        "1 run (--quick)"
        if args.quick
        else (
            f"best of N runs, N adaptive (~{BUDGET_S} s a measurement, "
            f"{ROUNDS + 1} to {MAX_REPEAT} runs), interleaved across sizes in {ROUNDS} rounds"
        )
    )
    out.append(
        f"- timing: `time.{clock_name()}`, {reps}; garbage collector "
        + ("left **on**" if args.gc else "**disabled** while the clock runs")
        + " (`--gc` to keep it on)"
    )
    out.append(
        "- events are consumed by iterating each returned list; the final value was checked "
        "against `json.loads` for chunked/off, chunked/on and whole/on before timing\n"
    )

    out.append(
        "| size | chunks | µs/chunk (snapshots off) | µs/chunk (snapshots on) | "
        "whole feed ms | json.loads ms | whole/json.loads | whole feed ms (snapshots off) |"
    )
    out.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        out.append(
            f"| {_fmt_size(r.size)} | {r.nchunks:,} | {r.us_off:.2f} | {r.us_on:.2f} | "
            f"{r.whole_on_ms:.2f} | {r.loads_ms:.3f} | {r.ratio:.1f}x | {r.whole_off_ms:.2f} |"
        )
    out.append(
        '\n"whole feed" is one `feed(text)` + `close()` with the default `snapshots=True`; '
        "the last column is the same with `snapshots=False`.\n"
    )

    out.append("## Targets\n")
    by_size = {r.size: r for r in rows}
    k4, k256, m1 = 4 * 1024, 256 * 1024, 1024 * 1024
    if k256 in by_size:
        v = by_size[k256].us_off
        out.append(
            f"- ≤ {TARGET_US_PER_CHUNK_256K:g} µs/chunk at 256 KB, snapshots off: "
            f"{v:.2f} µs — {_mark(v <= TARGET_US_PER_CHUNK_256K)}"
        )
    else:
        out.append(
            f"- ≤ {TARGET_US_PER_CHUNK_256K:g} µs/chunk at 256 KB, snapshots off: "
            "n/a (size not run)"
        )
    if k4 in by_size and m1 in by_size:
        v = by_size[m1].us_off / by_size[k4].us_off
        out.append(
            f"- µs/chunk at 1 MB within {TARGET_SCALING_1M_VS_4K:g}x of 4 KB, snapshots off: "
            f"{v:.2f}x — {_mark(v <= TARGET_SCALING_1M_VS_4K)}"
            f" (snapshots on: {by_size[m1].us_on / by_size[k4].us_on:.2f}x, not a target)"
        )
    else:
        out.append(
            f"- µs/chunk at 1 MB within {TARGET_SCALING_1M_VS_4K:g}x of 4 KB: n/a (needs 4K and 1M)"
        )
    if rows:
        worst = max(rows, key=lambda r: r.ratio)
        out.append(
            f"- whole feed ≤ {TARGET_WHOLE_VS_JSON:g}x json.loads at every size: worst "
            f"{worst.ratio:.1f}x at {_fmt_size(worst.size)} — "
            f"{_mark(worst.ratio <= TARGET_WHOLE_VS_JSON)}"
            f" (snapshots off: worst {max(r.whole_off_ms / r.loads_ms for r in rows):.1f}x)"
        )

    if ij is not None and any(r.ijson_us_events is not None for r in rows):
        out.append(f"\n## Reference: ijson {ij[0].__version__}, backend `{ij[1]}`\n")
        out.append(
            "Same chunks, UTF-8 encoded before the clock starts, pushed with `coro.send()`; "
            "`basic_parse_coro` yields (event, value) pairs, `items_coro(prefix='')` also "
            "builds the value. ijson reports a string only once it is complete (no deltas), "
            "so this is a floor for event parsing, not a like-for-like comparison.\n"
        )
        out.append(
            "| size | chunks | µs/chunk basic_parse_coro | µs/chunk items_coro | "
            "instant µs/chunk (off) / basic_parse_coro |"
        )
        out.append("|---:|---:|---:|---:|---:|")
        for r in rows:
            if r.ijson_us_events is None or r.ijson_us_items is None:
                out.append(f"| {_fmt_size(r.size)} | {r.nchunks:,} | value mismatch, skipped | | |")
                continue
            out.append(
                f"| {_fmt_size(r.size)} | {r.nchunks:,} | {r.ijson_us_events:.2f} | "
                f"{r.ijson_us_items:.2f} | {r.us_off / r.ijson_us_events:.1f}x |"
            )

    out.append("\n## Details\n")
    out.append(
        "| size | bytes | chars | events chunked/off | events chunked/on | events whole | "
        "runs (off/on/whole on/whole off/loads) |"
    )
    out.append("|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        rp = r.repeats
        out.append(
            f"| {_fmt_size(r.size)} | {r.nbytes:,} | {r.nchars:,} | "
            f"{r.events['chunked/off']:,} | {r.events['chunked/on']:,} | "
            f"{r.events['whole/on']:,} | "
            f"{rp['off']}/{rp['on']}/{rp['whole_on']}/{rp['whole_off']}/{rp['loads']} |"
        )
    return "\n".join(out) + "\n"


def plot(rows: list[Row], path: Path, ij: tuple[Any, str] | None) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        return False
    xs = [r.size for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.loglog(xs, [r.us_off for r in rows], "o-", label="instant, snapshots=False")
    ax.loglog(xs, [r.us_on for r in rows], "s-", label="instant, snapshots=True (default)")
    if ij is not None and all(r.ijson_us_events is not None for r in rows):
        ax.loglog(
            xs,
            [r.ijson_us_events for r in rows],
            "^--",
            color="grey",
            label=f"ijson basic_parse_coro ({ij[1]})",
        )
    ax.axhline(
        TARGET_US_PER_CHUNK_256K,
        color="red",
        lw=0.8,
        ls=":",
        label=f"target {TARGET_US_PER_CHUNK_256K:g} µs/chunk (off, 256 KB)",
    )
    ax.set_xticks(xs, [_fmt_size(x) for x in xs])
    ax.minorticks_off()
    shown = [y for line in ax.get_lines() for y in line.get_ydata()]
    lo, hi = min(shown), max(shown)
    steps = [m * 10.0**e for e in range(-3, 4) for m in (1, 2, 5)]
    ax.set_yticks([y for y in steps if lo / 2 <= y <= hi * 2], minor=False)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.set_xlabel("document size")
    ax.set_ylabel("µs per 1-8 char chunk")
    ax.set_title("instant: cost per streamed chunk")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--sizes",
        default="4K,16K,64K,256K,1M",
        help="comma-separated document sizes (K=1024, M=1024*1024); default %(default)s",
    )
    ap.add_argument("--quick", action="store_true", help="one run per measurement")
    ap.add_argument("--gc", action="store_true", help="leave the garbage collector on while timing")
    ap.add_argument(
        "--cpu",
        action="store_true",
        help="time with process_time (CPU time), not perf_counter: steadier on a busy machine",
    )
    ap.add_argument("--seed", type=int, default=0, help="document and chunking seed")
    ap.add_argument(
        "--out",
        type=Path,
        default=HERE / "results",
        help="directory for core.md and core.png; default benchmarks/results",
    )
    args = ap.parse_args(argv)
    if args.cpu:
        use_cpu_time()

    ij = ijson_reference()
    labels = [s.strip() for s in args.sizes.split(",") if s.strip()]
    cases: list[Case] = []
    for label in labels:
        size = parse_size(label)
        print(f"preparing and verifying {_fmt_size(size)} ...", file=sys.stderr, flush=True)
        cases.append(prepare(label, size, args.seed, ij))
    print("timing ...", file=sys.stderr, flush=True)
    run_rounds([t for c in cases for t in c.timings.values()], args.quick, args.gc)
    rows = [to_row(c) for c in cases]

    table = render(rows, args, ij)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "core.md").write_text(table, encoding="utf-8")
    wrote_png = plot(rows, args.out / "core.png", ij)
    print(
        f"wrote {args.out / 'core.md'}" + (f" and {args.out / 'core.png'}" if wrote_png else ""),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
