"""What ``complete_value`` snapshots cost with the default options, on the inputs that hurt.

Each row is run with the default options (snapshots on) and with ``snapshots=False``, each in
its own subprocess under a memory cap (``--cap-gb``, default 6 GiB) and a time limit
(``--timeout``, default 120 s), so an implementation that blows up is reported as such
instead of taking the machine down. The consumer is the common one: it iterates the events
of each ``feed()`` and keeps none (the loop variable holds the last event until the next
``feed``).

* time: CPU time (``time.process_time``) of the whole stream, best of ``--runs`` (default 3);
* memory: ``tracemalloc`` peak of allocations made during the stream (a separate run, since
  tracing slows Python down), the text itself excluded.

    python benchmarks/bench_snapshots.py                    # this checkout
    python benchmarks/bench_snapshots.py --instant /path/to/other/checkout --label old

Writes ``benchmarks/results/snapshots.md`` (``--out DIR`` elsewhere), one table per label,
so that the old and new behaviour can be compared in one file.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
KB, MB = 1 << 10, 1 << 20


def flat_object(size: int) -> str:
    """A flat object of about ``size`` characters: ``{"k0": "value number 0", ...}``."""
    parts, total, i = [], 2, 0
    while total < size:
        item = f'"k{i}": "value number {i}"'
        parts.append(item)
        total += len(item) + 2
        i += 1
    return "{" + ", ".join(parts) + "}"


def flat_keys(keys: int) -> str:
    return "{" + ", ".join(f'"k{i}": "value number {i}"' for i in range(keys)) + "}"


def model_doc(size: int) -> str:
    sys.path.insert(0, str(HERE))
    from docs import model_document

    return model_document(size, seed=0)


def pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


# name -> (what, text maker, chunk size (0: whole), entry point)
ROWS: dict[str, tuple[str, Callable[[], str], int, str]] = {
    "whole-20k-keys": (
        "310 KB object, 20,000 keys, fed whole to Parser()",
        lambda: flat_keys(20_000),
        0,
        "parser",
    ),
    "whole-20k-keys-iter": (
        "the same through iter_events([text])",
        lambda: flat_keys(20_000),
        0,
        "iter_events",
    ),
    "1.4MB-64K": (
        "1.4 MB object in 64 KB chunks",
        lambda: flat_object(1400 * KB),
        64 * KB,
        "parser",
    ),
    "100k-keys-4K": ("100,000 keys in 4 KB chunks", lambda: flat_keys(100_000), 4 * KB, "parser"),
    "4MB-doc-64K": (
        "4 MB model-like document in 64 KB chunks",
        lambda: model_doc(4 * MB),
        64 * KB,
        "parser",
    ),
    "50MB-doc-64K": (
        "50 MB model-like document in 64 KB chunks",
        lambda: model_doc(50 * MB),
        64 * KB,
        "parser",
    ),
    "100KB-1char": (
        "100 KB flat object, 1 character per feed()",
        lambda: flat_object(100 * KB),
        1,
        "parser",
    ),
    "100KB-64": (
        "100 KB flat object, 64 characters per feed()",
        lambda: flat_object(100 * KB),
        64,
        "parser",
    ),
}


def consume(entry: str, chunks: list[str], snapshots: bool, keep_last: bool) -> None:
    """Stream ``chunks`` and look at every event; ``keep_last``: as a plain ``for`` loop does,
    the last event of each call stays referenced (by the loop variable) during the next call;
    otherwise the consumer lets go of every event before the next call."""
    import instant

    options = {} if snapshots else {"snapshots": False}
    if entry == "iter_events":
        for _e in instant.iter_events(chunks, **options):
            pass
        return
    p = instant.Parser(**options)
    feed = p.feed
    if keep_last:
        for c in chunks:
            for _e in feed(c):
                pass
    else:
        for c in chunks:
            for _e in feed(c):
                pass
            _e = None
    for _e in p.close():
        pass


def one(row: str, snapshots: bool, runs: int, memory: bool, keep_last: bool) -> dict[str, float]:
    """Measure one row in this process (called in a subprocess): its time or its memory."""
    _, make, size, entry = ROWS[row]
    text = make()
    chunks = [text] if size == 0 else pieces(text, size)
    if memory:
        tracemalloc.start()
        consume(entry, chunks, snapshots, keep_last)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return {"peak_bytes": peak}
    best = float("inf")
    for _ in range(runs):
        t0 = time.process_time()
        consume(entry, chunks, snapshots, keep_last)
        best = min(best, time.process_time() - t0)
    return {"seconds": best, "chars": len(text), "chunks": len(chunks)}


def measure(
    instant_path: str,
    row: str,
    snapshots: bool,
    args: argparse.Namespace,
    memory: bool = False,
    keep_last: bool = True,
) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--one", row, "--runs", str(args.runs)]
    if not snapshots:
        cmd.append("--off")
    if memory:
        cmd.append("--memory")
    if not keep_last:
        cmd.append("--drop")
    env = {**os.environ, "PYTHONPATH": instant_path + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cap = int(args.cap_gb * (1 << 30))

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    try:
        proc = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=args.timeout, preexec_fn=limit
        )
    except subprocess.TimeoutExpired:
        return {"error": f"> {args.timeout:g} s"}
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        if "MemoryError" in last:
            return {"error": f"MemoryError at {args.cap_gb:g} GiB"}
        return {"error": last[:80]}
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def fmt_time(r: dict[str, object]) -> str:
    return str(r["error"]) if "error" in r else f"{r['seconds']:.3f} s"


def fmt_mem(r: dict[str, object]) -> str:
    if "error" in r:
        return str(r["error"])
    return f"{int(r['peak_bytes']) / MB:.1f} MB"  # type: ignore[call-overload]


def ratio(on: dict[str, object], off: dict[str, object], key: str) -> str:
    if "error" in on or "error" in off:
        return "—"
    return f"{float(on[key]) / max(float(off[key]), 1e-9):.2f}x"  # type: ignore[arg-type]


def engine(checkout: str) -> str:
    """``instant.ENGINE`` of the checkout, as the rows' subprocesses will import it."""
    code = "import sys; sys.path.insert(0, sys.argv[1]); import instant; print(instant.ENGINE)"
    done = subprocess.run(
        [sys.executable, "-c", code, checkout], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instant", default=str(HERE.parent), help="checkout whose instant to measure")
    ap.add_argument("--label", default="this checkout")
    ap.add_argument("--rows", default=",".join(ROWS), help="comma-separated row names")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cap-gb", type=float, default=6.0)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--out", default=str(HERE / "results"))
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--off", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--drop", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, not args.off, args.runs, args.memory, not args.drop)))
        return
    lines = [
        f"## {args.label}",
        "",
        f"- {datetime.datetime.now():%Y-%m-%d %H:%M}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs; instant from "
        f"`{args.instant}`, engine **{engine(args.instant)}**; cap {args.cap_gb:g} GiB, "
        f"timeout {args.timeout:g} s, "
        f"best of {args.runs} (CPU time)",
        "- default: the plain `for event in parser.feed(chunk)` loop, whose variable keeps the "
        "last event of each call alive during the next; *drops*: the consumer lets go of every "
        "event before the next call",
        "",
        "| input | default | `snapshots=False` | ratio | default, drops events | ratio "
        "| peak, default | peak, `snapshots=False` | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in args.rows.split(","):
        on = measure(args.instant, row, True, args)
        off = measure(args.instant, row, False, args)
        drop = measure(args.instant, row, True, args, keep_last=False)
        mon = measure(args.instant, row, True, args, memory=True)
        moff = measure(args.instant, row, False, args, memory=True)
        line = (
            f"| {ROWS[row][0]} | {fmt_time(on)} | {fmt_time(off)} | {ratio(on, off, 'seconds')} "
            f"| {fmt_time(drop)} | {ratio(drop, off, 'seconds')} "
            f"| {fmt_mem(mon)} | {fmt_mem(moff)} | {ratio(mon, moff, 'peak_bytes')} |"
        )
        print(line, flush=True)
        lines.append(line)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "snapshots.md"
    old = path.read_text(encoding="utf-8") if path.exists() else "# complete_value snapshots\n"
    sections = [s for s in old.split("\n## ") if not s.startswith(f"{args.label}\n")]
    text = "\n## ".join(sections).rstrip() + "\n\n" + "\n".join(lines) + "\n"
    path.write_text(text, encoding="utf-8")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
