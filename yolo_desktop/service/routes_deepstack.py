"""The de-facto detection API of DeepStack (kept by CodeProject.AI), spoken by Blue Iris, Home Assistant and
others: ``POST /v1/vision/detection``, ``/v1/vision/custom/<model>``, ``/v1/vision/custom/list``.

Errors keep DeepStack's shape, ``{"success": false, "error": "…"}``: 400 for a missing image or a bad field, 415/422
for an image that cannot be used, 401 without the API key (which may also come as DeepStack's form field
``api_key``), 503 when busy.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .context import Refusal, form_values, given_key, receive, refuse_if_all_failed, service_of
from .openapi_docs import DeepStackModels, DeepStackReply, multipart_body
from .options import parse_options
from .replies import deepstack_error, deepstack_reply
from .uploads import Form, UploadError, read_form

router = APIRouter(tags=["DeepStack / CodeProject.AI"])
SMALL_FORM_BYTES = 64 * 1024

BODY = multipart_body(
    {"image": "the photo"},
    {
        "min_confidence": ("number", "lowest confidence reported (default 0.40)"),
        "api_key": ("string", "the server's API key, when it has one and no header carries it"),
    },
)
REPLIES = {code: {"model": DeepStackReply} for code in (200, 400, 401, 415, 422, 503)}


async def _detect(request: Request, model: str | None) -> JSONResponse:
    service = service_of(request)
    start = time.perf_counter()

    def check_key(form: Form) -> None:
        if not service.key_matches(given_key(request) or form.fields.get("api_key")):
            raise Refusal(401, "a valid API key is required")

    try:
        _uploads, detected = await receive(
            request,
            service,
            "image",
            lambda form: parse_options(form_values(request, form), model=model, conf_key="min_confidence"),
            check=check_key,
        )
        refuse_if_all_failed(detected[:1])
    except Refusal as refusal:
        return JSONResponse(deepstack_error(refusal.message), refusal.status, headers=refusal.headers)
    return JSONResponse(deepstack_reply(detected[0].result, time.perf_counter() - start))


@router.post(
    "/v1/vision/detection",
    summary="Detect objects (DeepStack API)",
    description="Multipart field `image`; form field `min_confidence` (default 0.40).",
    responses=REPLIES,  # type: ignore[arg-type]
    openapi_extra=BODY,
)
async def detection(request: Request) -> JSONResponse:
    return await _detect(request, None)


@router.post(
    "/v1/vision/custom/list",
    summary="The models this server can run (DeepStack API)",
    responses={200: {"model": DeepStackModels}, 401: {"model": DeepStackReply}},
)
async def custom_list(request: Request) -> JSONResponse:
    service = service_of(request)
    if not service.key_matches(given_key(request)):
        try:
            form = await read_form(request.headers.get("content-type"), request.stream(), SMALL_FORM_BYTES)
        except UploadError as exc:
            return JSONResponse(deepstack_error(exc.message), exc.status)
        if not service.key_matches(form.fields.get("api_key")):
            return JSONResponse(deepstack_error("a valid API key is required"), 401)
    models = await service.off_loop(service.backend.models)
    return JSONResponse({"success": True, "models": [m["name"] for m in models["installed"]]})


@router.post(
    "/v1/vision/custom/{model}",
    summary="Detect objects with an installed model (DeepStack API)",
    description="`model` is an installed model's name (see `/v1/vision/custom/list`); otherwise as "
    "`/v1/vision/detection`.",
    responses=REPLIES,  # type: ignore[arg-type]
    openapi_extra=BODY,
)
async def custom(request: Request, model: str) -> JSONResponse:
    return await _detect(request, model)
