"""The one encoding of results, settings and the model header as plain values (dicts, lists, rows).

Two encodings of a result, each defined once:
- *exact* (``result_to_dict``/``result_from_dict``, detection rows at full float precision, candidates as base64
  of their raw arrays): part files of resumable batches and everything that travels through Redis, so a merged or
  relayed result is the very result a local run makes;
- *for people* (``detection_record``/``image_record``, rounded): ``detections.json``, frame files, HTTP replies.

Settings become a record and back with the defaults taken from ``DetectorSettings`` only, and the header every
detection file carries (which model, engine and settings) is built here for the CLI, the window, the service and
merged cluster outputs alike.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

import numpy as np

from .inference.model_spec import ModelInfo
from .results import Candidates, Detection, Detections, ImageResult
from .settings import DEFAULTS, DetectorSettings

# ----- detections and results, exact ------------------------------------------------------------------------


def _corner(detection: Detection, size: tuple[int, int] | None) -> tuple[float, float]:
    """x2, y2 as files have always had them: a box clipped at the image's right or bottom edge ends at the image's
    width or height, an integer (written ``500``, not ``500.0``), so files stay byte for byte what they were."""
    x2, y2 = detection.x2, detection.y2
    if size is None:
        return x2, y2
    width, height = size
    return (width if x2 == width else x2), (height if y2 == height else y2)


def detection_row(detection: Detection, size: tuple[int, int] | None = None) -> list[Any]:
    """[class_id, label, score, x1, y1, x2, y2], floats as they are (JSON writes them with ``repr`` precision);
    ``size``: the image's (width, height)."""
    d = detection
    return [d.class_id, d.label, d.score, d.x1, d.y1, *_corner(d, size)]


def detection_from_row(row: Sequence[Any]) -> Detection:
    class_id, label, score, x1, y1, x2, y2 = row
    return Detection(int(class_id), str(label), score, x1, y1, x2, y2)


def _array(values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(values).tobytes()).decode("ascii")


def _from_array(text: str, dtype: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=np.dtype(dtype))


def result_to_dict(result: ImageResult, *, timings: bool = False, candidates: bool = False) -> dict[str, Any]:
    """The exact result; with ``candidates`` (when it has them) so whoever reads it can re-filter without the
    network (the window, the service's stored results)."""
    record: dict[str, Any] = {
        "path": result.path,
        "width": result.width,
        "height": result.height,
        "error": result.error,
        "detections": [detection_row(d, (result.width, result.height)) for d in result.detections],
    }
    if timings:
        record["timings"] = dict(result.timings)
    kept = result.candidates
    if candidates and kept is not None:
        record["candidates"] = {
            "boxes": _array(kept.boxes.astype("<f4")),  # (N, 4) float32 little-endian
            "scores": _array(kept.scores.astype("<f4")),  # (N,)
            "class_ids": _array(kept.class_ids.astype("<i4")),  # (N,)
            "floor": kept.floor,
        }
        if not kept.nms:  # only where it differs from the default: Darknet records stay as they were
            record["candidates"]["nms"] = False
        if kept.sources is not None:  # a tiled photo: which run found each candidate
            record["candidates"]["sources"] = _array(kept.sources.astype("<i2"))  # (N,)
    return record


def result_from_dict(record: Mapping[str, Any], names: Sequence[str]) -> ImageResult:
    """The result ``result_to_dict`` wrote, its detections named by ``names`` (the model's classes)."""
    kept = record.get("candidates")
    candidates = None
    if kept:
        candidates = Candidates(
            _from_array(kept["boxes"], "<f4").reshape(-1, 4),
            _from_array(kept["scores"], "<f4"),
            _from_array(kept["class_ids"], "<i4"),
            float(kept["floor"]),
            bool(kept.get("nms", True)),
            sources=_from_array(kept["sources"], "<i2") if kept.get("sources") is not None else None,
        )
    return ImageResult(
        path=record["path"],
        width=record["width"],
        height=record["height"],
        detections=Detections.from_rows((detection_from_row(row) for row in record["detections"]), names),
        timings=dict(record.get("timings") or {}),
        error=record.get("error"),
        candidates=candidates,
    )


