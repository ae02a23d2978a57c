"""``detections.json``: one record per input image (and, under ``videos``, one per video file: see
``video/record.py``) plus the model and settings used."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .. import __version__
from ..atomic import write_text
from ..records import image_record
from ..results import BatchSummary, ImageResult


def detections_document(
    results: Iterable[ImageResult],
    model: Mapping[str, Any],
    settings: Mapping[str, Any],
    seconds: float = 0.0,
    videos: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    results = list(results)
    summary = BatchSummary.of(results, seconds)
    document = {
        "generator": f"yolo-desktop {__version__}",
        "model": dict(model),
        "settings": dict(settings),
        "summary": {
            "images": summary.images,
            "failed": len(summary.failed),
            "detections": summary.detections,
            "counts": dict(summary.counts),
        },
        "images": [image_record(r) for r in results],
    }
    if videos:
        document["videos"] = [dict(video) for video in videos]
    return document


def write_json(
    path: str | os.PathLike[str],
    results: Iterable[ImageResult],
    model: Mapping[str, Any],
    settings: Mapping[str, Any],
    seconds: float = 0.0,
    videos: Sequence[Mapping[str, Any]] = (),
) -> None:
    document = detections_document(results, model, settings, seconds, videos)
    write_text(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
