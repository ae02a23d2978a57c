"""Timing engines against each other fairly: ``auto``'s measurement and bench/bench_engine.py use the same rounds.

Engines are compared in **blocks**: each round gives every engine, in turn, a pause of ``SETTLE_S``, one untimed
call, then ``block`` timed calls. Run-by-run interleaving (one call each in turn) timed each engine in the wake of
the one before it: onnxruntime's worker threads spin-wait after a call returns (onnxruntime 1.32: about 45 ms of one
core), and on 2 cores that spinning took the next engine's core — an OpenVINO call timed right after an onnxruntime
one took 5.3 ms against 3.5 ms alone, and the faster engine changed with the order. The pause lets the spinning
end; the untimed call warms the engine's own threads and caches. So each engine is timed as the app runs it: alone,
call after call. Rounds still alternate the engines, so that the machine's drift hits them alike. Figures:
docs/benchmarks.md (engine latency).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping

BLOCK = 3  # timed calls per engine and round, after one untimed call
SETTLE_S = 0.06  # before each engine's block: the previous engine's threads stop spinning (see above)
# Part of a remembered choice's key (auto_memo.py): a choice timed another way is measured again.
TIMING = f"blocks of {BLOCK} after {SETTLE_S * 1000:.0f} ms"


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
            if len(functions) > 1:
                time.sleep(SETTLE_S)  # the previous engine's threads stop spinning
            function()  # untimed: this engine's threads and caches warm up
            for _ in range(block):
                start = time.perf_counter()
                function()
                times[name].append(time.perf_counter() - start)
        if round_ + 1 >= min_rounds and (budget_s is None or time.perf_counter() - started > budget_s):
            break
    return times


def median_ms(times: dict[str, list[float]]) -> dict[str, float]:
    return {name: statistics.median(values) * 1000 for name, values in times.items()}
