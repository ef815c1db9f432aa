"""Peak memory while streaming a large document: the parser keeps the value, not the text.

The document is a JSON array of ~1 MB model-like documents (``docs.model_document``), about
50 MB in all, produced piece by piece by a generator: a pool of 8 distinct documents is
rendered *before* tracing starts (so its text is not counted) and the stream cycles through
it, so at no point does the whole text exist. It is fed in 4 KB chunks with
``snapshots=False`` and the events are dropped, as a consumer that only wants the value does.

Measured with ``tracemalloc`` (allocations made after tracing starts):

* *value*: what stays allocated once streaming is over and the parser is gone -- the parsed
  value itself;
* *peak while streaming*: the highest traced total at any moment of the stream (value so far,
  parser state, the chunk in hand, the events of one ``feed`` call);
* for reference, ``json.loads`` of the same text (built untraced): its value, and its peak.

Run: ``python3 benchmarks/bench_memory.py`` (``--mb 5`` for a quick run). Writes
``benchmarks/results/memory.md``.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docs import model_document  # noqa: E402

import instant  # noqa: E402

MB = 1 << 20
CHUNK = 4096
POOL = 8


def stream(pool: list[str], count: int) -> Iterator[str]:
    """``[doc, doc, ...]`` with ``count`` documents from ``pool``, in CHUNK-sized pieces."""
    yield "["
    for i in range(count):
        doc = pool[i % len(pool)]
        if i:
            yield ",\n"
        for j in range(0, len(doc), CHUNK):
            yield doc[j : j + CHUNK]
    yield "]"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=50, help="document size in MB (default 50)")
    args = ap.parse_args()
    count = args.mb
    pool = [model_document(MB, seed=i) for i in range(POOL)]
    text_chars = sum(len(pool[i % POOL]) for i in range(count)) + 2 + 2 * (count - 1)

    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    parser = instant.Parser(snapshots=False)
    events = 0
    for chunk in stream(pool, count):
        events += len(parser.feed(chunk))
    events += len(parser.close())
    seconds = time.perf_counter() - start
    value = parser.value
    del parser
    gc.collect()
    value_bytes, stream_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(value) == count

    text = "".join(stream(pool, count))  # untraced: only for the json.loads reference
    text_bytes = sys.getsizeof(text)
    del value
    gc.collect()
    tracemalloc.start()
    ref = json.loads(text)
    loads_value, loads_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del ref

    rows = [
        (
            "text streamed",
            f"{text_chars / MB:.1f} M characters ({text_bytes / MB:.1f} MB as one str)",
        ),
        ("events", f"{events:,}"),
        ("streaming time (tracemalloc on)", f"{seconds:.1f} s"),
        ("value (retained after streaming)", f"{value_bytes / MB:.1f} MB"),
        ("peak while streaming", f"{stream_peak / MB:.1f} MB"),
        ("peak − value", f"{(stream_peak - value_bytes) / MB:.1f} MB"),
        ("peak / value", f"{stream_peak / value_bytes:.2f}×"),
        ("peak / (value + text)", f"{stream_peak / (value_bytes + text_bytes):.2f}×"),
        ("json.loads: value / peak", f"{loads_value / MB:.1f} MB / {loads_peak / MB:.1f} MB"),
    ]
    table = "| measure | result |\n|---|---|\n" + "".join(f"| {a} | {b} |\n" for a, b in rows)
    out = (
        f"# Memory while streaming a {args.mb} MB document (`snapshots=False`)\n\n"
        f"`python3 benchmarks/bench_memory.py --mb {args.mb}` on Python "
        f"{sys.version.split()[0]}: an array of {count} model-like ~1 MB documents, streamed "
        f"in {CHUNK}-character chunks from a generator, measured with tracemalloc.\n\n"
        + table
        + "\nThe peak is the parsed value plus a small constant (the chunk in hand, one feed "
        "call's events, the parser's state): the consumed text is not kept.\n"
    )
    print(out)
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / "memory.md").write_text(out, encoding="utf-8")


if __name__ == "__main__":
    main()
