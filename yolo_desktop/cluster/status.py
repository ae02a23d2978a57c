"""``yolo-desktop cluster status [BATCH]``: queued / running / done / failed chunks, and the workers alive."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import redis
from rq import Queue, Worker
from rq.registry import FailedJobRegistry, FinishedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from ..pipeline.resume import MANIFEST, PART_SUFFIX, PARTS_DIR
from .protocol import SERIALIZER


@dataclass(frozen=True)
class WorkerInfo:
    name: str
    host: str
    pid: int
    state: str
    job: str | None
    model: str
    precision: str
    model_loads: int
    heartbeat_age: float | None  # seconds since its last heartbeat


@dataclass(frozen=True)
class QueueStatus:
    queue: str
    batch: str | None
    queued: int
    running: int
    scheduled: int  # waiting to be retried
    finished: int  # receipts still in Redis (kept for a short while)
    failed: int
    parts: int | None  # part files in OUT, when BATCH was given as OUT
    workers: tuple[WorkerInfo, ...]


def batch_of(target: str) -> tuple[str, Path | None]:
    """BATCH as printed by ``detect --cluster`` (a prefix of the batch key), or the batch's OUT folder."""
    out = Path(target)
    manifest = out / PARTS_DIR / MANIFEST
    if manifest.is_file():
        record = json.loads(manifest.read_text(encoding="utf-8"))
        identity_key = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()
        key = hashlib.sha256(f"{identity_key}|{os.path.realpath(out)}".encode()).hexdigest()  # coordinator.batch_key
        return key[:12], out
    return target, None


def _count(ids: list[str], prefix: str | None) -> int:
    return len(ids) if prefix is None else sum(1 for i in ids if i.startswith(prefix))


def _field(data: dict[bytes, bytes], name: str, default: str = "") -> str:
    value = data.get(name.encode())
    return value.decode() if value is not None else default


def queue_status(connection: redis.Redis, queue_name: str, target: str | None = None) -> QueueStatus:
    queue = Queue(queue_name, connection=connection, serializer=SERIALIZER)
    batch, out = batch_of(target) if target else (None, None)
    prefix = f"yd-{batch}" if batch else None
    counts = [
        _count(ids, prefix)
        for ids in (
            queue.get_job_ids(),
            StartedJobRegistry(queue=queue).get_job_ids(),
            ScheduledJobRegistry(queue=queue).get_job_ids(),
            FinishedJobRegistry(queue=queue).get_job_ids(),
            FailedJobRegistry(queue=queue).get_job_ids(),
        )
    ]
    parts = None
    if out is not None:
        parts = sum(1 for _ in (out / PARTS_DIR).glob(f"*{PART_SUFFIX}"))
    now = datetime.now(timezone.utc)
    workers = []
    for worker in Worker.all(queue=queue):
        data: dict[bytes, bytes] = connection.hgetall(worker.key)  # type: ignore[assignment]
        beat = worker.last_heartbeat
        age = (now - beat.replace(tzinfo=timezone.utc)).total_seconds() if beat is not None else None
        workers.append(
            WorkerInfo(
                name=worker.name,
                host=_field(data, "yd_host", worker.hostname or ""),
                pid=int(worker.pid or 0),
                state=str(worker.get_state()),
                job=worker.get_current_job_id(),
                model=_field(data, "yd_model", "?"),
                precision=_field(data, "yd_precision", "?"),
                model_loads=int(_field(data, "yd_model_loads", "0") or 0),
                heartbeat_age=age,
            )
        )
    queued, running, scheduled, finished, failed = counts
    return QueueStatus(queue_name, batch, queued, running, scheduled, finished, failed, parts, tuple(workers))


def format_status(status: QueueStatus) -> str:
    what = f"batch {status.batch}" if status.batch else "all batches"
    lines = [
        f"queue {status.queue!r}, {what}: {status.queued} queued, {status.running} running, "
        f"{status.scheduled} waiting to retry, {status.failed} failed, {status.finished} finished (recent)"
    ]
    if status.parts is not None:
        lines.append(f"part files in OUT: {status.parts} chunk(s) done")
    lines.append(f"{len(status.workers)} worker(s) alive:")
    for w in status.workers:
        age = f"{w.heartbeat_age:.0f} s ago" if w.heartbeat_age is not None else "never"
        job = f" on {w.job}" if w.job else ""
        lines.append(
            f"  {w.host} pid {w.pid}: {w.state}{job}; {w.model} {w.precision} (loaded {w.model_loads}×); "
            f"heartbeat {age}"
        )
    return "\n".join(lines)


def status_record(status: QueueStatus) -> dict[str, Any]:
    return asdict(status)
