"""The window's side of cluster mode, without Qt: small jobs of the session's files go to the workers and come back
as results with candidates (so thresholds still re-filter without the network). ``ui/cluster_worker.py`` drives it
from its thread and turns what ``poll`` returns into the same signals the local worker emits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import redis
from rq import Queue, Worker
from rq.job import Job as RqJob
from rq.job import JobStatus

from ..inference.model_spec import ModelFiles, class_names, input_size_of, model_fingerprint
from ..records import result_from_dict, settings_record
from ..results import ImageResult
from ..settings import DetectorSettings
from .connection import connect, reason, safe_url
from .protocol import (
    DEFAULT_QUEUE,
    FAILURE_TTL,
    FILES_FUNCTION,
    PROTOCOL,
    SERIALIZER,
    PathMap,
    chunk_timeout,
    job_failure,
    retry_policy,
)

FILES_RESULT_TTL = 3600
JOB_SIZE = 4  # images per job: small, so results stream back and every worker gets some


@dataclass(frozen=True)
class FileOrder:
    tag: int  # the caller's handle (the session's request id)
    path: str


@dataclass
class _Pending:
    job_id: str
    orders: list[FileOrder]
    announced: bool = False


@dataclass(frozen=True)
class Event:
    kind: str  # "started" | "finished"
    order: FileOrder
    result: ImageResult | None = None  # for "finished"


@dataclass
class FileJobs:
    """Files for the workers of one model (and precision/size) through one Redis."""

    url: str
    model: ModelFiles
    settings: DetectorSettings
    queue_name: str = DEFAULT_QUEUE
    path_map: PathMap = field(default_factory=PathMap)

    def __post_init__(self) -> None:
        self.connection: redis.Redis = connect(self.url)
        self.queue = Queue(self.queue_name, connection=self.connection, serializer=SERIALIZER)
        self.fingerprint = model_fingerprint(self.model)
        self.size = input_size_of(self.model, self.settings.size)
        self.names = class_names(self.model)
        self._pending: dict[str, _Pending] = {}

    def workers(self) -> int:
        """Workers alive on the queue that run this model and precision."""
        count = 0
        for worker in Worker.all(queue=self.queue):
            data = self.connection.hmget(worker.key, ["yd_weights_sha256", "yd_precision"])
            sha, precision = (v.decode() if v is not None else None for v in data)  # type: ignore[union-attr]
            count += sha == self.fingerprint["weights_sha256"] and precision == self.settings.precision
        return count

    @property
    def description(self) -> str:
        return f"{self.workers()} worker(s) at {safe_url(self.url)}"

    @property
    def in_flight(self) -> int:
        return sum(len(p.orders) for p in self._pending.values())

    def submit(self, orders: Sequence[FileOrder], settings: DetectorSettings) -> str:
        job_id = f"files-{uuid.uuid4().hex}"
        self.queue.enqueue(
            FILES_FUNCTION,
            {
                "protocol": PROTOCOL,
                "model": self.fingerprint,
                "settings": settings_record(settings, self.size),
                "items": [[self.path_map.remote(o.path), o.path] for o in orders],
            },
            job_id=job_id,
            job_timeout=chunk_timeout(len(orders)),
            result_ttl=FILES_RESULT_TTL,
            failure_ttl=FAILURE_TTL,
            retry=retry_policy(),
            description=f"yolo-desktop window: {len(orders)} image(s)",
        )
        self._pending[job_id] = _Pending(job_id, list(orders))
        return job_id

    def cancel(self, tags: set[int]) -> None:
        """Drop these orders; a job none of whose orders is wanted any more is taken off the queue."""
        for job_id, pending in list(self._pending.items()):
            pending.orders = [o for o in pending.orders if o.tag not in tags]
            if not pending.orders:
                del self._pending[job_id]
                try:
                    RqJob.fetch(job_id, connection=self.connection, serializer=SERIALIZER).cancel()
                except Exception:  # already running, finished or gone: its results are simply not wanted
                    pass

    def poll(self) -> list[Event]:
        """What happened since the last call: jobs started, images finished (a failed job fails its images)."""
        if not self._pending:
            return []
        ids = list(self._pending)
        try:
            jobs = RqJob.fetch_many(ids, connection=self.connection, serializer=SERIALIZER)
        except redis.exceptions.RedisError as exc:
            return self._fail_all(f"Redis at {safe_url(self.url)} unreachable: {reason(exc)}")
        events: list[Event] = []
        for job_id, job in zip(ids, jobs):
            pending = self._pending[job_id]
            status = job.get_status(refresh=False) if job is not None else None
            if status == JobStatus.STARTED and not pending.announced:
                pending.announced = True
                events += [Event("started", o) for o in pending.orders]
            elif status == JobStatus.FINISHED and job is not None:
                del self._pending[job_id]
                value = job.return_value() or {}
                by_path = {w["path"]: result_from_dict(w, self.names) for w in value.get("results", [])}
                for order in pending.orders:
                    result = by_path.get(order.path) or ImageResult(path=order.path, error="no result came back")
                    events.append(Event("finished", order, result))
            elif status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED) or job is None:
                del self._pending[job_id]
                why = job_failure(job) if job is not None else "the job was lost (Redis restarted?)"
                events += [
                    Event("finished", o, ImageResult(path=o.path, error=f"not processed on the workers: {why}"))
                    for o in pending.orders
                ]
        return events

    def _fail_all(self, why: str) -> list[Event]:
        events = [
            Event("finished", o, ImageResult(path=o.path, error=why)) for p in self._pending.values() for o in p.orders
        ]
        self._pending.clear()
        return events
