"""What every engine is (the ``Engine`` protocol), the options they take, and which runtimes are installed."""

from __future__ import annotations

import importlib.util
import os
import threading
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ...settings import ENGINES


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
    module = {
        "litert": "ai_edge_litert",
        "openvino": "openvino",
        "keras": "tensorflow",
        "opencv": "cv2",
        "onnxruntime": "onnxruntime",
    }[kind]
    try:
        return importlib.util.find_spec(module) is not None
    except ValueError:  # a module set to None in sys.modules (how tests hide a package)
        return False


# Which engines run which model format: Darknet cfg + weights, or an ONNX export.
FORMAT_ENGINES = {
    "darknet": ("auto", "openvino", "opencv", "litert", "keras"),
    "onnx": ("auto", "openvino", "onnxruntime"),
}


def check_engine(kind: str, model_format: str | None = None) -> None:
    """``ValueError`` for an unknown engine; ``ModelError`` for one that cannot run this format of model."""
    if kind not in ENGINES:
        raise ValueError(f"unknown engine {kind!r} (available: {', '.join(ENGINES)})")
    if model_format is not None and kind not in FORMAT_ENGINES[model_format]:
        from ..errors import ModelError

        what = "Darknet models (cfg + weights)" if model_format == "onnx" else "ONNX exports"
        runs = ", ".join(k for k in FORMAT_ENGINES[model_format] if k != "auto")
        raise ModelError(f"the {kind} engine runs {what} only; this model runs on {runs} (--engine …, or auto)")
