"""Native routes: ``POST /v1/detect`` (the command line's ``detections.json`` records, same numbers for the same
files), ``GET /v1/results/<id>`` (a kept result re-filtered at other thresholds, no network) and ``GET /v1/models``."""

from __future__ import annotations

import time
from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ..export.json_export import detections_document
from ..inference.decode import refilter
from ..inference.model_spec import UnknownClasses, check_classes
from ..records import model_record, settings_record
from ..results import ImageResult
from ..settings import DEFAULTS, MAX_TILE_OVERLAP, SettingsError
from .backend import Detected
from .context import Refusal, form_values, job_state, receive, refuse_if_all_failed, service_of
from .openapi_docs import DetectionsDocument, Problem, multipart_body
from .options import OptionError, parse_options
from .render import ZIP_IMAGE_SUFFIX, annotated_jpeg, unique_names, zip_archive
from .replies import native_reply
from .store import StoredResult

router = APIRouter(tags=["native"])

OPTION_FIELDS = {
    "conf": ("number", f"minimum score (default {DEFAULTS.conf})"),
    "iou": ("number", f"NMS IoU threshold (default {DEFAULTS.iou})"),
    "classes": ("string", "only these class labels, comma-separated, e.g. person,car"),
    "max_detections": ("integer", f"per image (default {DEFAULTS.max_detections})"),
    "size": ("integer", "network input size, a multiple of 32 (default: the server's)"),
    "model": ("string", "an installed model's name (default: the server's)"),
    "precision": ("string", "accurate or fast (default: the server's)"),
    "tiles": (
        "string",
        "small objects in large photos: off (default), auto, or a tile size in photo pixels (e.g. 416): overlapping "
        "tiles each detected at the network size, plus the whole photo; one network run per tile",
    ),
    "tile_overlap": (
        "number",
        f"fraction of a tile shared with its neighbour, 0–{MAX_TILE_OVERLAP} (default {DEFAULTS.tile_overlap})",
    ),
}
FORMATS = ("json", "image", "zip")


def _problem(refusal: Refusal) -> JSONResponse:
    return JSONResponse({"detail": refusal.message}, refusal.status, headers=refusal.headers)


@router.post(
    "/v1/detect",
    summary="Detect objects in one or many photos",
    description="Multipart field `file`, repeated for several photos; options as form fields or query parameters. "
    "Replies with the command line's `detections.json` (same records, same numbers for the same files); "
    "`?format=image` (one file) gives the annotated JPEG, `?format=zip` the annotated JPEGs and "
    "`detections.json`. A photo that cannot be read is reported in its record (`error`); a request in which no "
    "photo can be read is refused (415 not an image, 422 damaged or too large).",
    responses={
        200: {"model": DetectionsDocument, "content": {"image/jpeg": {}, "application/zip": {}}},
        **{code: {"model": Problem} for code in (400, 401, 404, 413, 415, 422, 503)},
    },
    openapi_extra=multipart_body({"file": "one or more photos"}, OPTION_FIELDS, many=True),
)
async def detect(request: Request) -> Response:
    service = service_of(request)
    start = time.perf_counter()
    chosen = request.query_params.get("format", "json").lower()
    try:
        if chosen not in FORMATS:
            raise Refusal(400, f"format={chosen!r} must be one of {', '.join(FORMATS)}")
        if chosen == "image" and request.query_params.get("async"):
            raise Refusal(400, "format=image cannot be asynchronous: use POST /v1/jobs and /view/<id>")
        uploads, detected = await receive(
            request,
            service,
            "file",
            lambda form: parse_options(form_values(request, form)),
            render=chosen in ("image", "zip"),
        )
        if chosen == "image" and len(uploads) != 1:
            raise Refusal(400, "format=image takes exactly one file; use format=zip for several")
        refuse_if_all_failed(detected)
    except Refusal as refusal:
        return _problem(refusal)
    if chosen == "image":
        first = detected[0]
        jpeg = first.rendered or await service.off_loop(
            annotated_jpeg, first.upload.data, first.upload.name, first.result, first.image
        )
        return Response(jpeg, media_type="image/jpeg")
    ids = [service.store_result(d, keep_source=False) for d in detected]
    document = native_reply(detected, ids, time.perf_counter() - start)
    if chosen == "zip":
        archive = await service.off_loop(_zip, detected, document)
        return Response(
            archive,
            media_type="application/zip",
            headers={"Content-Disposition": 'attachment; filename="detections.zip"'},
        )
    return JSONResponse(document)


def _zip(detected: Sequence[Detected], document: dict) -> bytes:
    members = unique_names([d.upload.name for d in detected], ZIP_IMAGE_SUFFIX)
    items = [
        (
            member,
            (d.rendered or annotated_jpeg(d.upload.data, d.upload.name, d.result, d.image)) if d.result.ok else None,
        )
        for member, d in zip(members, detected)
    ]
    return zip_archive(items, document)


@router.get(
    "/v1/results/{result_id}",
    summary="A kept result at other thresholds (no network)",
    description="Re-applies `conf`, `iou`, `classes` and `max_detections` (query parameters) to the candidates "
    "kept from the network run of `/v1/detect`, `/upload` or a finished job; replies like `/v1/detect` for that "
    "one photo.",
    responses={200: {"model": DetectionsDocument}, **{code: {"model": Problem} for code in (400, 404, 503)}},
)
async def result(request: Request, result_id: str) -> JSONResponse:
    service = service_of(request)
    entry = service.store.get(result_id)
    if entry is None:
        try:
            job = await job_state(service, result_id)
        except Refusal as refusal:
            return _problem(refusal)
        if job is not None and job.state == "done" and job.result and job.model and job.settings:
            entry = StoredResult(job.result, job.model, job.settings)  # a queue job's result, read from Redis
    if not isinstance(entry, StoredResult):
        return JSONResponse({"detail": "no such result (results are kept for a limited time)"}, 404)
    try:
        options = parse_options(dict(request.query_params))
        asked = options.settings()
    except (OptionError, SettingsError) as exc:
        return JSONResponse({"detail": str(exc)}, 400)
    try:
        check_classes(asked.classes, entry.model.names, entry.model.name)
    except UnknownClasses as exc:
        return JSONResponse({"detail": str(exc)}, 400)
    settings = entry.settings.with_selection(asked)
    filtered: ImageResult = await service.off_loop(refilter, entry.result, settings, entry.model.names)
    document = detections_document([filtered], model_record(entry.model, public=True), settings_record(settings))
    document["results"] = [f"/v1/results/{result_id.lower()}"]
    return JSONResponse(document)


@router.get("/v1/models", summary="Installed models, and those loaded in this worker process")
async def models(request: Request) -> JSONResponse:
    service = service_of(request)
    return JSONResponse(await service.off_loop(service.backend.models))
