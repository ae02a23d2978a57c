"""How the network runs. Every engine takes the letterboxed batch and returns the raw YOLO head tensors.

- ``keras``: the reference; the Keras model in a tf.function (imports TensorFlow; float32 only).
- ``litert``: the converted model in ai-edge-litert's interpreter; float32 (``accurate``) or int8 (``fast``).
  With the converted model cached, neither TensorFlow nor Keras is imported.
- ``auto``: LiteRT when ai-edge-litert is installed, else Keras.

Engines are imported only when created, so TensorFlow (or LiteRT) is loaded on the thread that owns the model
and never at application start.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from ...settings import ENGINES
from ..darknet_cfg import DarknetConfig


class Engine(Protocol):
    name: str
    input_width: int
    input_height: int

    def run(self, batch: np.ndarray) -> list[np.ndarray]:
        """(1, H, W, 3) float32 in [0, 1] → one (1, G_h, G_w, A·(5+C)) float32 array per [yolo], in cfg order."""
        ...


def litert_available() -> bool:
    return importlib.util.find_spec("ai_edge_litert") is not None


def resolve_engine(kind: str) -> str:
    if kind not in ENGINES:
        raise ValueError(f"unknown engine {kind!r} (available: {', '.join(ENGINES)})")
    if kind == "auto":
        return "litert" if litert_available() else "keras"
    return kind


def create_engine(
    kind: str,
    cfg: DarknetConfig,
    weights_path: str,
    size: tuple[int, int],
    precision: str = "accurate",
    cfg_path: str | None = None,
    model_name: str = "model",
    log: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> Engine:
    """Build an engine for ``cfg`` + weights at ``size`` = (height, width)."""
    kind = resolve_engine(kind)
    if kind == "keras":
        if precision != "accurate":
            raise ValueError("the keras engine runs float32 only; the fast (int8) precision needs LiteRT")
        from .keras_engine import KerasEngine

        return KerasEngine(cfg, weights_path, size)
    if size[0] != size[1]:
        raise ValueError("the litert engine is built for square inputs")
    from ..converted import ensure_converted
    from .litert_engine import LiteRTEngine

    path = ensure_converted(model_name, cfg, Path(cfg_path or cfg.path), Path(weights_path), precision, log, cancel)
    return LiteRTEngine(cfg, str(path), size, precision)
