"""The OpenCV DNN engine: the Darknet cfg and weights read by ``cv2.dnn.readNetFromDarknet`` — no conversion, no
TensorFlow, ready in milliseconds. float32 only.

OpenCV's importer ends each head in its own ``[yolo]`` layer, which decodes boxes its way; the project decodes
(``decode.py``), so this engine reads the layer *before* each ``[yolo]`` instead: the raw head, NCHW, transposed to
the (1, G_h, G_w, A·(5+C)) NHWC every engine returns. OpenCV names layers by their Darknet index: the conv feeding
the ``[yolo]`` at index i is ``conv_{i-1}``; an activation after that conv (the logistic of ``new_coords`` heads)
is a layer of its own named with the next index, ``logistic_{i}`` — the value the other engines return too.

Threads: OpenCV has one process-wide pool (``cv2.setNumThreads``), also used by resizing and colour conversion;
this engine sets it to the engine threads when it is built. Winograd convolution is on (OpenCV's default): measured
faster here, and its outputs stay within the suite's tolerances of the exact convolution
(tests/inference/test_new_engines.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..darknet_cfg import DarknetConfig
from ..darknet_weights import check_weights_size
from .base import default_threads

WINOGRAD = True  # measured: bench/bench_engine.py --tuning (docs/benchmarks.md)


def head_layer_names(cfg: DarknetConfig) -> list[str]:
    """OpenCV's names of the raw head tensors, one per [yolo] in cfg order (see the module's docstring)."""
    names = []
    for yolo in cfg.yolo_layers:
        conv = cfg.layers[yolo.index - 1]
        activation = getattr(conv, "activation", "linear")
        names.append(f"conv_{conv.index}" if activation == "linear" else f"{activation}_{yolo.index}")
    return names


class OpenCVEngine:
    name = "opencv"
    auto_reason = ""
    precision = "accurate"

    def __init__(
        self,
        cfg: DarknetConfig,
        cfg_path: Path,
        weights_path: Path,
        size: tuple[int, int],
        threads: int | None = None,
        winograd: bool = WINOGRAD,
    ) -> None:
        import cv2

        self.input_height, self.input_width = size
        self.threads = threads or default_threads()
        self.winograd = winograd
        cv2.setNumThreads(self.threads)
        check_weights_size(str(weights_path), cfg)  # OpenCV reads a truncated file without a word
        self.net = cv2.dnn.readNetFromDarknet(str(cfg_path), str(weights_path))
        self.net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
        self.net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
        self.net.enableWinograd(winograd)
        self.outputs = head_layer_names(cfg)
        self.run(np.full((1, self.input_height, self.input_width, 3), 0.5, np.float32))  # allocates for this size

    @property
    def description(self) -> str:
        return f"opencv f32 (CPU, OpenCV DNN{', Winograd' if self.winograd else ''})"

    def run(self, batch: np.ndarray) -> list[np.ndarray]:
        # (1, H, W, 3) → (1, 3, H, W): OpenCV's blobs are NCHW; its outputs are NCHW and reused by the next forward.
        self.net.setInput(np.ascontiguousarray(batch.transpose(0, 3, 1, 2), dtype=np.float32))
        return [np.ascontiguousarray(out.transpose(0, 2, 3, 1)) for out in self.net.forward(self.outputs)]
