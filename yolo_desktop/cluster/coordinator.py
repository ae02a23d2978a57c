"""``detect --cluster``: list the inputs, queue chunks for the workers (and one job per video), follow them, merge
the parts.

Chunks are named after their images (``resume.chunk_id``) and their job ids after the batch, so running the same
command again never queues a chunk twice: a job already queued or running is left alone, one that failed is queued
afresh. The part files in OUT are the truth about what is done; Redis is only the way work gets to the workers, so
a Redis that restarts empty loses nothing but time (lost jobs are queued again).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import redis
from rq import Queue, Worker
from rq.job import Job as RqJob
from rq.job import JobStatus
from rq.registry import StartedJobRegistry

from ..inference.model_spec import ModelFiles, class_names
from ..pipeline.inputs import InputFile, InputProblem
from ..pipeline.resume import (
    PART_SUFFIX,
    BatchIdentity,
    PartStore,
    ResumeRefused,
    chunk_id,
    chunks,
    done_videos,
    image_key,
    is_done,
    video_part_id,
)
from ..records import settings_record
from ..results import BatchSummary
from ..settings import DetectorSettings
from ..video.output import VideoOutputResult
from .connection import RedisUnavailable, connect, reason, safe_url
from .merge import merge_parts
from .protocol import (
    CHUNK_FUNCTION,
    FAILURE_TTL,
    PROTOCOL,
    RESULT_TTL,
    SERIALIZER,
    VIDEO_FUNCTION,
    VIDEO_TIMEOUT,
    PathMap,
    chunk_timeout,
    job_failure,
    job_id,
    progress_key,
    retry_policy,
)

STATUS_EVERY_S = 3.0  # job states, abandoned jobs (dead workers), lost jobs (Redis restarted)
POLL_S = 0.1  # the parts folder and the progress hash: cheap, and the bar and the end are timely
MISSING_PART_GRACE_S = 15.0  # a finished job's part may take a moment to appear on shared storage
ON_ITS_WAY = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED)


@dataclass(frozen=True)
class ClusterOptions:
    """What a cluster batch needs besides its model, settings and inputs (``detect --cluster``'s flags)."""

    url: str = field(repr=False)  # Redis; may hold a password: shown only through ``safe_url``
    queue: str = "yolo-desktop"
    chunk: int = 256  # images per queued job (and part file)
    path_map: tuple[str, ...] = ()  # LOCAL=REMOTE: how the workers see the inputs and OUT (--path-map)
    resume: bool = False  # take the parts an earlier run finished; keep the parts at the end
    redis_wait: float = 60.0  # seconds to keep retrying when Redis goes away mid-batch
    formats: tuple[str, ...] = ("json", "csv")  # the batch's outputs, as the workers write them
    images: bool = True
    image_format: str = "auto"


class ClusterProgress(Protocol):
    """Where a batch reports while it runs (the CLI: a tqdm bar on stderr)."""

    def start(self, total: int) -> None:
        """``total`` images are to be done by the workers in this run."""

    def update(self, done: int) -> None:
        """Images done or being done so far (at most ``total``); called every poll, also when unchanged."""

    def say(self, message: str) -> None:
        """A line for the user: resuming, what was queued, Redis outages, chunks that failed for good."""

    def close(self) -> None:
        """The run is over (finished, failed or interrupted); called before any exception leaves."""


class ClusterError(Exception):
    """The batch cannot start or cannot go on (Redis unreachable, --resume refused, OUT not writable, Redis lost
    for longer than ``redis_wait``): the message says what and what to do."""


@dataclass(frozen=True)
class ClusterOutcome:
    summary: BatchSummary  # every input: processed, failed (why) and counts, as a local run's
    write_failures: list[tuple[str, str]]  # (output file, reason): batch-wide files that could not be written
    videos: list[dict] = field(default_factory=list)  # each video's detections.json record, in the order given

    @property
    def ok(self) -> bool:
        return not self.summary.failed and not self.write_failures


@dataclass(frozen=True)
class Chunk:
    name: str
    items: tuple[InputFile, ...]
    job_id: str
    video: bool = False  # one video (``jobs.detect_video``), not a chunk of photos

    @property
    def function(self) -> str:
        return VIDEO_FUNCTION if self.video else CHUNK_FUNCTION

    @property
    def timeout(self) -> int:
        return VIDEO_TIMEOUT if self.video else chunk_timeout(len(self.items))

    @property
    def description(self) -> str:
        if self.video:
            return f"yolo-desktop video {self.items[0].path}"
        return f"yolo-desktop chunk {self.name} ({len(self.items)} images)"


def batch_key(identity: BatchIdentity, out: Path) -> str:
    return hashlib.sha256(f"{identity.key}|{os.path.realpath(out)}".encode()).hexdigest()


def plan_chunks(items: Sequence[InputFile], done: Mapping[str, Any], size: int, key: str) -> list[Chunk]:
    """The images not done yet, in chunks of ``size`` taken in input order (the same command → the same chunks)."""
    planned = []
    for group in chunks(items, size):
        todo = tuple(item for item in group if not is_done(item, done))
        if todo:
            name = chunk_id("c", todo)
            planned.append(Chunk(name, todo, job_id(key, name)))
    return planned


def plan_videos(videos: Sequence[InputFile], done: Mapping[str, Any], key: str) -> list[Chunk]:
    """One job per video not done yet (named after the video: the same video → the same job)."""
    return [
        Chunk(video_part_id(v), (v,), job_id(key, video_part_id(v)), video=True) for v in videos if v.path not in done
    ]


class RedisLost(Exception):
    pass


@dataclass
class Coordinator:
    """Queues chunks and follows them until each has a part file or has failed for good."""

    connection: redis.Redis
    queue: Queue
    url: str
    store: PartStore
    payload: Callable[[Chunk], dict[str, Any]]
    progress: str  # the progress hash's key
    redis_wait: float = 60.0
    say: Callable[[str], None] = print
    records: dict[str, dict] = field(default_factory=dict)  # image key → part record (finished images)
    videos: dict[str, dict] = field(default_factory=dict)  # video path → its record (finished videos)
    unfinished: dict[str, str] = field(default_factory=dict)  # image key → why it failed for good
    failed_chunks: int = 0

    def submit(self, planned: Sequence[Chunk]) -> int:
        """Queue every chunk not already on its way (idempotent); returns how many were queued now."""
        jobs = RqJob.fetch_many([c.job_id for c in planned], connection=self.connection, serializer=SERIALIZER)
        fresh = []
        for chunk, job in zip(planned, jobs):
            if job is not None:
                status = job.get_status(refresh=False)
                if status in ON_ITS_WAY:
                    continue
                if status == JobStatus.FINISHED and self.store.part_path(chunk.name).is_file():
                    continue
                job.delete()  # failed, stopped, or finished without a part: queued again, with fresh tries
            fresh.append(
                Queue.prepare_data(
                    chunk.function,
                    args=(self.payload(chunk),),
                    job_id=chunk.job_id,
                    timeout=chunk.timeout,
                    result_ttl=RESULT_TTL,
                    failure_ttl=FAILURE_TTL,
                    retry=retry_policy(),
                    description=chunk.description,
                )
            )
        if fresh:
            with self.connection.pipeline() as pipe:
                self.queue.enqueue_many(fresh, pipeline=pipe)
                pipe.execute()
        return len(fresh)

    def run(self, planned: Sequence[Chunk], progress: Callable[[int], None]) -> None:
        """Until every chunk is done or failed; ``progress`` gets the images done or in progress at each poll.
        Raises ``RedisLost`` after ``redis_wait`` s without Redis."""
        pending = {c.name: c for c in planned}
        total = sum(len(c.items) for c in planned)
        done_images = 0
        last_ok = time.monotonic()
        last_status = 0.0
        last_progress = (time.monotonic(), -1)
        outage = False
        missing_since: dict[str, float] = {}
        hinted = False
        while pending:
            now = time.monotonic()
            done_images += self._collect(pending)
            in_flight = 0
            try:
                if pending:
                    counts: dict[bytes, bytes] = self.connection.hgetall(self.progress)  # type: ignore[assignment]
                    in_flight = sum(int(v) for k, v in counts.items() if k.decode() in pending)
                    if now - last_status >= STATUS_EVERY_S:
                        last_status = now
                        self._check_jobs(pending, missing_since, now)
                        if not hinted and now - last_progress[0] > 20 and Worker.count(queue=self.queue) == 0:
                            hinted = True
                            self.say(
                                f"no worker is listening on queue {self.queue.name!r} at {safe_url(self.url)}; "
                                f"start some with: yolo-desktop worker --redis {safe_url(self.url)}"
                            )
                if outage:
                    outage = False
                    self.say(f"Redis at {safe_url(self.url)} is back")
                last_ok = now
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
                if now - last_ok > self.redis_wait:
                    raise RedisLost(reason(exc)) from None
                if not outage:
                    outage = True
                    self.say(
                        f"Redis at {safe_url(self.url)} is unreachable ({reason(exc)}); retrying for up to "
                        f"{self.redis_wait:.0f} s"
                    )
            position = done_images + in_flight
            if position != last_progress[1]:
                last_progress = (now, position)
            progress(min(total, position))
            if pending:
                time.sleep(POLL_S)

    def _collect(self, pending: dict[str, Chunk]) -> int:
        """Chunks whose part file has appeared: their records are taken; returns the images they hold."""
        try:
            present = set(os.listdir(self.store.folder))
        except OSError:
            return 0
        images = 0
        for name in [n for n in pending if f"{n}{PART_SUFFIX}" in present]:
            part = self.store.read(name)
            if part is None:
                continue  # being replaced right now; read next time
            chunk = pending.pop(name)
            if isinstance(part.get("video"), dict):
                self.videos[part["video"]["path"]] = part["video"]
            for record in part.get("images", ()):
                self.records[record["key"]] = {
                    **record,
                    "engine": part.get("engine"),
                    "engine_description": part.get("engine_description"),
                    "input_size": part.get("input_size"),
                }
            images += len(chunk.items)
        return images

    def _check_jobs(self, pending: dict[str, Chunk], missing_since: dict[str, float], now: float) -> None:
        # Jobs of dead workers (their heartbeats stopped) go back to the queue while tries are left.
        StartedJobRegistry(queue=self.queue).cleanup()
        chunks_now = list(pending.values())
        jobs = RqJob.fetch_many([c.job_id for c in chunks_now], connection=self.connection, serializer=SERIALIZER)
        lost = []
        for chunk, job in zip(chunks_now, jobs):
            if job is None:
                lost.append(chunk)  # Redis restarted empty (or the job expired): queue it again
                continue
            status = job.get_status(refresh=False)
            if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
                self._give_up(pending, chunk, job_failure(job))
            elif status == JobStatus.FINISHED:
                first = missing_since.setdefault(chunk.name, now)
                if now - first > MISSING_PART_GRACE_S:
                    receipt = job.return_value() or {}
                    self._give_up(
                        pending,
                        chunk,
                        f"its worker wrote {receipt.get('part', 'a part file')} but {self.store.part_path(chunk.name)} "
                        f"does not exist here: do the workers see OUT under the same path? (see --path-map)",
                    )
        if lost:
            self.submit(lost)

    def _give_up(self, pending: dict[str, Chunk], chunk: Chunk, why: str) -> None:
        pending.pop(chunk.name, None)
        self.failed_chunks += 1
        self.say(f"chunk {chunk.name} ({len(chunk.items)} images) failed: {why}")
        for item in chunk.items:
            self.unfinished[image_key(item)] = f"not processed: {why}"


def run_cluster(
    options: ClusterOptions,
    model: ModelFiles,
    settings: DetectorSettings,
    identity: BatchIdentity,
    out: Path,
    items: list[InputFile],
    problems: list[InputProblem],
    progress: ClusterProgress,
    videos: Sequence[InputFile] = (),
    footage: Mapping[str, Any] | None = None,
) -> ClusterOutcome:
    """A batch on the queue workers, from the listed inputs to OUT's merged files. Raises ``ClusterError`` when it
    cannot start or Redis is gone for good; KeyboardInterrupt leaves queued chunks queued (``--resume`` collects
    them). ``videos``: one job each, with ``footage`` (``video.footage.footage_record``) saying how."""
    url = options.url
    try:
        path_map = PathMap.parse(options.path_map)
        connection = connect(url)
        names = list(class_names(model))
        store = PartStore(out)
        done = store.start(identity, resume=options.resume)
    except (RedisUnavailable, ResumeRefused, ValueError) as exc:
        raise ClusterError(str(exc)) from None
    except OSError as exc:
        raise ClusterError(f"cannot write to output folder {out}: {exc.strerror or exc}") from None
    key = batch_key(identity, out)
    videos_done = done_videos(store) if options.resume else {}
    planned = plan_chunks(items, done, options.chunk, key) + plan_videos(videos, videos_done, key)
    size = int(identity.settings["size"])
    base = {
        "protocol": PROTOCOL,
        "batch": key,
        "model": dict(identity.model),
        "settings": settings_record(settings, size),
        "out": path_map.remote(out),
        "formats": list(options.formats),
        "images": options.images,
        "image_format": options.image_format,
        "progress_key": progress_key(key),
    }

    def payload(chunk: Chunk) -> dict[str, Any]:
        items_payload = [[path_map.remote(i.path), i.path, i.rel_dir, i.stem] for i in chunk.items]
        if chunk.video:
            return {**base, "chunk": chunk.name, "video": items_payload[0], "footage": dict(footage or {})}
        return {**base, "chunk": chunk.name, "items": items_payload}

    todo = sum(len(c.items) for c in planned)
    progress.start(todo)
    coordinator = Coordinator(
        connection,
        Queue(options.queue, connection=connection, serializer=SERIALIZER),
        url,
        store,
        payload,
        progress_key(key),
        options.redis_wait,
        say=progress.say,
    )
    coordinator.records.update(done)
    coordinator.videos.update(videos_done)
    started = time.perf_counter()
    try:
        inputs = len(items) + len(videos)
        if inputs > todo:
            progress.say(f"Resuming: {inputs - todo} of {inputs} {'inputs' if videos else 'images'} already done")
        queued = coordinator.submit(planned)
        progress.say(
            f"{len(planned)} chunk(s) of up to {options.chunk} images for the workers on {safe_url(url)} "
            f"(queue {options.queue!r}; {queued} queued now, {len(planned) - queued} already on their way)"
        )
        progress.say(f"batch {key[:12]} (see: yolo-desktop cluster status {key[:12]} --redis …)")
        coordinator.run(planned, progress.update)
    except (RedisLost, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        left = [c for c in planned if not store.part_path(c.name).is_file()]
        raise ClusterError(
            f"Redis at {safe_url(url)} unreachable for more than {options.redis_wait:.0f} s ({exc}); {len(left)} of "
            f"{len(planned)} chunks ({sum(len(c.items) for c in left)} images) are not finished. What the workers "
            f"finish is kept in {store.folder}; run the same command with --resume to finish the batch."
        ) from None
    finally:
        progress.close()
    seconds = time.perf_counter() - started
    video_records = [
        coordinator.videos.get(v.path)
        or VideoOutputResult.unreadable(v.path, coordinator.unfinished.get(image_key(v), "not processed")).record
        for v in videos
    ]
    results, report = merge_parts(
        out,
        items,
        problems,
        coordinator.records,
        coordinator.unfinished,
        model,
        names,
        settings,
        identity.outputs,
        seconds,
        video_records,
    )
    _tidy(connection, key, store, keep=options.resume or bool(coordinator.unfinished))
    return ClusterOutcome(BatchSummary.of(results, seconds), report.failed, video_records)


def _tidy(connection: redis.Redis, key: str, store: PartStore, keep: bool) -> None:
    """The batch is merged: drop its progress hash; drop the parts too unless they are wanted for --resume (OUT
    then holds exactly what a local run writes)."""
    try:
        connection.delete(progress_key(key))
    except redis.exceptions.RedisError:
        pass
    if not keep:
        store.clear()
