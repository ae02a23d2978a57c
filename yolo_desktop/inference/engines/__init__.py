"""How the network runs. Every engine takes the letterboxed batch and returns the raw YOLO head tensors.

- ``keras``: the reference; the Keras model in a tf.function (imports TensorFlow; float32 only).
- ``litert``: the converted model in ai-edge-litert's interpreter; float32 (``accurate``) or dynamic-range int8
  (``fast``).
- ``openvino``: the same converted file in the OpenVINO runtime; ``accurate`` in bf16 where the processor has it
  (float32 elsewhere), ``fast`` an int8 model quantised from it with NNCF (openvino_engine.py).
- ``opencv``: OpenCV DNN reading the Darknet cfg and weights itself (no conversion); float32.
- ``onnxruntime``: ONNX exports in onnxruntime (CPU, or CUDA/DirectML/CoreML where the installed build has them).
- ``auto``: the fastest here, measured after the first result and remembered per processor (auto.py), said why.

With the converted model cached, neither TensorFlow nor Keras is imported. Engines are imported only when created,
so native runtimes load on the thread that owns the model and never at application start.
"""

from __future__ import annotations

from collections.abc import Callable

from ...settings import DEFAULTS
from ..model_spec import DarknetModel
from .base import Engine, EngineOptions, available, check_engine, default_threads
from .build import build_engine

__all__ = ["Engine", "EngineOptions", "available", "build_engine", "check_engine", "create_engine", "default_threads"]


def create_engine(
    kind: str,
    model: DarknetModel,
    size: tuple[int, int],
    precision: str = DEFAULTS.precision,
    log: Callable[[str], None] | None = None,
    options: EngineOptions = EngineOptions(),
) -> Engine:
    """Build an engine for ``model`` at ``size`` = (height, width). ``auto`` starts with the engine expected fastest
    (auto.py); ``Detector`` also runs its measurement."""
    check_engine(kind, "darknet")
    if kind == "auto":
        from .auto import Target, choose

        return choose(Target(model.files, size, precision, darknet=model), log, options)[1]
    return build_engine(kind, model, size, precision, log, options)