# ----- detections and results, for people -------------------------------------------------------------------


def round_box(detection: Detection, size: tuple[int, int] | None = None) -> list[float]:
    return [round(v, 2) for v in (detection.x1, detection.y1, *_corner(detection, size))]


def detection_record(detection: Detection, size: tuple[int, int] | None = None) -> dict[str, Any]:
    """One detection for people; ``size``: the (width, height) of its image."""
    return {
        "class_id": detection.class_id,
        "label": detection.label,
        "score": round(detection.score, 4),
        "box": round_box(detection, size),
    }


# A detection's columns in every CSV file (detections.csv, a video's frames.csv), after the file's own columns.
DETECTION_CSV_COLUMNS = ("class_id", "label", "score", "x1", "y1", "x2", "y2", "width", "height")


def detection_csv_values(detection: Detection) -> list[Any]:
    d = detection
    return [
        d.class_id,
        d.label,
        f"{d.score:.4f}",
        *(f"{v:.2f}" for v in (d.x1, d.y1, d.x2, d.y2, d.width, d.height)),
    ]


def image_record(result: ImageResult) -> dict[str, Any]:
    """The per-image record of detections.json (window, CLI and service alike)."""
    return {
        "path": result.path,
        "width": result.width,
        "height": result.height,
        "detections": [detection_record(d, (result.width, result.height)) for d in result.detections],
        "error": result.error,
    }


# ----- settings -----------------------------------------------------------------------------------------------


def settings_record(settings: DetectorSettings, size: int | None = None) -> dict[str, Any]:
    """The settings a detection file states (and a job carries: with ``size``, the input size the detector used)."""
    record = {
        "conf": settings.conf,
        "iou": settings.iou,
        "max_detections": settings.max_detections,
        "classes": sorted(settings.classes) if settings.classes is not None else None,
        "precision": settings.precision,
        "resize": settings.resize,
        "tiles": settings.tiles,
        "tile_overlap": settings.tile_overlap,
    }
    if size is not None:
        record["size"] = size
    return record


_SETTINGS_FIELDS = {f.name for f in fields(DetectorSettings)}


def settings_from_record(record: Mapping[str, Any], defaults: DetectorSettings = DEFAULTS) -> DetectorSettings:
    """Settings from a record (a job, a worker's reply); a key it lacks takes ``defaults``' value (validated:
    out-of-range values raise ``SettingsError``)."""
    values: dict[str, Any] = {name: getattr(defaults, name) for name in _SETTINGS_FIELDS}
    for name in _SETTINGS_FIELDS & record.keys():
        values[name] = record[name]
    classes = values["classes"]
    return DetectorSettings(
        size=int(values["size"]) if values["size"] is not None else None,
        conf=float(values["conf"]),
        iou=float(values["iou"]),
        classes=frozenset(classes) if classes is not None else None,
        max_detections=int(values["max_detections"]),
        precision=str(values["precision"]),
        resize=str(values["resize"]),
        tiles=str(values["tiles"]),
        tile_overlap=float(values["tile_overlap"]),
    )


# ----- the model header ---------------------------------------------------------------------------------------


def model_record(info: ModelInfo | None, *, public: bool = False) -> dict[str, Any]:
    """Which model produced the detections. ``public``: the files by name only (an HTTP reply says which files,
    not where they live on the server)."""
    files = info.files if info is not None else None

    def where(path: Any) -> str | None:
        if path is None:
            return None
        return os.path.basename(path) if public else str(path)

    return {
        "name": info.name if info else "",
        "cfg": where(files.cfg) if files else None,  # None for an ONNX model
        "weights": where(files.weights) if files else None,  # the .onnx for an ONNX model
        "names": where(files.names) if files else None,
        "classes": len(info.names) if info else 0,
        "input_size": (info.input_size or None) if info else None,  # 0: not known (nothing was detected)
        "engine": info.engine if info else "",
        "engine_description": info.engine_description if info else "",  # what ran and why auto chose it
    }


def header(info: ModelInfo | None, settings: DetectorSettings, *, public: bool = False) -> tuple[dict, dict]:
    """(model, settings) records for a detection file's header."""
    return model_record(info, public=public), settings_record(settings)
