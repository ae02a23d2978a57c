"""The functions queue workers run (named in jobs by import path; arguments and return values are JSON).

Each drives the one pipeline on the worker's main thread (the model's owner) with the worker's loaded model:
``detect_chunk`` writes a chunk's per-image outputs and then its part file into the batch's OUT (shared storage),
``detect_video`` the same for one video;
``detect_files`` and ``detect_upload`` return results through Redis (the window, the HTTP service).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import redis
from rq import get_current_job
from rq.job import Job as RqJob

from ..export.images import annotated_jpeg_bytes, full_size
from ..export.writer import BackgroundWriter, BatchWriter
from ..imaging.read import load_bytes
from ..inference.engines.lanes import default_lanes
from ..pipeline.inputs import InputFile
from ..pipeline.resume import PartStore, failures_of, result_record, write_video_part
from ..pipeline.run import Job, Pipeline
from ..pipeline.tiling import SERVICE_MAX_TILES
from ..records import result_to_dict, settings_from_record
from ..video.footage import footage_from_record
from ..video.run import process_video
from .protocol import PROGRESS_TTL, SECONDS_FIELD, UPLOAD_RESULT_TTL, annotated_key, counts_key, upload_key
from .worker import ModelWorker, current_worker

PROGRESS_EVERY_S = 0.5


def _context() -> tuple[ModelWorker, RqJob]:
    job = get_current_job()
    if job is None:
        raise RuntimeError("not running as an rq job")
    return current_worker(), job


class _Progress:
    """Images done in this chunk → the batch's progress hash (best effort: Redis may be away for a moment)."""

    def __init__(self, worker: ModelWorker, job: RqJob, key: str | None, chunk: str) -> None:
        self.worker, self.job, self.key, self.chunk = worker, job, key, chunk
        self._last = 0.0

    def update(self, done: int, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self._last < PROGRESS_EVERY_S:
            return
        self._last = now
        try:
            self.worker.beat(self.job, force=final)
            if self.key:
                with self.worker.connection.pipeline() as pipe:
                    pipe.hset(self.key, self.chunk, done)
                    pipe.expire(self.key, PROGRESS_TTL)
                    pipe.execute()
        except redis.exceptions.ConnectionError:
            pass  # the outputs are on disk; progress is only for the coordinator's bar


def detect_chunk(payload: dict[str, Any]) -> dict[str, Any]:
    worker, job = _context()
    settings = settings_from_record(payload["settings"])
    detector = worker.detector(settings)
    out = Path(payload["out"])
    writer = BackgroundWriter(
        BatchWriter(
            out,
            payload["formats"],
            images=payload["images"],
            image_format=payload["image_format"],
            names=detector.names,
        )
    )
    # The worker reads ``remote``; results and messages name the file as the coordinator knows it.
    inputs = [
        Job(name=name, path=remote, tag=InputFile(remote, rel_dir, stem), settings=settings)
        for remote, name, rel_dir, stem in payload["items"]
    ]
    progress = _Progress(worker, job, payload.get("progress_key"), payload["chunk"])
    finished: list[tuple[InputFile, Any]] = []
    try:
        for done in Pipeline(detector, lanes=default_lanes()).run(inputs):
            result = replace(done.result, candidates=None)
            writer.add(done.job.tag, result, done.image)
            finished.append((done.job.tag, result))
            progress.update(len(finished))
        writer.drain()  # the part file is written only once every image's files are
    finally:
        writer.close()
    failed = writer.failed
    records = [result_record(item, result, failures_of(item, out, failed)) for item, result in finished]
    part = PartStore(out).write(
        payload["chunk"],
        records,
        {
            "batch": payload.get("batch"),
            "engine": detector.engine.name,
            "engine_description": detector.engine_summary,
            "input_size": detector.input_size,
            "worker": worker.name,
            "pid": os.getpid(),
            "model_loads": worker.model_loads,
        },
    )
    progress.update(len(finished), final=True)
    return {
        "images": len(finished),
        "failed": sum(1 for _, r in finished if not r.ok),
        "write_failures": len(failed),
        "part": str(part),
        "worker": worker.name,
    }


def detect_files(payload: dict[str, Any]) -> dict[str, Any]:
    worker, job = _context()
    settings = settings_from_record(payload["settings"])
    detector = worker.detector(settings)
    inputs = [Job(name=name, path=remote, settings=settings) for remote, name in payload["items"]]
    results = []
    for done in Pipeline(detector, lanes=default_lanes()).run(inputs):
        results.append(result_to_dict(done.result, timings=True, candidates=True))
        worker.beat(job)
    return {"results": results, "engine": detector.engine.name, "input_size": detector.input_size}


class UploadGone(Exception):
    """The upload's bytes expired from Redis before a worker took its job."""


def detect_upload(payload: dict[str, Any]) -> dict[str, Any]:
    """One uploaded image (its bytes in ``upload_key``) → its result with candidates; with ``annotate``, the
    annotated JPEG at full size goes to ``annotated_key`` (raw bytes, kept ``keep_seconds``). The upload's key is
    deleted once the result is made (a retry after a crash still finds it)."""
    worker, job = _context()
    loads = worker.model_loads
    settings = settings_from_record(payload["settings"])
    detector = worker.detector(settings)
    # The service admits by the time an image takes: not the model's load, nor a new model's first (lazy) run.
    timed = worker.model_loads == loads
    start = time.perf_counter()
    connection = worker.connection
    data: bytes | None = connection.get(upload_key(job.id))  # type: ignore[assignment]
    name = payload["name"]
    if data is None:
        raise UploadGone(f"{name}: the upload expired from Redis before a worker took its job (no worker in time?)")
    done = next(iter(Pipeline(detector, max_tiles=SERVICE_MAX_TILES).run([Job.upload(data, name, settings=settings)])))
    annotated = False
    with connection.pipeline() as pipe:
        if payload.get("annotate") and done.result.ok and done.image is not None:
            jpeg = annotated_jpeg_bytes(full_size(done.image, lambda: load_bytes(data, name)), done.result)
            pipe.set(annotated_key(job.id), jpeg, ex=int(payload.get("keep_seconds") or UPLOAD_RESULT_TTL))
            annotated = True
        pipe.delete(upload_key(job.id))
        for label, count in Counter(done.result.detections.labels).items():
            pipe.hincrby(counts_key(job.origin), label, count)
        if done.result.ok and timed:
            pipe.hset(worker.key, SECONDS_FIELD, worker.timed(time.perf_counter() - start))
        pipe.execute()
    return {
        "result": result_to_dict(done.result, timings=True, candidates=True),
        "annotated": annotated,
        "engine": detector.engine.name,
        "engine_description": detector.engine_summary,
        "input_size": detector.input_size,
        "settings": payload["settings"],
    }


def detect_video(payload: dict[str, Any]) -> dict[str, Any]:
    """One video of a ``detect --cluster`` batch: its outputs into OUT (shared storage) with the batch's footage
    options (its folder's saved zones read there too), then its part file. Heartbeats between frames; a stop
    (Ctrl+C) waits for the video to end, as for a chunk."""
    worker, job = _context()
    settings = settings_from_record(payload["settings"])
    detector = worker.detector(settings)
    out = Path(payload["out"])
    remote, name, rel_dir, stem = payload["video"]
    frames, options, setups = footage_from_record(payload["footage"])
    item = InputFile(remote, rel_dir, stem)
    progress = _Progress(worker, job, payload.get("progress_key"), payload["chunk"])
    outcome = process_video(
        detector,
        item,
        out,
        options,
        quiet=True,
        frames=frames,
        choose=partial(setups.choose, item, options),
        on_frame=lambda _read: progress.update(0),
        ctrl_c=False,
        settings=settings,  # this job's thresholds and classes: the worker's detector serves every job
    )
    record = {**outcome.record, "path": name}  # named as the coordinator knows it
    part = write_video_part(PartStore(out), InputFile(name, rel_dir, stem), record, outcome.failed)
    progress.update(1, final=True)
    return {"video": name, "error": record["error"], "part": str(part), "worker": worker.name}
