"""``auto``: which engine runs a precision on this machine, and why.

- ``accurate``: OpenVINO when installed — bf16 where the processor has it, float32 elsewhere; both measured faster
  than LiteRT's float32 (bench/bench_engine.py, DEVELOPERS.md) — else LiteRT, else Keras. No measurement needed.
- ``fast``: the fastest candidate this installation can build, by a short measured warm-up on this machine:
  OpenVINO int8 (when its calibrated model exists), LiteRT's dynamic-range int8, and, where the processor has
  bf16, OpenVINO bf16 — as accurate as ``accurate`` itself (with AMX it is about as fast as int8), so an int8
  candidate must be clearly faster (``INT8_MARGIN``) to be chosen over it.
  The choice is remembered per model, input size, processor and runtime versions (``auto-engine.json`` in the
  cache folder; delete it to measure again), so the warm-up runs once per machine.

The chosen engine's ``auto_reason`` says why; front-ends show ``engine.description`` and this reason.
"""

from __future__ import annotations

import json
import platform
import statistics
import threading
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np

from ...atomic import write_text
from ..errors import ModelError
from ..model_cache import cache_dir, model_key
from ..model_spec import DarknetModel
from .base import Engine, EngineOptions, available
from .build import build_engine

INT8_MARGIN = 1.15  # int8 replaces bf16 for "fast" only when at least this many times faster
WARMUP_RUNS, TIMED_RUNS = 2, 5
_lock = threading.Lock()


def choose_engine(
    model: DarknetModel,
    size: tuple[int, int],
    precision: str,
    log: Callable[[str], None] | None,
    options: EngineOptions,
) -> Engine:
    if precision == "accurate" or not (available("openvino") or available("litert")):
        kind = next(k for k in ("openvino", "litert", "keras") if available(k))
        engine = build_engine(kind, model, size, precision, log, options)
        engine.auto_reason = {
            "openvino": "OpenVINO is installed: faster than LiteRT in float32 and bf16",
            "litert": "OpenVINO is not installed",
            "keras": "no converted-model runtime",
        }[kind]
        return engine
    if options.device not in (None, "CPU") or options.hint is not None:
        engine = build_engine("openvino", model, size, precision, log, options)
        engine.auto_reason = "a device or precision was chosen explicitly"
        return engine
    key = "|".join([model_key(model.cfg_path, model.weights, precision), f"{size[0]}x{size[1]}", _machine()])
    remembered = _remembered().get(key)
    candidates = _candidates()
    if remembered in candidates:
        try:
            engine = _build(remembered, model, size, log, options)
            engine.auto_reason = "measured fastest on this machine (remembered)"
            return engine
        except (ModelError, ValueError):
            pass  # e.g. the int8 model was removed: measure again
    built: dict[str, Engine] = {}
    for name in candidates:
        try:
            built[name] = _build(name, model, size, log, options)
        except (ModelError, ValueError, ImportError) as exc:  # e.g. no int8 model without calibration photos
            if log:
                log(f"auto: {name} not available: {exc}")
    if not built:
        raise ModelError(f"{model.name}: no engine can run the fast precision here")
    timings = {name: _median_ms(engine, size) for name, engine in built.items()}
    chosen = min(timings, key=lambda name: timings[name])
    if "openvino-bf16" in timings and timings["openvino-bf16"] <= timings[chosen] * INT8_MARGIN:
        chosen = "openvino-bf16"  # as accurate as "accurate": int8 must be clearly faster to replace it
    _remember(key, chosen)
    engine = built[chosen]
    engine.auto_reason = "measured fastest on this machine: " + ", ".join(
        f"{name} {ms:.1f} ms" for name, ms in sorted(timings.items(), key=lambda item: item[1])
    )
    return engine


def _candidates() -> list[str]:
    names = []
    if available("openvino"):
        from .openvino_engine import has_bf16

        names.append("openvino-int8")
        if has_bf16():
            names.append("openvino-bf16")
    if available("litert"):
        names.append("litert-int8")
    return names


def _build(name: str, model: DarknetModel, size: tuple[int, int], log, options: EngineOptions) -> Engine:
    if name == "openvino-bf16":
        return build_engine(
            "openvino", model, size, "accurate", log, EngineOptions(hint="bf16", threads=options.threads)
        )
    kind = name.split("-")[0]
    return build_engine(kind, model, size, "fast", log, options)


def _median_ms(engine: Engine, size: tuple[int, int]) -> float:
    # A mid-gray batch: the network's cost does not depend on the pixels (no early exits anywhere).
    batch = np.full((1, size[0], size[1], 3), 0.5, np.float32)
    for _ in range(WARMUP_RUNS):
        engine.run(batch)
    times = []
    for _ in range(TIMED_RUNS):
        start = time.perf_counter()
        engine.run(batch)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _machine() -> str:
    """The processor and the runtimes' versions: a choice measured under others is measured again."""
    parts = [platform.machine()]
    if available("openvino"):
        from .openvino_engine import core

        parts.append(core().get_property("CPU", "FULL_DEVICE_NAME"))
    for package in ("openvino", "ai-edge-litert"):
        try:
            parts.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            pass
    return "|".join(parts)


def _path() -> Path:
    return cache_dir() / "auto-engine.json"


def _remembered() -> dict[str, str]:
    try:
        return json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _remember(key: str, choice: str) -> None:
    with _lock:
        choices = _remembered()
        choices[key] = choice
        try:
            write_text(_path(), json.dumps(choices, indent=1))
        except OSError:
            pass  # a read-only cache only costs a warm-up next time
