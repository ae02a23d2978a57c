"""The original service's routes, compatible with its clients: ``POST /upload``, ``GET /view/<id>``,
``GET /counts``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from .context import Refusal, form_values, receive, refuse_if_all_failed, service_of
from .openapi_docs import JPEG_REPLY, Problem, SeedReply, multipart_body
from .options import parse_options
from .render import annotated_jpeg
from .replies import seed_error, seed_reply
from .store import Processing

router = APIRouter(tags=["original service"])


def wants_image(request: Request) -> bool:
    chosen = request.query_params.get("format")
    if chosen:
        return chosen.lower() in ("image", "jpeg", "jpg")
    accept = request.headers.get("accept", "")
    return "image/jpeg" in accept and "application/json" not in accept


@router.post(
    "/upload",
    summary="Detect objects in one photo (the original service's route)",
    description="Multipart field `file`. Replies with the detections and `id`, the URL of the annotated image; "
    "with `?format=image` or `Accept: image/jpeg`, with the annotated JPEG itself. Optional form fields or query "
    "parameters: `conf`, `iou`, `classes`, `size`, `model`, `precision` (as `/v1/detect`).",
    responses={200: {"model": SeedReply, **JPEG_REPLY[200]}, 415: {"model": SeedReply}, 422: {"model": SeedReply}},
    openapi_extra=multipart_body({"file": "the photo"}, {}),
)
async def upload(request: Request) -> Response:
    service = service_of(request)
    try:
        _uploads, detected = await receive(
            request, service, "file", lambda form: parse_options(form_values(request, form))
        )
        refuse_if_all_failed(detected[:1])
    except Refusal as refusal:
        return JSONResponse(seed_error(refusal.message), refusal.status, headers=refusal.headers)
    first = detected[0]
    key = service.store_result(first, keep_source=True)
    assert key is not None
    if wants_image(request):
        jpeg = await service.off_loop(annotated_jpeg, first.upload.data, first.upload.name, first.result, first.image)
        service.store.set_rendered(key, jpeg)
        return Response(jpeg, media_type="image/jpeg", headers={"X-Result": f"/view/{key}"})
    return JSONResponse(seed_reply(key, first.result))


@router.get(
    "/view/{result_id}",
    summary="The annotated image of an earlier upload",
    description="Results are kept for a bounded time and count; unknown or expired ids are 404. An id whose "
    'result is not finished yet answers 202 with `{"status": "processing"}`.',
    responses={**JPEG_REPLY, 202: {"description": "still processing"}, 404: {"model": Problem}},
)
async def view(request: Request, result_id: str) -> Response:
    service = service_of(request)
    entry = service.store.get(result_id)
    if isinstance(entry, Processing):
        return JSONResponse({"status": "processing"}, 202, headers={"Retry-After": "1"})
    if entry is None:
        return JSONResponse({"detail": "no such result (results are kept for a limited time)"}, 404)
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
    description="`{label: count}`, most frequent first: every image detected by any route of this worker process.",
    response_model=dict[str, int],
)
async def counts(request: Request) -> JSONResponse:
    return JSONResponse(service_of(request).counts.snapshot())
