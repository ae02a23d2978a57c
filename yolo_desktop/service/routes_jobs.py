"""Asynchronous requests: ``POST /v1/jobs`` queues one photo and answers 202 at once; ``GET /v1/jobs/<id>`` gives
its progress and, once done, its detections (the command line's ``detections.json`` record). With ``serve --redis``
queue workers do the work (any front sharing the Redis answers); otherwise this server's own model does."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .context import Refusal, form_values, job_state, service_of, submit_job
from .openapi_docs import JobAccepted, JobReply, Problem, multipart_body
from .options import parse_options
from .replies import job_accepted, job_reply
from .routes_native import OPTION_FIELDS

router = APIRouter(tags=["asynchronous jobs"])


def accepted(job_reply_body: dict, job_id: str) -> JSONResponse:
    return JSONResponse(job_reply_body, 202, headers={"Location": f"/v1/jobs/{job_id}"})


@router.post(
    "/v1/jobs",
    status_code=202,
    summary="Queue one photo; answered at once",
    description="Multipart field `file` (one photo); the options of `/v1/detect` as form fields or query "
    "parameters. Replies 202 with the job's `id`, `url` (`/view/<id>`: the annotated JPEG once done, "
    '`{"status": "processing"}` with 202 until then) and `job` (`/v1/jobs/<id>`: its state and detections). '
    "A bad photo is reported by the job (`failed`, with the reason). 503 with `Retry-After` when the queue is full "
    "or cannot be reached.",
    responses={202: {"model": JobAccepted}, **{code: {"model": Problem} for code in (400, 401, 413, 503)}},
    openapi_extra=multipart_body({"file": "the photo"}, OPTION_FIELDS),
)
async def create_job(request: Request) -> JSONResponse:
    service = service_of(request)
    try:
        job = await submit_job(request, service, "file", lambda form: parse_options(form_values(request, form)))
    except Refusal as refusal:
        return JSONResponse({"detail": refusal.message}, refusal.status, headers=refusal.headers)
    return accepted(job_accepted(job), job.id)


@router.get(
    "/v1/jobs/{job_id}",
    summary="A job's progress, and its detections once done",
    description="`state` is `queued` (with `position`: jobs ahead of it), `processing`, `done` (with `result`: the "
    "command line's detections.json record, and the `model` and `settings` records) or `failed` (with `error`: "
    "why, naming the upload; a photo that could not be read also has its `result` record). Unknown or expired "
    "ids are 404.",
    responses={200: {"model": JobReply}, 404: {"model": Problem}, 503: {"model": Problem}},
)
async def get_job(request: Request, job_id: str) -> JSONResponse:
    service = service_of(request)
    try:
        job = await job_state(service, job_id)
    except Refusal as refusal:
        return JSONResponse({"detail": refusal.message}, refusal.status, headers=refusal.headers)
    if job is None:
        return JSONResponse({"detail": "no such job (jobs are kept for a limited time)"}, 404)
    return JSONResponse(job_reply(job))
