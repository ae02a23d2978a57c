"""Timing engines against each other fairly: ``auto``'s measurement and bench/bench_engine.py use the same rounds.

Engines are compared in **blocks**: each round runs every engine once untimed, then ``block`` times timed, one
engine after the other. Run-by-run interleaving (one call each in turn) measures each engine right after another
one: onnxruntime's and OpenVINO's worker threads spin-wait for a while after a call returns, and on 2 cores that
spinning took the next engine's cores — measured here, an OpenVINO call timed right after an onnxruntime one took
5.3 ms against 3.5 ms alone, and the faster engine changed with the order. The untimed call absorbs that, so each
engine is timed as the app runs it: alone, call after call. Rounds still alternate the engines, so that the
machine's drift hits them alike. Figures: docs/benchmarks.md (engine latency).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping

BLOCK = 3  # timed calls per engine and round, after one untimed call
TIMING = f"blocks of {BLOCK}"  # part of a remembered choice's key (auto_memo.py): another method re-measures


def block_interleaved(
    functions: Mapping[str, Callable[[], object]],
    min_rounds: int,
    max_rounds: int | None = None,
    budget_s: float | None = None,
    block: int = BLOCK,
) -> dict[str, list[float]]:
    """Seconds per timed call of each function: at least ``min_rounds`` rounds, then more until ``budget_s`` has
    passed (no budget: exactly ``min_rounds``), never more than ``max_rounds``."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    started = time.perf_counter()
    rounds = max(min_rounds, max_rounds or min_rounds)
    for round_ in range(rounds):
        for name, function in functions.items():
            function()  # untimed: what the previous engine left running settles here
            for _ in range(block):
                start = time.perf_counter()
                function()
                times[name].append(time.perf_counter() - start)
        if round_ + 1 >= min_rounds and (budget_s is None or time.perf_counter() - started > budget_s):
            break
    return times


def median_ms(times: dict[str, list[float]]) -> dict[str, float]:
    return {name: statistics.median(values) * 1000 for name, values in times.items()}
