"""Best-of-N timing shared by the benchmark scripts.

Runs of every measurement are interleaved in rounds, so that a burst of load from another
process hits all measurements alike instead of skewing one of them (and with it a ratio).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

BUDGET_S = 0.5  # time aimed at per measurement
ROUNDS = 5  # each measurement runs at least ROUNDS times, once per round
MAX_REPEAT = 200

clock: Callable[[], float] = time.perf_counter


def use_cpu_time() -> None:
    """Time with ``time.process_time`` (CPU time): steadier on a shared machine."""
    global clock
    clock = time.process_time


def clock_name() -> str:
    return clock.__name__


def time_runs(fn: Callable[[], object], runs: int, keep_gc: bool) -> float:
    """Best time of ``runs`` back-to-back runs of ``fn``.

    One ``gc.collect()`` before the batch, not before each run: a collection walks every live
    object and would leave each run starting with cold caches.
    """
    gc.collect()
    was_enabled = gc.isenabled()
    if not keep_gc:
        gc.disable()
    best = float("inf")
    try:
        for _ in range(runs):
            t0 = clock()
            fn()
            best = min(best, clock() - t0)
        return best
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class Timing:
    """One measurement: ``fn`` is run ``per_round`` times in each round; the best run counts."""

    fn: Callable[[], object]
    per_round: int = 1
    best: float = float("inf")
    runs: int = 0

    def run(self, keep_gc: bool) -> None:
        self.best = min(self.best, time_runs(self.fn, self.per_round, keep_gc))
        self.runs += self.per_round


def run_rounds(timings: Sequence[Timing], quick: bool, keep_gc: bool) -> None:
    """Best of N runs for every timing, N adaptive (one run with ``quick``).

    A first run of each sizes N (about BUDGET_S of work, at least ROUNDS, at most MAX_REPEAT)
    and counts as a sample; the rest are spread over ROUNDS rounds that visit every timing.
    """
    for t in timings:
        t.run(keep_gc)
    if quick:
        return
    for t in timings:
        n = min(MAX_REPEAT, max(ROUNDS, int(BUDGET_S // max(t.best, 1e-9))))
        t.per_round = max(1, round((n - 1) / ROUNDS))
    for _ in range(ROUNDS):
        for t in timings:
            t.run(keep_gc)
