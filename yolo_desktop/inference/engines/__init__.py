"""How the network runs. Every engine takes the letterboxed batch and returns the raw YOLO head tensors.

Engines are imported only when created, so TensorFlow (or LiteRT) is loaded on the thread that owns the model
and never at application start.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..darknet_cfg import DarknetConfig

ENGINES = ("keras",)


class Engine(Protocol):
    name: str
    input_width: int
    input_height: int

    def run(self, batch: np.ndarray) -> list[np.ndarray]:
        """(1, H, W, 3) float32 in [0, 1] → one (1, G_h, G_w, A·(5+C)) float32 array per [yolo], in cfg order."""
        ...


def create_engine(kind: str, cfg: DarknetConfig, weights_path: str, size: tuple[int, int]) -> Engine:
    """Build an engine for ``cfg`` + weights at ``size`` = (height, width)."""
    if kind == "keras":
        from .keras_engine import KerasEngine

        return KerasEngine(cfg, weights_path, size)
    raise ValueError(f"unknown engine {kind!r} (available: {', '.join(ENGINES)})")

