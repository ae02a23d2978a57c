"""Health (the KServe/Triton v2 paths): live as soon as the process answers; ready once the model is loaded
(converted first if needed). Never behind the API key."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .context import service_of
from .openapi_docs import Health

router = APIRouter(tags=["health"])


@router.get("/v2/health/live", summary="The process answers", response_model=Health)
async def live() -> JSONResponse:
    return JSONResponse({"status": "live", "pid": os.getpid()})


@router.get(
    "/v2/health/ready",
    summary="The model is loaded (503 while loading, or if it failed, with the reason)",
    responses={200: {"model": Health}, 503: {"model": Health}},
)
async def ready(request: Request) -> JSONResponse:
    readiness = service_of(request).backend.readiness()
    body = {"status": readiness.state, "error": readiness.error, **readiness.details}
    return JSONResponse(body, 200 if readiness.ready else 503, headers={} if readiness.ready else {"Retry-After": "1"})
