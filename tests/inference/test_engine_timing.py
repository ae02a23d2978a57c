"""auto's timing (engines/timing.py): each engine is timed as it runs alone, not in the wake of the engine before it."""

from __future__ import annotations

import time

from yolo_desktop.inference.engines.timing import BLOCK, block_interleaved, median_ms


def test_each_engine_is_timed_alone_not_in_the_previous_ones_wake():
    calls: list[str] = []

    def engine(name: str):
        def run() -> None:
            # Slow (20 ms) right after another engine ran, as a call is in another runtime's spinning threads'
            # wake; fast (1 ms) call after call.
            time.sleep(0.020 if calls and calls[-1] != name else 0.001)
            calls.append(name)

        return run

    times = block_interleaved({"a": engine("a"), "b": engine("b")}, min_rounds=3)
    assert calls == (["a"] * (BLOCK + 1) + ["b"] * (BLOCK + 1)) * 3  # alternating blocks, one untimed call each
    assert {name: len(values) for name, values in times.items()} == {"a": 3 * BLOCK, "b": 3 * BLOCK}
    ms = median_ms(times)
    assert ms["a"] < 10 and ms["b"] < 10, ms  # the 20 ms wake never timed (sleep overshoots by far less than 9 ms)


def test_the_budget_adds_rounds_up_to_the_maximum():
    times = block_interleaved({"x": lambda: time.sleep(0.005)}, min_rounds=2, max_rounds=4, budget_s=10.0)
    assert len(times["x"]) == 4 * BLOCK  # the budget was never reached: the maximum stops it
    times = block_interleaved({"x": lambda: None}, min_rounds=2, max_rounds=50, budget_s=0.0)
    assert len(times["x"]) == 2 * BLOCK  # the budget was spent: the minimum is enough
