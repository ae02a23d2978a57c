"""Reply bodies of the three route families, built from finished results (plain functions, no I/O).

Every family reads the same ``ImageResult``; only the shape differs. Boxes are in pixels of the upright image.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..export.json_export import detections_document
from ..records import image_record, model_record, settings_record
from ..results import Detections, ImageResult
from .backend import Detected, JobState

# imaging's wording for content that is no image at all (→ 415); every other reason is an image that cannot be
# used (damaged, truncated, above the pixel cap → 422).
_NOT_AN_IMAGE = ("not a supported image", "empty file")


def error_status(reason: str) -> int:
    return 415 if reason.startswith(_NOT_AN_IMAGE) else 422


def failure_message(result: ImageResult) -> str:
    """``name: reason``, the CLI's wording for a file that failed."""
    return f"{result.path}: {result.error}"


def object_string(detections: Detections) -> str:
    """``"2 dog, 1 bicycle"``: most frequent first."""
    return ", ".join(f"{count} {label}" for label, count in detections.counts().items())


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


# ----- the original service (/upload) ------------------------------------------------------------------------
def seed_reply(view_id: str, result: ImageResult) -> dict[str, Any]:
    """``{"id": "/view/<uuid>", "info": {...}}`` as the original service answered. ``score`` is a string there
    (kept for its clients); ``top/left/bottom/right`` and the box middle ``mid_v/mid_h`` are integer pixels;
    ``timings`` are milliseconds per stage."""
    detections = result.detections
    timings = {stage: _ms(seconds) for stage, seconds in result.timings.items()}
    timings["total"] = round(sum(timings.values()), 1)
    return {
        "id": f"/view/{view_id}",
        "info": {
            "success": True,
            "objects": list(detections.labels),
            "object_string": object_string(detections),
            "scored_objects": [
                {
                    "object": d.label,
                    "score": f"{d.score:.4f}",
                    "top": round(d.y1),
                    "left": round(d.x1),
                    "bottom": round(d.y2),
                    "right": round(d.x2),
                    "mid_v": round((d.y1 + d.y2) / 2),
                    "mid_h": round((d.x1 + d.x2) / 2),
                }
                for d in detections
            ],
            "timings": timings,
        },
    }


def seed_error(message: str) -> dict[str, Any]:
    return {"id": None, "info": {"success": False, "error": message}}


# ----- DeepStack / CodeProject.AI (/v1/vision/...) -----------------------------------------------------------
def deepstack_reply(result: ImageResult, request_seconds: float) -> dict[str, Any]:
    """DeepStack's detection reply plus CodeProject.AI's timing fields (integer milliseconds): ``inferenceMs``
    the network, ``processMs`` decoding + network + box decoding for this image, ``duration`` the whole
    request as the server saw it."""
    detections = result.detections
    labels = list(dict.fromkeys(detections.labels))
    return {
        "success": True,
        "message": ("Found " + ", ".join(labels)) if labels else "No objects found",
        "predictions": [
            {
                "label": d.label,
                "confidence": round(d.score, 4),
                "x_min": round(d.x1),
                "y_min": round(d.y1),
                "x_max": round(d.x2),
                "y_max": round(d.y2),
            }
            for d in detections
        ],
        "count": len(detections),
        "inferenceMs": round(result.timings.get("network", 0.0) * 1000),
        "processMs": round(sum(result.timings.values()) * 1000),
        "duration": round(request_seconds * 1000),
    }


def deepstack_error(message: str) -> dict[str, Any]:
    return {"success": False, "error": message}


# ----- native (/v1/detect) -----------------------------------------------------------------------------------
def native_reply(detected: Sequence[Detected], ids: Sequence[str | None], seconds: float) -> dict[str, Any]:
    """The command line's ``detections.json`` document for these uploads (same records, same numbers), plus
    ``results``: where each can be re-filtered at other thresholds (``/v1/results/<id>``; null if it failed)."""
    first = detected[0]
    document = detections_document(
        [d.result for d in detected], model_record(first.model, public=True), settings_record(first.settings), seconds
    )
    document["results"] = [f"/v1/results/{key}" if key else None for key in ids]
    return document


# ----- asynchronous jobs (/v1/jobs, /upload?async=1) -------------------------------------------------------------
def job_accepted(job: JobState) -> dict[str, Any]:
    """The 202 reply: where the annotated image will be (``url``, the original service's ``/view/<id>``) and where
    the job's progress and detections are (``job``)."""
    return {"id": job.id, "url": f"/view/{job.id}", "job": f"/v1/jobs/{job.id}", "state": job.state}


def job_reply(job: JobState) -> dict[str, Any]:
    """``GET /v1/jobs/<id>``: the state (``queued`` with its ``position``, ``processing``, ``done``, ``failed`` with
    its ``error``) and, once there is one, the command line's ``detections.json`` record with the model and
    settings that made it."""
    finished = job.result is not None and job.model is not None and job.settings is not None
    return {
        "id": job.id,
        "state": job.state,
        "position": job.position,
        "url": f"/view/{job.id}",
        "result": image_record(job.result) if job.result is not None else None,
        "results": f"/v1/results/{job.id}" if job.state == "done" else None,
        "model": model_record(job.model, public=True) if finished and job.model is not None else None,
        "settings": settings_record(job.settings) if finished and job.settings is not None else None,
        "error": job.error,
    }
