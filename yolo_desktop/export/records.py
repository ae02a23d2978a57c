"""Plain-data views of results shared by the JSON, CSV and COCO writers (one schema everywhere)."""

from __future__ import annotations

from typing import Any

from ..results import Detection, ImageResult


def round_box(detection: Detection) -> list[float]:
    return [round(v, 2) for v in detection.box]


def detection_record(detection: Detection) -> dict[str, Any]:
    return {
        "class_id": detection.class_id,
        "label": detection.label,
        "score": round(detection.score, 4),
        "box": round_box(detection),
    }


def image_record(result: ImageResult) -> dict[str, Any]:
    """The per-image record of detections.json (GUI and CLI alike)."""
    return {
        "path": result.path,
        "width": result.width,
        "height": result.height,
        "detections": [detection_record(d) for d in result.detections],
        "error": result.error,
    }
