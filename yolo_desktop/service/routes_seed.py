"""The original service's routes, compatible with its clients: ``POST /upload`` (``?async=1``: its "mode 2", queued
and answered at once with ``/view/<id>``), ``GET /view/<id>``, ``GET /counts``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from .backend import JobState, Unavailable
from .context import Refusal, form_values, job_state, receive, refuse_if_all_failed, service_of, submit_job
from .openapi_docs import JPEG_REPLY, JobAccepted, Problem, SeedReply, ViewState, multipart_body
from .options import parse_options
from .render import annotated_jpeg
from .replies import error_status, failure_message, job_accepted, seed_error, seed_reply
from .store import Failed, Processing

router = APIRouter(tags=["original service"])


def wants_image(request: Request) -> bool:
    chosen = request.query_params.get("format")
    if chosen:
        return chosen.lower() in ("image", "jpeg", "jpg")
    accept = request.headers.get("accept", "")
    return "image/jpeg" in accept and "application/json" not in accept


def wants_async(request: Request) -> bool:
    return request.query_params.get("async", "").lower() in ("1", "true", "yes")


@router.post(
    "/upload",
    summary="Detect objects in one photo (the original service's route)",
    description="Multipart field `file`. Replies with the detections and `id`, the URL of the annotated image; "
    "with `?format=image` or `Accept: image/jpeg`, with the annotated JPEG itself. Optional form fields or query "
    "parameters: `conf`, `iou`, `classes`, `size`, `model`, `precision` (as `/v1/detect`). With `?async=1`: "
    "queued and answered at once (202) as `POST /v1/jobs` is, `url` being `/view/<id>`.",
    responses={
        200: {"model": SeedReply, **JPEG_REPLY[200]},
        202: {"model": JobAccepted},
        415: {"model": SeedReply},
        422: {"model": SeedReply},
    },
    openapi_extra=multipart_body({"file": "the photo"}, {}),
)
async def upload(request: Request) -> Response:
    service = service_of(request)
    image = wants_image(request)
    try:
        if wants_async(request):
            job = await submit_job(request, service, "file", lambda form: parse_options(form_values(request, form)))
            return JSONResponse(job_accepted(job), 202, headers={"Location": f"/v1/jobs/{job.id}"})
        _uploads, detected = await receive(
            request, service, "file", lambda form: parse_options(form_values(request, form)), render=image, keep=True
        )
        refuse_if_all_failed(detected[:1])
    except Refusal as refusal:
        return JSONResponse(seed_error(refusal.message), refusal.status, headers=refusal.headers)
    first = detected[0]
    key = first.kept_as or service.store_result(first, keep_source=True)  # queue workers keep theirs in Redis
    assert key is not None
    if image:
        jpeg = first.rendered
        if jpeg is None:
            jpeg = await service.off_loop(
                annotated_jpeg, first.upload.data, first.upload.name, first.result, first.image
            )
        if first.kept_as is None:
            service.store.set_rendered(key, jpeg)
        return Response(jpeg, media_type="image/jpeg", headers={"X-Result": f"/view/{key}"})
    return JSONResponse(seed_reply(key, first.result))


def _processing(job: JobState | None = None) -> JSONResponse:
    body: dict[str, str | int | None] = {"status": "processing"}
    if job is not None:
        body.update(state=job.state, position=job.position)
    return JSONResponse(body, 202, headers={"Retry-After": "1"})


def _failed(message: str, status: int) -> JSONResponse:
    return JSONResponse({"status": "failed", "error": message}, status)


async def _view_job(request: Request, result_id: str) -> Response:
    """A result the store does not hold: an asynchronous job's (queue workers keep theirs in Redis)."""
    try:
        job = await job_state(service_of(request), result_id, image=True)
    except Refusal as refusal:
        return JSONResponse(
            {"status": "unavailable", "detail": refusal.message}, refusal.status, headers=refusal.headers
        )
    if job is None:
        return JSONResponse({"detail": "no such result (results are kept for a limited time)"}, 404)
    if job.state in ("queued", "processing"):
        return _processing(job)
    if job.state == "failed":
        return _failed(job.error or "failed", job.status)
    if job.image is None:
        return JSONResponse({"detail": "no image was kept for this result"}, 404)
    return Response(job.image, media_type="image/jpeg")


@router.get(
    "/view/{result_id}",
    summary="The annotated image of an earlier upload",
    description="Results are kept for a bounded time and count; unknown or expired ids are 404. An id whose "
    'result is not finished yet (an asynchronous job) answers 202 with `{"status": "processing"}` (and its '
    '`state` and queue `position` when known); a job that failed answers `{"status": "failed", "error"}` with '
    "415/422 (the photo could not be used) or 502 (the queue worker failed).",
    responses={
        **JPEG_REPLY,
        202: {"model": ViewState, "description": "still processing"},
        404: {"model": Problem},
        415: {"model": ViewState},
        422: {"model": ViewState},
        502: {"model": ViewState},
        503: {"model": Problem},
    },
)
async def view(request: Request, result_id: str) -> Response:
    service = service_of(request)
    entry = service.store.get(result_id)
    if entry is None:
        return await _view_job(request, result_id)
    if isinstance(entry, Processing):
        return _processing()
    if isinstance(entry, Failed):
        return _failed(entry.message, entry.status)
    if not entry.result.ok:
        return _failed(failure_message(entry.result), error_status(entry.result.error or ""))
    if entry.rendered is None:
        if entry.source is None:
            return JSONResponse({"detail": "no image was kept for this result"}, 404)
        jpeg = await service.off_loop(annotated_jpeg, entry.source, entry.result.path, entry.result)
        service.store.set_rendered(result_id.lower(), jpeg)
        return Response(jpeg, media_type="image/jpeg")
    return Response(entry.rendered, media_type="image/jpeg")


@router.get(
    "/counts",
    summary="Detections per class since the server started",
    description="`{label: count}`, most frequent first: every image detected by any route of this worker process "
    "(with `serve --redis`: every upload the queue workers detected, the same on every front).",
    response_model=dict[str, int],
    responses={503: {"model": Problem}},
)
async def counts(request: Request) -> JSONResponse:
    service = service_of(request)
    try:
        return JSONResponse(await service.off_loop(service.counts.snapshot))
    except Unavailable as exc:
        return JSONResponse({"detail": exc.message}, 503, headers={"Retry-After": str(exc.retry_after)})
