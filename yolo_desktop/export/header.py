"""The header of every detection file (``detections.json``, the service's replies, merged cluster outputs): which
model, engine and settings produced the detections. One builder, so the window, the command line and the service
write the same schema."""

from __future__ import annotations

from typing import Any

from ..inference.model_spec import ModelFiles
from ..settings import DetectorSettings


def model_record(
    files: ModelFiles | None,
    name: str,
    classes: int,
    input_size: int | None,
    engine: str,
    engine_description: str = "",
) -> dict[str, Any]:
    return {
        "name": name,
        "cfg": str(files.cfg) if files else None,
        "weights": str(files.weights) if files else None,
        "names": str(files.names) if files else None,
        "classes": classes,
        "input_size": input_size,
        "engine": engine,
        "engine_description": engine_description,  # what ran (compute precision, device) and why auto chose it
    }


def settings_record(settings: DetectorSettings) -> dict[str, Any]:
    return {
        "conf": settings.conf,
        "iou": settings.iou,
        "max_detections": settings.max_detections,
        "classes": sorted(settings.classes) if settings.classes is not None else None,
        "precision": settings.precision,
        "resize": settings.resize,
    }


def detector_header(detector: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(model, settings) records of a ``Detector``."""
    return (
        model_record(
            detector.model,
            detector.model.name,
            len(detector.names),
            detector.input_size,
            detector.engine.name,
            detector.engine_summary,
        ),
        settings_record(detector.settings),
    )
