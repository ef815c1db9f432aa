"""What parsing costs an asyncio server: 1,000 concurrent streams at 50 chunks/s each.

Each of ``--streams`` tasks reads model replies from an async source, one after another, as
a chat server does: the source hands out one token-sized chunk per tick of its group (the
streams are spread over 20 groups whose ticks are 1 ms apart, each group ticking every
``1 / --rate`` s), and the task consumes it in one of three ways:

``idle``     ``async for chunk in source: pass``: what the server costs without parsing
             (the event loop, the timers, the source); the baseline the others are
             measured against.
``feed``     ``async for chunk in source: for event in parser.feed(chunk): ...`` with one
             bare ``instant.Parser`` per reply (closed at its end).
``stream``   ``async for event in instant.stream(source): ...``: the stream layer over the
             same source (one per reply).

CPU time (``time.process_time``) is read over a window of ``--seconds`` s of steady load in
each mode, in ``--rounds`` rounds that each run every mode once, one after the other (the
order turns from round to round). What parsing costs per chunk is a mode's CPU per chunk less
``idle``'s in the same round; the stream layer's own cost is ``stream`` less ``feed``; each
figure is the median over the rounds of those same-round differences, so a change of the
machine's load between rounds (on a shared machine ``idle`` alone moves by a third) does not
enter a difference. The share of one core that parsing adds is ``stream``'s extra CPU per
second of wall time (at the rate achieved, which is printed: a machine that cannot keep up
ticks late). Of each mode's CPU, the part spent in Python's cyclic garbage collector is
counted too (``gc.callbacks``), and reported over ``idle``'s like the rest.

Chunks are real ``o200k_base`` tokens (``bpe-openai``, the ``bench`` extra: token bytes
decoded incrementally, as an API sends text) of seeded 4 KB ``docs.model_document`` replies,
or ``docs.chunks_1_8`` pieces when that package is not installed (said in the output).

``--rate 0`` drops the pacing: every group ticks as soon as its streams took their chunk,
so the run is deterministic and as fast as the CPU goes; with ``--mode`` it runs one mode
once and prints the chunks read, which is what the callgrind command below needs::

    python benchmarks/bench_streams.py                      # 1,000 streams, 50 chunks/s, ~2 min
    python benchmarks/bench_streams.py --quick              # one round of 3 s windows
    python benchmarks/bench_streams.py --engine python      # INSTANT_PURE_PYTHON=1
    python benchmarks/bench_streams.py --rate 0 --streams 100 --chunks 20000 --mode stream

    # instructions per chunk: (Ir of a mode - Ir of idle) / chunks read
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        python benchmarks/bench_streams.py --rate 0 --streams 100 --chunks 20000 --mode stream

The engine is the one ``instant.ENGINE`` names (``"python"`` when the attribute is absent);
``--engine python`` sets ``INSTANT_PURE_PYTHON=1`` before ``instant`` is imported, and
``--engine c`` stops with an error if the C engine is not the one loaded.

Targets (issue 21): ``stream`` costs at most 1.5x ``feed`` of the pure-Python engine per
chunk, the layer itself (``stream`` - ``feed``) at most half of that ``feed``, whichever
engine runs; with the C engine, parsing adds under 0.1 of one core at 1,000 x 50 chunks/s.
Writes ``benchmarks/results/streams.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from docs import chunks_1_8, model_document  # noqa: E402

instant: Any = None  # imported in main(), after --engine has set the environment

MODES = ("idle", "feed", "stream")
GROUPS = 20  # streams spread over this many tick groups, 1 ms apart at 50 chunks/s
TARGET_STREAM_OVER_FEED = 1.5  # stream <= 1.5x feed (pure engine) per chunk
TARGET_LAYER_OVER_FEED = 0.5  # stream - feed <= 0.5x feed (pure engine) per chunk
TARGET_CORE_SHARE = 0.1  # with the C engine: parsing adds < 0.1 of one core


# --------------------------------------------------------------------------- inputs


def replies(count: int, size: int) -> tuple[list[list[str]], str]:
    """``count`` seeded model-like replies of ``size`` bytes as chunk lists, and the chunking."""
    texts = [model_document(size, seed=s) for s in range(count)]
    try:
        import codecs

        import bpe_openai  # type: ignore[import-not-found,import-untyped,unused-ignore]

        enc = bpe_openai.get_encoding("o200k_base")
        out = []
        for text in texts:
            dec = codecs.getincrementaldecoder("utf-8")()
            pieces = [s for b in enc.decode_tokens_bytes(enc.encode(text)) if (s := dec.decode(b))]
            assert "".join(pieces) == text
            out.append(pieces)
        return out, "o200k tokens (bpe-openai)"
    except ImportError:
        return [chunks_1_8(t, seed=i) for i, t in enumerate(texts)], "1-8 char chunks"


# --------------------------------------------------------------------------- the server


class Collector:
    """The CPU seconds the cyclic garbage collector has taken since :meth:`install` (read
    before and after a window, as ``time.process_time`` is)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.process_time()
        else:
            self.seconds += time.process_time() - self._began

    def install(self) -> None:
        if self not in gc.callbacks:
            gc.callbacks.append(self)


