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
    """Build an engine for ``model`` at ``size`` = (height, width). ``auto`` picks one (auto.py)."""
    check_engine(kind)
    if kind == "auto":
        from .auto import choose_engine

        return choose_engine(model, size, precision, log, options)
    return build_engine(kind, model, size, precision, log, options)
