"""Bytes on the wire: a document with one long string, relayed to a browser each way.

The document is ``{"answer": "<n characters of prose>", "n": 1}``, streamed as a model would
send it: cut into token-sized pieces (the demo's BPE-like cutter, about 4 characters each)
and parsed by ``instant.stream``. Each relay form is framed as Server-Sent Events by
``instant.relay.sse`` (``keepalive=None``) and its frames' UTF-8 bytes are counted:

- ``json_patch`` with ``append`` (the default): each character of the string is sent once;
- ``json_patch(append=False)``: RFC 6902 ``replace`` of the whole string at every delta;
- ``vercel_ui``: the whole document in a ``data-`` part at every event (what ``useChat``
  reconciles; ``throttle`` cuts it to one part per interval, a number that depends on the
  model's pace, so it is not measured here);
- ``text``: the canonical JSON text (``text/plain``, no framing), for reference;
- the model's own text, for reference.

The string's length is doubled from 1 K to 64 K characters (K = 1024); the growth exponent
from one size to the next is log2(bytes ratio): 1 for O(n), 2 for O(n^2). Also CPU time
(``time.process_time``) per token piece for the append form, parse included.

    python benchmarks/bench_relay.py [--sizes 1K,4K,16K,64K] [--out FOLDER]

Prints a markdown table and writes it to ``benchmarks/results/relay.md`` (and a log-log plot
``relay.png`` if matplotlib is installed).
"""

from __future__ import annotations

import argparse
import datetime
import math
import platform
import random
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import instant  # noqa: E402
from instant.relay import json_patch, sse, text, vercel_ui  # noqa: E402
from instant.relay.demo import tokens  # noqa: E402

WORDS = (
    "the grinder matters more than the machine a fresh burr set gives an even grind "
    "espresso needs nine bars steam wands froth milk for a latte pour slowly and taste"
).split()


def document(size: int) -> str:
    """The reply: one object whose ``answer`` string has ``size`` characters of prose."""
    rng = random.Random(size)
    words: list[str] = []
    length = 0
    while length < size:
        word = rng.choice(WORDS)
        words.append(word)
        length += len(word) + 1
    answer = " ".join(words)[:size]
    return '{"answer": "' + answer + '", "n": 1}'


def wire(frames: Iterable[str]) -> int:
    return sum(len(frame.encode("utf-8")) for frame in frames)


FORMS: dict[str, Callable[[list[str]], int]] = {
    "json_patch, append": lambda chunks: wire(
        sse(json_patch(instant.stream(chunks)), keepalive=None)
    ),
    "json_patch, replace (RFC 6902)": lambda chunks: wire(
        sse(json_patch(instant.stream(chunks), append=False), keepalive=None)
    ),
    "vercel_ui data parts": lambda chunks: wire(
        sse(vercel_ui(instant.stream(chunks)), keepalive=None)
    ),
    "text (no framing)": lambda chunks: wire(text(instant.stream(chunks))),
    "the model's text": lambda chunks: wire(chunks),
}


def parse_size(text_: str) -> int:
    text_ = text_.strip().upper()
    if text_.endswith("K"):
        return int(text_[:-1]) * 1024
    return int(text_)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1K,4K,16K,64K")
    ap.add_argument("--out", type=Path, default=HERE / "results", help="results folder")
    args = ap.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",")]

    table: dict[str, list[int]] = {name: [] for name in FORMS}
    pieces: list[int] = []
    cpu: list[float] = []
    for size in sizes:
        chunks = tokens(document(size))
        pieces.append(len(chunks))
        for name, measure in FORMS.items():
            table[name].append(measure(chunks))
            print(f"{size // 1024:>4} K  {name:<32} {table[name][-1]:>14,} bytes", file=sys.stderr)
        start = time.process_time()
        wire(sse(json_patch(instant.stream(chunks)), keepalive=None))
        cpu.append((time.process_time() - start) / len(chunks) * 1e6)

    head = " | ".join(f"{s // 1024} K" for s in sizes)
    lines = [
        "# Bytes on the wire: one long string relayed to a browser",
        "",
        f"`python benchmarks/bench_relay.py --sizes {args.sizes}` on {platform.system()} "
        f"{platform.machine()}, CPython {platform.python_version()}, "
        f"{datetime.date.today().isoformat()}.",
        "",
        'Document `{"answer": "<n characters>", "n": 1}` in token-sized pieces '
        f"({', '.join(f'{p:,}' for p in pieces)} pieces); SSE frames' UTF-8 bytes.",
        "",
        f"| form | {head} | growth, last doubling |",
        "|---|" + "---:|" * len(sizes) + "---:|",
    ]
    for name, counts in table.items():
        last = len(counts) - 1
        growth = ""
        if last and counts[last - 1]:
            ratio = counts[last] / counts[last - 1]
            steps = math.log2(sizes[last] / sizes[last - 1])
            growth = f"n^{math.log2(ratio) / steps:.2f}"
        cells = " | ".join(f"{c:,}" for c in counts)
        lines.append(f"| {name} | {cells} | {growth} |")
    append, strict = table["json_patch, append"], table["json_patch, replace (RFC 6902)"]
    lines += [
        "",
        f"At {sizes[-1] // 1024} K characters the append form sends {append[-1] / sizes[-1]:.2f} "
        f"bytes per character of the string ({append[-1]:,} bytes) and the RFC-strict form "
        f"{strict[-1] / append[-1]:,.0f}x as much ({strict[-1]:,} bytes). Most of the append "
        "form's bytes are framing: one SSE event (`id:`, `data:`, the operation's JSON) per "
        "token piece; `throttle` merges the appends of an interval into one.",
        "",
        "CPU time per token piece, `json_patch` (append) + `sse`, parsing included: "
        + ", ".join(f"{s // 1024} K: {c:.1f} µs" for s, c in zip(sizes, cpu))
        + ".",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    results = args.out
    results.mkdir(parents=True, exist_ok=True)
    (results / "relay.md").write_text(report, encoding="utf-8")
    plot(sizes, table, results / "relay.png")


def plot(sizes: list[int], table: dict[str, list[int]], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no plot)", file=sys.stderr)
        return
    fig: Any
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, counts in table.items():
        ax.plot(sizes, counts, marker="o", label=name)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("characters in the string")
    ax.set_ylabel("bytes on the wire")
    ax.set_title("Relaying one long string: bytes sent")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