COLLECTOR = Collector()


class Ticker:
    """The clock of one group of streams: a future that the next tick resolves."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.future: asyncio.Future[None] = loop.create_future()
        self.waiting = 0

    def tick(self) -> None:
        fut, self.future = self.future, self.loop.create_future()
        self.waiting = 0
        fut.set_result(None)


class Source:
    """An SDK-like async stream of one reply: one chunk per tick of its group."""

    def __init__(self, chunks: list[str], ticker: Ticker, counter: list[int]) -> None:
        self.chunks = chunks
        self.i = 0
        self.ticker = ticker
        self.counter = counter

    def __aiter__(self) -> AsyncIterator[str]:
        return self

    async def __anext__(self) -> str:
        if self.i == len(self.chunks):
            raise StopAsyncIteration
        t = self.ticker
        t.waiting += 1
        await t.future
        chunk = self.chunks[self.i]
        self.i += 1
        self.counter[0] += 1
        return chunk

    async def aclose(self) -> None:
        pass


async def serve(
    mode: str,
    docs: list[list[str]],
    streams: int,
    rate: float,
    warmup: float,
    seconds: float,
    chunks_limit: int,
) -> tuple[int, float, float, float]:
    """Run the server in ``mode``: chunks read, CPU seconds, wall seconds and the garbage
    collector's CPU seconds in the window."""
    COLLECTOR.install()
    loop = asyncio.get_running_loop()
    tickers = [Ticker(loop) for _ in range(GROUPS)]
    counter = [0]
    stop = False

    async def one_stream(k: int) -> None:
        ticker = tickers[k % GROUPS]
        n = k
        while not stop:
            chunks = docs[n % len(docs)]
            n += 1
            src = Source(chunks, ticker, counter)
            if mode == "idle":
                async for _ in src:
                    pass
            elif mode == "feed":
                p = instant.Parser()
                async for chunk in src:
                    for _ in p.feed(chunk):
                        pass
                for _ in p.close():
                    pass
            else:
                async for _ in instant.stream(src):
                    pass

    tasks = [asyncio.create_task(one_stream(k)) for k in range(streams)]
    per_group = [len(range(g, streams, GROUPS)) for g in range(GROUPS)]
    await asyncio.sleep(0)

    if rate <= 0:  # unpaced: tick a group as soon as its streams wait (deterministic)
        target = chunks_limit
        t0, c0, g0 = time.perf_counter(), time.process_time(), COLLECTOR.seconds
        while counter[0] < target:
            for g, t in enumerate(tickers):
                while t.waiting < per_group[g]:
                    await asyncio.sleep(0)
                t.tick()
        while any(t.waiting < per_group[g] for g, t in enumerate(tickers)):
            await asyncio.sleep(0)
        wall, cpu, read = time.perf_counter() - t0, time.process_time() - c0, counter[0]
        in_gc = COLLECTOR.seconds - g0
    else:
        period = 1.0 / rate
        start = loop.time()
        i = 0
        begun = False
        c0 = t0 = g0 = 0.0
        n0 = 0
        while True:
            at = start + i * period / GROUPS
            delay = at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tickers[i % GROUPS].tick()
            i += 1
            now = loop.time()
            if not begun and now - start >= warmup:
                begun, t0, c0, n0 = True, time.perf_counter(), time.process_time(), counter[0]
                g0 = COLLECTOR.seconds
            if begun and now - start >= warmup + seconds:
                break
        wall, cpu, read = time.perf_counter() - t0, time.process_time() - c0, counter[0] - n0
        in_gc = COLLECTOR.seconds - g0
    stop = True
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return read, cpu, wall, in_gc


