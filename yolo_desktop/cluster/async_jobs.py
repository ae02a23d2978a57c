"""The HTTP service's asynchronous mode (the original "mode 2"), as a bridge the service calls.

``submit`` queues an upload for the workers and returns its id at once (the route answers 202 with
``{"url": "/view/<id>"}``); ``state`` says queued / processing / done / failed, and when done gives the
``ImageResult`` (with candidates, so stored results can be re-filtered) and the annotated JPEG, both read back from
Redis. Nothing here loads a model: the service stays a light front, the workers hold the model.

The job itself is small JSON (rq's ``JSONSerializer``); the upload's bytes travel in their own key
(``protocol.upload_key``) and the annotated JPEG comes back in another (``protocol.annotated_key``): inside the job,
rq would zlib-compress them (tens of ms of the front's CPU per MB) and base64 would add a third. Everything a job
leaves in Redis expires after ``keep_seconds``.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job as RqJob
from rq.job import JobStatus
from rq.registry import FailedJobRegistry, FinishedJobRegistry
from rq.results import Result

from ..inference.model_spec import ModelFiles, class_names, input_size_of, model_fingerprint
from ..records import result_from_dict, settings_record
from ..results import ImageResult
from ..settings import DetectorSettings
from .connection import connect
from .protocol import (
    DEFAULT_QUEUE,
    PROTOCOL,
    SERIALIZER,
    UPLOAD_FUNCTION,
    UPLOAD_RESULT_TTL,
    annotated_key,
    job_failure,
    kept_key,
    retry_policy,
    upload_key,
)

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
    reply: dict[str, Any] | None = None  # when done: what the worker said besides the result (engine, input size…)

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
        fingerprint: dict[str, str] | None = None,
        names: Sequence[str] | None = None,
    ) -> None:
        self.connection = connection if connection is not None else connect(url)
        self.queue = Queue(queue, connection=self.connection, serializer=SERIALIZER)
        self.model = model
        # The workers refuse jobs for another model (hashing the files once is the caller's choice to share).
        self.fingerprint = fingerprint if fingerprint is not None else model_fingerprint(model)
        self.names = tuple(names) if names is not None else class_names(model)  # what results are named by
        self._cfg_size: int | None = None  # the cfg's input size, read once

    def submit(
        self,
        data: bytes,
        name: str,
        settings: DetectorSettings,
        annotate: bool = True,
        keep_seconds: int = UPLOAD_RESULT_TTL,
    ) -> str:
        """Queue one uploaded image; returns its job id (``/view/<id>``). Its bytes, its result and its annotated
        JPEG are kept ``keep_seconds`` (the bytes only until a worker has used them)."""
        if settings.size is None and self._cfg_size is None:
            self._cfg_size = input_size_of(self.model, settings.size)
        size = settings.size or self._cfg_size
        assert size is not None
        job_id = f"up-{uuid.uuid4().hex}"
        self.connection.set(upload_key(job_id), data, ex=keep_seconds)
        self.queue.enqueue(
            UPLOAD_FUNCTION,
            {
                "protocol": PROTOCOL,
                "model": self.fingerprint,
                "settings": settings_record(settings, size),
                "name": name,
                "annotate": annotate,
                "keep_seconds": keep_seconds,
            },
            job_id=job_id,
            job_timeout=UPLOAD_TIMEOUT,
            result_ttl=keep_seconds,
            failure_ttl=keep_seconds,
            retry=retry_policy(),
            description=f"yolo-desktop upload {name}",
        )
        return job_id

    def state(self, job_id: str, image: bool = True) -> AsyncState:
        """Where the job is; when done, its result (and, with ``image``, the annotated JPEG)."""
        if not JOB_ID.match(job_id):
            return AsyncState(job_id, "unknown", error="not a job id")
        try:
            job = RqJob.fetch(job_id, connection=self.connection, serializer=SERIALIZER)
        except NoSuchJobError:
            return AsyncState(job_id, "unknown", error="no such job (never submitted, or its result expired)")
        status = job.get_status(refresh=False)
        if status == JobStatus.FINISHED:
            value = job.return_value() or {}
            if "result" not in value:  # the result expired a moment before the job's hash
                return AsyncState(job_id, "unknown", error="its result expired")
            jpeg = self.connection.get(annotated_key(job_id)) if image and value.get("annotated") else None
            return AsyncState(
                job_id,
                "done",
                result=result_from_dict(value["result"], self.names),
                image=bytes(jpeg) if jpeg is not None else None,  # type: ignore[arg-type]
                reply={k: v for k, v in value.items() if k != "result"},
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

    def discard(self, job_id: str) -> None:
        """Forget a job now (a reply that has been sent needs nothing kept): a queued one never runs; a running
        one finishes and its result expires."""
        if not JOB_ID.match(job_id):
            return
        try:
            job = RqJob.fetch(job_id, connection=self.connection, serializer=SERIALIZER)
        except NoSuchJobError:
            return
        if job.get_status(refresh=False) == JobStatus.STARTED:
            return
        job.delete(remove_from_queue=True)
        self.connection.delete(upload_key(job_id), annotated_key(job_id))

    def forget(self, job_ids: Sequence[str]) -> None:
        """Delete finished (or failed) jobs and all they left in Redis, in one round trip: a synchronous reply
        holds everything already. (``discard`` also takes queued jobs out of the queue, at more round trips.)"""
        finished, failed = FinishedJobRegistry(queue=self.queue), FailedJobRegistry(queue=self.queue)
        with self.connection.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                if JOB_ID.match(job_id):
                    pipe.zrem(finished.key, job_id)
                    pipe.zrem(failed.key, job_id)
                    pipe.delete(RqJob.key_for(job_id), result_stream(job_id), upload_key(job_id), annotated_key(job_id))
            pipe.execute()

    def keep_at_most(self, job_ids: Sequence[str], limit: int, keep_seconds: int) -> int:
        """Count ``job_ids`` among the kept jobs of this queue; beyond ``limit``, the oldest are forgotten (as
        ``forget``, and taken out of the queue should one still wait there). Returns how many went."""
        key = kept_key(self.queue.name)
        now = time.time()
        with self.connection.pipeline(transaction=False) as pipe:
            pipe.zadd(key, {job_id: now for job_id in job_ids})
            pipe.expire(key, keep_seconds)
            pipe.zremrangebyscore(key, "-inf", now - keep_seconds)  # expired on their own meanwhile
            pipe.zcard(key)
            count = int(pipe.execute()[-1])
        if count <= limit:
            return 0
        popped: list[tuple[bytes, float]] = self.connection.zpopmin(key, count - limit)  # type: ignore[assignment]
        oldest = [job_id.decode() for job_id, _score in popped]
        with self.connection.pipeline(transaction=False) as pipe:
            for job_id in oldest:
                pipe.lrem(self.queue.key, 0, job_id)
            pipe.execute()
        self.forget(oldest)
        return len(oldest)


def result_stream(job_id: str) -> str:
    """The Redis stream rq appends a job's every outcome to (success, failure, retry): ``XREAD`` on it wakes a
    waiter the moment a worker is done."""
    return Result.get_key(job_id)
