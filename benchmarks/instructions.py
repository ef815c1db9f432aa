"""Instructions per chunk (callgrind): the measure that does not move with the machine's load.

Feeds ``docs.model_document(--size)`` cut into o200k tokens (``bpe-openai``, the ``bench``
extra) or ``docs.chunks_1_8`` pieces to ``instant.Parser`` as a consumer does (``--consumer``):

``on``    ``for event in parser.feed(chunk): pass``, the plain loop (its variable holds the
          last event of each call while the next one runs), snapshots on
``off``   the same loop with ``Parser(snapshots=False)``
``drop``  the plain loop, letting go of the last event before the next call

and counts the instructions under valgrind's callgrind: a run of ``--runs 3`` loops less a run
of 1, halved and divided by the chunks, so the start-up (imports, building the document) drops
out::

    python benchmarks/instructions.py                          # every consumer, both chunkings
    python benchmarks/instructions.py --consumer on --chunks o200k
    INSTANT_PURE_PYTHON=1 python benchmarks/instructions.py    # the Python engine

Needs ``valgrind`` on PATH. ``--loop`` runs the loops in this process and prints the number of
chunks (what runs under callgrind).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

CONSUMERS = ("on", "off", "drop")
CHUNKINGS = ("o200k", "1-8")


def chunks_of(chunking: str, size: int) -> list[str]:
    from docs import chunks_1_8, model_document

    text = model_document(size, seed=0)
    if chunking == "o200k":
        from compare import o200k_chunks

        return o200k_chunks(text)
    return chunks_1_8(text, seed=0)


def loop(consumer: str, chunks: list[str], runs: int) -> None:
    import instant

    for _ in range(runs):
        parser = instant.Parser(snapshots=consumer != "off")
        feed = parser.feed
        for chunk in chunks:
            for event in feed(chunk):  # noqa: B007 (the consumer under measure)
                pass
            if consumer == "drop":
                event = None  # noqa: F841
        parser.close()


def instructions(consumer: str, chunking: str, size: int) -> tuple[float, int]:
    """Instructions per chunk, and the chunks."""
    counts = []
    chunks = 0
    for runs in (1, 3):
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--callgrind-out-file=/dev/null",
                sys.executable,
                __file__,
                "--loop",
                "--runs",
                str(runs),
                "--consumer",
                consumer,
                "--chunks",
                chunking,
                "--size",
                str(size),
            ],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        found = re.search(r"refs:\s*([\d,]+)", done.stderr)
        assert found, done.stderr[-2000:]
        counts.append(int(found.group(1).replace(",", "")))
        chunks = int(done.stdout.split()[-1])
    return (counts[1] - counts[0]) / 2 / chunks, chunks


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--consumer", choices=CONSUMERS, action="append")
    ap.add_argument("--chunks", choices=CHUNKINGS, action="append")
    ap.add_argument("--size", type=int, default=65536, help="document size in bytes")
    ap.add_argument("--runs", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--loop", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    consumers, chunkings = args.consumer or list(CONSUMERS), args.chunks or list(CHUNKINGS)
    if args.loop:
        chunks = chunks_of(chunkings[0], args.size)
        loop(consumers[0], chunks, args.runs)
        print(len(chunks))
        return 0
    if shutil.which("valgrind") is None:
        print("instructions.py: needs valgrind on PATH", file=sys.stderr)
        return 2
    import instant

    print(f"engine {instant.ENGINE}, {args.size} B document, instructions per chunk (callgrind)")
    for chunking in chunkings:
        for consumer in consumers:
            per_chunk, chunks = instructions(consumer, chunking, args.size)
            print(f"{chunking:>6} {consumer:>5}: {per_chunk:8,.0f}  ({chunks:,} chunks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
