"""The LiteRT engine: a converted model run by ai-edge-litert's interpreter through its signature runner.

Imports neither TensorFlow nor Keras: with a converted model already cached, the app starts without them.
Outputs are read by name (``yolo_<index>``), because LiteRT orders outputs differently from Keras. The converted
model accepts any input size; the interpreter is resized to this engine's size once, at start.
"""

from __future__ import annotations

import numpy as np

from ..darknet_cfg import DarknetConfig
from .base import default_threads
from .quiet import quiet_native_stderr


class LiteRTEngine:
    name = "litert"
    auto_reason = ""

    def __init__(
        self, cfg: DarknetConfig, tflite_path: str, size: tuple[int, int], precision: str, threads: int | None = None
    ) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.precision = precision
        self.input_height, self.input_width = size
        self.path = tflite_path
        with quiet_native_stderr():
            self.interpreter = Interpreter(model_path=tflite_path, num_threads=threads or default_threads())
            self.runner = self.interpreter.get_signature_runner()
            self.outputs = [f"yolo_{layer.index}" for layer in cfg.yolo_layers]
            self.run(np.full((1, self.input_height, self.input_width, 3), 0.5, np.float32))  # allocate, warm up

    @property
    def description(self) -> str:
        return f"litert {'int8 (dynamic range)' if self.precision == 'fast' else 'f32'} (CPU, XNNPACK)"

    def run(self, batch: np.ndarray) -> list[np.ndarray]:
        result = self.runner(image=np.ascontiguousarray(batch, dtype=np.float32))
        return [result[name] for name in self.outputs]
