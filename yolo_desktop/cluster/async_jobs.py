"""The HTTP service's asynchronous mode (the original "mode 2"), as a bridge the routes call.

``submit`` queues an upload for the workers and returns its id at once (the route answers 202 with
``{"url": "/view/<id>"}``); ``state`` says queued / processing / done / failed, and when done gives the
``ImageResult`` (with candidates, so stored results can be re-filtered) and the annotated JPEG, both read back from
Redis. Nothing here loads a model: the service stays a light front, the workers hold the model.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from dataclasses import dataclass

import redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job as RqJob
from rq.job import JobStatus

from ..inference.detector import ModelFiles
from ..results import ImageResult
from ..resume import input_size_of, model_fingerprint
from ..settings import DetectorSettings
from .connection import connect
from .protocol import (
    DEFAULT_QUEUE,
    FAILURE_TTL,
    PROTOCOL,
    SERIALIZER,
    UPLOAD_FUNCTION,
    UPLOAD_RESULT_TTL,
    job_failure,
    retry_policy,
    settings_payload,
)
from .wire import result_from_wire

JOB_ID = re.compile(r"^up-[0-9a-f]{32}$")
UPLOAD_TIMEOUT = 300  # seconds one upload may take on a worker


@dataclass(frozen=True)
class AsyncState:
    id: str
    state: str  # "queued" | "processing" | "done" | "failed" | "unknown"
    position: int | None = None  # place in the queue while queued (0 = next)
    result: ImageResult | None = None  # when done (the image may still have failed to decode: result.error)
    image: bytes | None = None  # annotated JPEG, when done and asked for
    error: str | None = None  # when failed: why (the worker's refusal, a timeout, ...)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "unknown")

    def view(self) -> str:
        """What ``/view/<id>`` says before the result page exists: the old service's single word."""
        return "processing" if self.state in ("queued", "processing") else self.state


class AsyncDetections:
    """Submit uploads to the workers and read their results back, by id."""

    def __init__(
        self,
        url: str,
        model: ModelFiles,
        queue: str = DEFAULT_QUEUE,
        connection: redis.Redis | None = None,
    ) -> None:
        self.connection = connection if connection is not None else connect(url)
        self.queue = Queue(queue, connection=self.connection, serializer=SERIALIZER)
        self.model = model
        self.fingerprint = model_fingerprint(model)  # the workers refuse jobs for another model

    def submit(self, data: bytes, name: str, settings: DetectorSettings, annotate: bool = True) -> str:
        """Queue one uploaded image; returns its job id (``/view/<id>``)."""
        size = input_size_of(self.model, settings)
        job_id = f"up-{uuid.uuid4().hex}"
        self.queue.enqueue(
            UPLOAD_FUNCTION,
            {
                "protocol": PROTOCOL,
                "model": self.fingerprint,
                "settings": settings_payload(settings, size),
                "name": name,
                "data": base64.b64encode(data).decode("ascii"),
                "annotate": annotate,
            },
            job_id=job_id,
            job_timeout=UPLOAD_TIMEOUT,
            result_ttl=UPLOAD_RESULT_TTL,
            failure_ttl=FAILURE_TTL,
            retry=retry_policy(),
            description=f"yolo-desktop upload {name}",
        )
        return job_id

    def state(self, job_id: str) -> AsyncState:
        if not JOB_ID.match(job_id):
            return AsyncState(job_id, "unknown", error="not a job id")
        try:
            job = RqJob.fetch(job_id, connection=self.connection, serializer=SERIALIZER)
        except NoSuchJobError:
            return AsyncState(job_id, "unknown", error="no such job (never submitted, or its result expired)")
        status = job.get_status(refresh=False)
        if status == JobStatus.FINISHED:
            value = job.return_value() or {}
            image = value.get("image")
            return AsyncState(
                job_id,
                "done",
                result=result_from_wire(value["result"]),
                image=base64.b64decode(image) if image else None,
            )
        if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
            return AsyncState(job_id, "failed", error=job_failure(job))
        if status == JobStatus.STARTED:
            return AsyncState(job_id, "processing")
        return AsyncState(job_id, "queued", position=job.get_position())

    def wait(self, job_id: str, timeout: float = 60.0, poll: float = 0.05) -> AsyncState:
        """Poll until the job is done or failed (or ``timeout``); for simple clients and tests."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.state(job_id)
            if state.finished or time.monotonic() > deadline:
                return state
            time.sleep(poll)
