"""How the network runs. Every engine takes the letterboxed batch and returns the raw YOLO head tensors.

- ``keras``: the reference; the Keras model in a tf.function (imports TensorFlow; float32 only).
- ``litert``: the converted model in ai-edge-litert's interpreter; float32 (``accurate``) or dynamic-range int8
  (``fast``).
- ``openvino``: the same converted file in the OpenVINO runtime; ``accurate`` in bf16 where the processor has it
  (float32 elsewhere), ``fast`` an int8 model quantised from it with NNCF (openvino_engine.py).
- ``auto``: chosen per machine and precision by ``choose_engine`` (auto.py), which says why.

With the converted model cached, neither TensorFlow nor Keras is imported. Engines are imported only when created,
so native runtimes load on the thread that owns the model and never at application start.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from ...settings import ENGINES
from ..darknet_cfg import DarknetConfig


class Engine(Protocol):
    name: str
    input_width: int
    input_height: int
    auto_reason: str  # why ``auto`` chose this engine ("" when it was asked for by name)

    @property
    def description(self) -> str:
        """Human-readable: engine, compute precision and device, e.g. "openvino bf16 (CPU)"."""
        ...

    def run(self, batch: np.ndarray) -> list[np.ndarray]:
        """(1, H, W, 3) float32 in [0, 1] → one (1, G_h, G_w, A·(5+C)) float32 array per [yolo], in cfg order."""
        ...


@dataclass(frozen=True)
class EngineOptions:
    """Knobs beyond engine and precision. Defaults are what the app uses; tests and benches pin them."""

    device: str | None = None  # OpenVINO device: CPU (default), GPU, NPU; None → $YOLO_DESKTOP_DEVICE or CPU
    hint: str | None = None  # OpenVINO compute precision (f32, bf16); None → bf16 where the CPU has it, else f32
    threads: int | None = None  # CPU threads; None → default_threads()
    # Set to stop a first-time conversion (a child process, killed by its PID): the window closing.
    cancel: threading.Event | None = field(default=None, compare=False)


def default_threads() -> int:
    # Two cores were measured fastest here; more threads than cores only adds contention.
    return int(os.environ.get("YOLO_DESKTOP_THREADS", 0)) or max(1, min(4, os.cpu_count() or 1))


def available(kind: str) -> bool:
    module = {"litert": "ai_edge_litert", "openvino": "openvino", "keras": "tensorflow"}[kind]
    try:
        return importlib.util.find_spec(module) is not None
    except ValueError:  # a module set to None in sys.modules (how tests hide a package)
        return False


def check_engine(kind: str) -> None:
    if kind not in ENGINES:
        raise ValueError(f"unknown engine {kind!r} (available: {', '.join(ENGINES)})")


def create_engine(
    kind: str,
    cfg: DarknetConfig,
    weights_path: str,
    size: tuple[int, int],
    precision: str = "accurate",
    cfg_path: str | None = None,
    model_name: str = "model",
    log: Callable[[str], None] | None = None,
    options: EngineOptions = EngineOptions(),
) -> Engine:
    """Build an engine for ``cfg`` + weights at ``size`` = (height, width). ``auto`` picks one (auto.py)."""
    check_engine(kind)
    files = (model_name, cfg, Path(cfg_path or cfg.path), Path(weights_path))
    if kind == "auto":
        from .auto import choose_engine

        return choose_engine(files, size, precision, log, options)
    return build_engine(kind, files, size, precision, log, options)


def build_engine(
    kind: str,
    files: tuple,
    size: tuple[int, int],
    precision: str,
    log: Callable[[str], None] | None,
    options: EngineOptions,
) -> Engine:
    """``files`` = (model name, parsed cfg, cfg path, weights path)."""
    model_name, cfg, cfg_path, weights_path = files
    if kind == "keras":
        if precision != "accurate":
            raise ValueError("the keras engine runs float32 only; the fast (int8) precision needs LiteRT or OpenVINO")
        from .keras_engine import KerasEngine

        return KerasEngine(cfg, str(weights_path), size)
    if size[0] != size[1]:
        raise ValueError(f"the {kind} engine is built for square inputs")
    from ..converted import ensure_converted

    if kind == "litert":
        from .litert_engine import LiteRTEngine

        path = ensure_converted(model_name, cfg, cfg_path, weights_path, precision, log, options.cancel)
        return LiteRTEngine(cfg, str(path), size, precision, threads=options.threads)
    if kind == "openvino":
        from .openvino_engine import OpenVINOEngine

        if precision == "fast":
            from ..openvino_converted import ensure_openvino_int8

            path = ensure_openvino_int8(model_name, cfg, cfg_path, weights_path, log)
        else:
            path = _accurate_model(model_name, cfg, cfg_path, weights_path, log, options)
        return OpenVINOEngine(
            cfg, str(path), size, precision, device=options.device, threads=options.threads, hint=options.hint
        )
    raise ValueError(f"unknown engine {kind!r}")


def _accurate_model(
    model_name: str,
    cfg: DarknetConfig,
    cfg_path: Path,
    weights_path: Path,
    log: Callable[[str], None] | None,
    options: EngineOptions,
) -> Path:
    """The accurate model as OpenVINO IR: float32 weights, made once from the .tflite; where only the compact
    float16-weights IR exists (the standalone app ships that instead, to stay small), that one."""
    from ..model_cache import find_converted, model_key
    from ..openvino_converted import OPENVINO_F32, ensure_openvino_ir, find_openvino_f16, find_openvino_ir

    found = find_openvino_ir(model_name, cfg_path, weights_path, OPENVINO_F32)
    if found is not None:
        return found
    if find_converted(model_name, model_key(cfg_path, weights_path, "accurate"), "accurate") is None:
        compact = find_openvino_f16(model_name, cfg_path, weights_path)
        if compact is not None:
            return compact
    return ensure_openvino_ir(model_name, cfg, cfg_path, weights_path, log, OPENVINO_F32, options.cancel)
