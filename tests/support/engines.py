"""Which engine ``auto`` starts with on this processor, asked of auto's own rule (``expected``): tests that check
what runs (a converted model's runtime, or OpenCV DNN reading the Darknet files) hold on AVX-512 and AVX2-only
processors alike. The suite runs with $YOLO_DESKTOP_AUTO_MEASURE=0, so nothing measured or remembered changes it."""

from __future__ import annotations

from yolo_desktop.inference.engines.auto import Target, candidates, expected
from yolo_desktop.inference.model_spec import DarknetModel, ModelFiles

# The library each engine's process maps (for tests that look at a server's or worker's memory maps).
LIBRARY = {"openvino": "openvino", "litert": "ai_edge_litert", "opencv": "cv2", "keras": "tensorflow"}


def auto_engine_here(model: ModelFiles, precision: str = "accurate", size: int = 416) -> str:
    """The engine name (``Engine.name``) auto builds first for a Darknet ``model`` here."""
    darknet = DarknetModel.read(model)
    target = Target(model, (size, size), precision, darknet=darknet)
    label, _why = expected(target, candidates(target))
    return label.split("-")[0]  # openvino-int8 / openvino-bf16 run on the openvino engine
