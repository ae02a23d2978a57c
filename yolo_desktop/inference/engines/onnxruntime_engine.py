"""The onnxruntime engine: an ONNX export run by onnxruntime, as its makers run it.

Execution providers: the first of CUDA, DirectML and CoreML that the installed onnxruntime has (``onnxruntime-gpu``,
``onnxruntime-directml``; macOS wheels have CoreML), with the CPU provider after it for any operator the device lacks;
the CPU provider alone when asked for the CPU (``device="CPU"``) or when the build has nothing else. ``description``
names the provider that runs the first node. One session, ``threads`` intra-op threads, sequential execution: one
photo at a time on all the engine's cores (measured faster than parallel execution for these chain-shaped graphs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .base import default_threads

# Accelerated providers in order of preference; the CPU provider is always last.
ACCELERATED = ("CUDAExecutionProvider", "DmlExecutionProvider", "CoreMLExecutionProvider")
SHORT = {
    "CPUExecutionProvider": "CPU",
    "CUDAExecutionProvider": "CUDA",
    "DmlExecutionProvider": "DirectML",
    "CoreMLExecutionProvider": "CoreML",
}


def providers(device: str | None = None) -> list[str]:
    import onnxruntime

    installed = onnxruntime.get_available_providers()
    chosen = [] if device == "CPU" else [p for p in ACCELERATED if p in installed]
    return [*chosen, "CPUExecutionProvider"]


class OnnxRuntimeEngine:
    name = "onnxruntime"
    auto_reason = ""
    precision = "accurate"

    def __init__(
        self,
        onnx_path: Path,
        input_name: str,
        output_name: str,
        size: tuple[int, int],
        threads: int | None = None,
        device: str | None = None,
    ) -> None:
        """``size``: (height, width) of the export's NCHW input, which ``run`` is given as (1, 3, H, W)."""
        import onnxruntime

        self.input_height, self.input_width = size
        self.path = str(onnx_path)
        self.input_name, self.output_name = input_name, output_name
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or default_threads()
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only: its warnings about unused initializers are not the user's
        self.session: Any = onnxruntime.InferenceSession(self.path, options, providers=providers(device))
        self.provider = self.session.get_providers()[0]
        self.run(np.full((1, 3, self.input_height, self.input_width), 0.5, np.float32))  # first run allocates

    @property
    def description(self) -> str:
        # The export's own precision runs (a float export in float32, a quantised one in int8).
        return f"onnxruntime ({SHORT.get(self.provider, self.provider)})"

    def run(self, batch: np.ndarray) -> list[np.ndarray]:
        return self.session.run([self.output_name], {self.input_name: np.ascontiguousarray(batch, np.float32)})
