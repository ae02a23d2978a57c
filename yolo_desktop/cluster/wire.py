"""Results as JSON for Redis: the exact ``ImageResult`` (boxes at full precision) and, where a front-end re-filters
later (the window, the service's stored results), its candidates as base64 of their raw arrays."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..results import Candidates, Detection, ImageResult


def _array(values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(values).tobytes()).decode("ascii")


def _from_array(text: str, dtype: type) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=dtype)


def result_to_wire(result: ImageResult, candidates: bool = True) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "path": result.path,
        "width": result.width,
        "height": result.height,
        "error": result.error,
        "detections": [[d.class_id, d.label, d.score, d.x1, d.y1, d.x2, d.y2] for d in result.detections],
        "timings": dict(result.timings),
    }
    kept = result.candidates
    if candidates and kept is not None:
        wire["candidates"] = {
            "boxes": _array(kept.boxes.astype("<f4")),  # (N, 4) float32 little-endian
            "scores": _array(kept.scores.astype("<f4")),
            "class_ids": _array(kept.class_ids.astype("<i4")),
            "floor": kept.floor,
        }
    return wire


def result_from_wire(wire: Mapping[str, Any]) -> ImageResult:
    kept = wire.get("candidates")
    candidates = None
    if kept:
        candidates = Candidates(
            _from_array(kept["boxes"], np.dtype("<f4")).reshape(-1, 4),  # type: ignore[arg-type]
            _from_array(kept["scores"], np.dtype("<f4")),  # type: ignore[arg-type]
            _from_array(kept["class_ids"], np.dtype("<i4")),  # type: ignore[arg-type]
            float(kept["floor"]),
        )
    return ImageResult(
        path=wire["path"],
        width=wire["width"],
        height=wire["height"],
        detections=tuple(
            Detection(int(c), str(n), s, x1, y1, x2, y2) for c, n, s, x1, y1, x2, y2 in wire["detections"]
        ),
        timings=dict(wire.get("timings") or {}),
        error=wire.get("error"),
        candidates=candidates,
    )
