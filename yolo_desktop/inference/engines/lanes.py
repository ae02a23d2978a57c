"""Photos in flight (throughput mode): ``k`` copies of one engine, each given 1/k of the engine threads, running
side by side — one network call per lane at a time. For a small model on few cores this keeps every core busy
(one photo's layers cannot: thin layers leave threads waiting at each barrier), at the cost of one photo's latency
and k copies of the weights. Folders, videos and a photo's tiles use it (``Pipeline(lanes=…)``); the window's
single photos do not. Off unless asked for (``default_lanes``). Measured: docs/benchmarks.md (throughput, tiling).

Each lane's engine is only ever used by one call at a time, and only while the model's owner thread waits for
``run_many``: the owner still owns every lane.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .base import Engine, EngineOptions, default_threads

LANES_ENV = "YOLO_DESKTOP_LANES"


def default_lanes() -> int:
    """Lanes for folders, videos and tiles: one (throughput mode off) unless $YOLO_DESKTOP_LANES asks for more.
    Measured on the 2-core machines here, photos in flight lost to one engine on both threads — 400 COCO photos
    and a tiled photo, OpenVINO bf16 and f32 (docs/benchmarks.md, "Folder throughput" and "Tiles in flight") —
    so it is a knob to try on a machine with more cores, not the default."""
    return max(1, int(os.environ.get(LANES_ENV, 0) or 1))


class Lanes:
    def __init__(self, build: Callable[[EngineOptions], Engine], count: int, options: EngineOptions) -> None:
        threads = max(1, (options.threads or default_threads()) // count)
        lane_options = EngineOptions(options.device, options.hint, threads, options.cancel)
        self.engines = [build(lane_options) for _ in range(count)]
        self._pool = ThreadPoolExecutor(count, thread_name_prefix="lane")

    def run_many(self, batches: Sequence[np.ndarray]) -> list[list[np.ndarray]]:
        """Every batch through the network, lane i taking batches i, i + k, …; outputs in the batches' order."""
        count = len(self.engines)

        def lane(i: int) -> list[tuple[int, list[np.ndarray]]]:
            return [(j, self.engines[i].run(batches[j])) for j in range(i, len(batches), count)]

        results: list[list[np.ndarray]] = [[] for _ in batches]
        for part in self._pool.map(lane, range(min(count, len(batches)))):
            for j, outputs in part:
                results[j] = outputs
        return results

    def close(self) -> None:
        self._pool.shutdown(wait=True)
