"""Time per image measured on this machine, per model, size and precision: remembered in the cache folder
(``speed.json``) so the model picker, ``models list`` and the service's ``/v1/models`` can show accuracy against
speed before a model is loaded.

Measured from real work, not a separate benchmark: a Detector records the network time of its first
``SAMPLES`` images and stores their median once. Keyed by the weights file (path, size, modification time), so
a replaced file is measured again; no hashing, so listing models never reads a 250 MB file.
"""

from __future__ import annotations

import json
import statistics
import threading
from collections.abc import Sequence
from pathlib import Path

from ..atomic import write_text
from ..settings import DEFAULTS
from .model_cache import cache_dir

SAMPLES = 20  # images whose network time is measured; their median is remembered
_lock = threading.Lock()


def _file() -> Path:
    return cache_dir() / "speed.json"


def _key(weights: Path, size: int, precision: str) -> str | None:
    try:
        stat = weights.stat()
    except OSError:
        digest = weights.with_name(weights.name + ".sha256")  # the standalone app ships a digest, not the weights
        if not digest.is_file():
            return None
        stat = digest.stat()
    return f"{weights.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{size}|{precision}"


def _read() -> dict[str, dict]:
    try:
        data = json.loads(_file().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def remember(weights: Path, size: int, precision: str, engine: str, seconds: Sequence[float]) -> None:
    """Store the median of ``seconds`` (network time per image) for this model, size and precision."""
    key = _key(weights, size, precision)
    if key is None or not seconds:
        return
    with _lock:
        data = _read()
        data[key] = {"ms": round(statistics.median(seconds) * 1000, 2), "engine": engine, "images": len(seconds)}
        try:
            write_text(_file(), json.dumps(data, indent=1, sort_keys=True))
        except OSError:
            pass  # a read-only cache only means it is measured again next time


def measured(weights: Path, size: int, precision: str = DEFAULTS.precision) -> dict | None:
    """{"ms": median network ms per image, "engine": what ran, "images": how many were timed}, or None."""
    key = _key(weights, size, precision)
    return _read().get(key) if key is not None else None


class SpeedSampler:
    """Collects a detector's first ``SAMPLES`` network times and remembers their median once."""

    def __init__(self, weights: Path, size: int, precision: str, engine: str) -> None:
        self.weights, self.size, self.precision, self.engine = weights, size, precision, engine
        self.times: list[float] = []
        # Measured once per engine, then remembered: another engine (keras, a GPU, other threads) measures again.
        known = measured(weights, size, precision)
        self.done = known is not None and known.get("engine") == engine

    def add(self, seconds: float) -> None:
        if self.done:
            return
        self.times.append(seconds)
        if len(self.times) >= SAMPLES:
            self.done = True
            remember(self.weights, self.size, self.precision, self.engine, self.times)