def check(docs: list[list[str]]) -> None:
    """Every mode reads the replies right: the stream's value is the parser's is json.loads."""
    import json

    async def run() -> None:
        for chunks in docs:
            expected = json.loads("".join(chunks))
            p = instant.Parser()
            for c in chunks:
                p.feed(c)
            p.close()
            assert p.value == expected
            ticker = Ticker(asyncio.get_running_loop())

            async def clock(t: Ticker = ticker) -> None:
                while True:
                    await asyncio.sleep(0)
                    t.tick()

            ticking = asyncio.create_task(clock())
            s = instant.stream(Source(chunks, ticker, [0]))
            async for _ in s:
                pass
            ticking.cancel()
            assert s.value == expected, "instant.stream() value differs"

    asyncio.run(run())


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--streams", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=50.0, help="chunks/s per stream; 0: unpaced")
    ap.add_argument("--seconds", type=float, default=6.0, help="measured window per mode")
    ap.add_argument("--warmup", type=float, default=1.5)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="one round of 3 s windows")
    ap.add_argument("--chunks", type=int, default=100_000, help="chunks per run with --rate 0")
    ap.add_argument("--mode", choices=MODES, help="run this mode once (for callgrind)")
    ap.add_argument("--engine", choices=("auto", "python", "c"), default="auto")
    ap.add_argument("--size", type=int, default=4096, help="bytes per reply")
    ap.add_argument("--out", type=Path, default=HERE / "results", help="output directory")
    args = ap.parse_args(argv)

    if args.engine == "python":
        os.environ["INSTANT_PURE_PYTHON"] = "1"
    global instant
    import instant as _instant

    instant = _instant
    engine = getattr(instant, "ENGINE", "python")
    if args.engine == "c" and engine != "c":
        print(f"--engine c: the engine loaded is {engine!r}", file=sys.stderr)
        return 1

    docs, chunking = replies(16, args.size)
    if args.mode:  # one run, nothing else (callgrind)
        read, cpu, wall, in_gc = asyncio.run(
            serve(args.mode, docs, args.streams, args.rate, 0.5, args.seconds, args.chunks)
        )
        print(
            f"{args.mode}: {read} chunks, {cpu:.3f} s CPU ({in_gc:.3f} s in the garbage "
            f"collector), {wall:.3f} s wall, engine {engine}"
        )
        return 0

    check(docs)
    if args.quick:
        args.rounds, args.seconds, args.warmup = 1, min(args.seconds, 3.0), min(args.warmup, 1.0)
    # per round and mode: µs CPU per chunk, of it in the collector, chunks/s achieved
    rounds: list[dict[str, tuple[float, float, float]]] = []
    for r in range(args.rounds):
        measured: dict[str, tuple[float, float, float]] = {}
        for k in range(len(MODES)):
            mode = MODES[(r + k) % len(MODES)]
            gc.collect()
            read, cpu, wall, in_gc = asyncio.run(
                serve(mode, docs, args.streams, args.rate, args.warmup, args.seconds, args.chunks)
            )
            us = cpu / read * 1e6
            measured[mode] = (us, in_gc / read * 1e6, read / wall)
            print(
                f"round {r + 1} {mode:>6}: {read / wall:>9,.0f} chunks/s, "
                f"{us:6.2f} µs CPU/chunk ({in_gc / read * 1e6:.2f} in the garbage collector), "
                f"{cpu / wall:.2f} of a core",
                flush=True,
            )
        rounds.append(measured)

    med = statistics.median
    per_chunk = {mode: med(m[mode][0] for m in rounds) for mode in MODES}
    extra = {mode: med(m[mode][0] - m["idle"][0] for m in rounds) for mode in MODES}
    in_gc_extra = {mode: med(m[mode][1] - m["idle"][1] for m in rounds) for mode in MODES}
    achieved = {mode: med(m[mode][2] for m in rounds) for mode in MODES}
    feed, stream = extra["feed"], extra["stream"]
    layer = med(m["stream"][0] - m["feed"][0] for m in rounds)
    rate = achieved["stream"]
    share = stream * 1e-6 * rate
    lines = [
        "# What parsing costs an asyncio server",
        "",
        f"{args.streams:,} streams, {args.rate:g} chunks/s each"
        + (" (unpaced)" if args.rate <= 0 else "")
        + f", {chunking} of {len(docs)} seeded {args.size} B replies; engine **{engine}**; "
        f"CPU per chunk (`time.process_time`) in {args.seconds:g} s windows, {args.rounds} "
        "round(s) of every mode; each figure is the median over the rounds, and a difference "
        "is taken within a round.",
        "",
        "| mode | µs CPU per chunk | over idle | of which the garbage collector | "
        "chunks/s achieved |",
        "|---|---:|---:|---:|---:|",
    ]
    for mode in MODES:
        lines.append(
            f"| {mode} | {per_chunk[mode]:.2f} | {extra[mode]:+.2f} | {in_gc_extra[mode]:+.2f} "
            f"| {achieved[mode]:,.0f} |"
        )
    lines += [
        "",
        "Each round's differences (µs CPU per chunk): "
        + "; ".join(
            f"feed {m['feed'][0] - m['idle'][0]:+.2f}, stream {m['stream'][0] - m['idle'][0]:+.2f}"
            f", layer {m['stream'][0] - m['feed'][0]:+.2f}"
            for m in rounds
        )
        + ".",
    ]
    pure = engine == "python"  # the targets are fractions of the pure engine's feed

    def verdict(ok: bool, applies: bool = True) -> str:
        if not applies:
            return "compare with a `--engine python` run"
        return "**pass**" if ok else "**missed**"

    feed_ = max(feed, 1e-9)
    lines += [
        "",
        f"- parsing per chunk: bare `Parser.feed` **{feed:.2f} µs**, `instant.stream()` "
        f"**{stream:.2f} µs** ({stream / feed_:.2f}x feed; target ≤ {TARGET_STREAM_OVER_FEED}x "
        f"the pure engine's feed: {verdict(stream <= TARGET_STREAM_OVER_FEED * feed, pure)})",
        f"- the stream layer itself: **{layer:.2f} µs** per chunk ({layer / feed_:.2f}x feed; "
        f"target ≤ {TARGET_LAYER_OVER_FEED}x the pure engine's feed: "
        f"{verdict(layer <= TARGET_LAYER_OVER_FEED * feed, pure)})",
        f"- of that, the cyclic garbage collector (`gc.callbacks`, its CPU time in the window "
        f"less `idle`'s): feed **{in_gc_extra['feed']:.2f} µs**, stream "
        f"**{in_gc_extra['stream']:.2f} µs** per chunk: the events a "
        "consumer still holds, and what they point at, are among the young objects each "
        "collection visits",
        f"- share of one core that parsing adds at {rate:,.0f} chunks/s: **{share:.3f}** "
        f"(target with the C engine: < {TARGET_CORE_SHARE}"
        + (f": {verdict(share < TARGET_CORE_SHARE)})" if engine == "c" else ")"),
        "",
        f"`python benchmarks/bench_streams.py {' '.join(sys.argv[1:] if argv is None else argv)}`"
        f" — {datetime.date.today()}, Python {platform.python_version()}, "
        f"{platform.machine()}",
    ]
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "streams.md").write_text(text, encoding="utf-8")
    print(f"written to {args.out / 'streams.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
