"""The light front (``serve --redis URL``): a backend that loads no model and sends every image to queue workers.

Each upload becomes one rq job (``cluster.async_jobs``: small JSON, the bytes in their own key); the workers —
``yolo-desktop worker`` on this or other machines — detect it with the model they hold and put the result back
in Redis. Asynchronous requests (``POST /v1/jobs``, ``/upload?async=1``) get the job's id at once; synchronous ones
(``/upload``, DeepStack, ``/v1/detect``) wait for their jobs (``queue_watch.ResultWatch``) and answer as a server
with its own model would — same records, same numbers. Nothing is kept in this process: any front sharing the
Redis answers ``/view/<id>`` and ``/v1/jobs/<id>``, and the results expire in Redis after ``keep_minutes``.

Every Redis round trip runs on a worker thread, never on the event loop; a Redis that cannot be reached is a 503
naming it (never a 500), and the front recovers on its own when Redis is back (``queue_watch.QueueMonitor``).

Admission (``admission``): a request would wait for the jobs queued in Redis (every front's, ``LLEN``), done by
the live workers at the rates they publish (``yd_seconds_per_image``), so its expected wait is queued ÷ the workers'
images per second; checked before the body is read (with the images this process holds) and again when submitting
(with the queue's length in Redis). The uploads this process holds have its memory budget; Redis holds at most
``--queue`` queued jobs' uploads.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import anyio
import redis
from rq import Queue

from ..cluster.async_jobs import JOB_ID, AsyncDetections, AsyncState
from ..cluster.connection import reason, safe_url
from ..cluster.protocol import SERIALIZER, counts_key
from ..inference.model_spec import (
    ModelFiles,
    ModelInfo,
    UnknownClasses,
    check_classes,
    class_names,
    input_size_of,
    model_fingerprint,
)
from ..models.installed import resolve_model
from ..records import settings_from_record
from ..results import ImageResult
from ..settings import DetectorSettings
from .admission import Admission, Estimate
from .backend import (
    Detected,
    DetectOptions,
    JobState,
    QueueFull,
    Readiness,
    RequestError,
    Ticket,
    Unavailable,
    Upload,
)
from .config import ServiceConfig
from .queue_watch import REDIS_ERRORS, QueueHealth, QueueMonitor, ResultWatch
from .replies import error_status, failure_message

T = TypeVar("T")
SYNC_KEEP_SECONDS = 300  # a synchronous request's job, until its reply is made (then it is deleted)
SYNC_WAIT_SECONDS = 120.0  # a synchronous request waits this long for the workers, then gets 504
REDIS_THREADS = 16  # Redis round trips at once (each a short blocking call on a worker thread)


class SharedCounts:
    """``/counts`` with queue workers: the workers count every upload they detect in one Redis hash per queue, so
    every front answers the same (the original service's counter lived in Redis too)."""

    def __init__(self, connection: redis.Redis, key: str, safe_url: str) -> None:
        self.connection, self.key, self.safe_url = connection, key, safe_url

    def add(self, results: Sequence[ImageResult]) -> None:
        pass  # counted by the workers

    def snapshot(self) -> dict[str, int]:
        try:
            raw: dict[bytes, bytes] = self.connection.hgetall(self.key)  # type: ignore[assignment]
        except REDIS_ERRORS as exc:
            raise Unavailable(f"lost Redis at {self.safe_url}: {reason(exc)}") from None
        counts = {label.decode(): int(count) for label, count in raw.items()}
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


class QueueBackend:
    def __init__(self, config: ServiceConfig) -> None:
        if not config.redis:
            raise ValueError("QueueBackend needs a Redis URL")
        self.config = config
        self.url = config.redis
        self.safe_url = safe_url(config.redis)
        self.keep_seconds = max(1, round(config.keep_minutes * 60))
        self._error: str | None = None  # the model's files could not be read (for good)
        self.admission = Admission(config.max_wait, config.upload_memory_bytes)
        # A worker's seconds per image until it says (it publishes its own after its first image): the moving
        # average of what this front's synchronous replies took, starting from a cautious guess.
        self._seconds_per_job = 0.1
        self._limiter = anyio.CapacityLimiter(REDIS_THREADS)
        self.files: ModelFiles | None = None
        self.names: tuple[str, ...] = ()
        self.input_size: int | None = None  # the default one (the server's --size, or the cfg's)
        self.monitor: QueueMonitor | None = None
        self.watch: ResultWatch | None = None
        self.bridge: AsyncDetections | None = None
        # Connections are made when first used; timeouts keep a request from hanging on a Redis that went away.
        self.connection = redis.Redis.from_url(
            self.url, socket_connect_timeout=3, socket_timeout=10, health_check_interval=30
        )
        self.counts = SharedCounts(self.connection, counts_key(config.queue_name), self.safe_url)

    # ----- lifecycle ----------------------------------------------------------------------------------------
    def start(self) -> None:
        """Read the model's files (names, cfg, sha256s: the workers refuse jobs for another model); no model is
        loaded and Redis is not contacted here (the monitor does, in the background)."""
        config = self.config
        try:
            files = resolve_model(config.model, config.cfg, config.weights, config.names, config.onnx)
            self.names = class_names(files)
            self.input_size = input_size_of(files, config.default_settings().size)
            fingerprint = model_fingerprint(files)
        except Exception as exc:  # the process stays up and says why on /v2/health/ready
            self._error = f"model files: {exc}"
            return
        self.files = files
        connection = self.connection
        self.bridge = AsyncDetections(
            self.url, files, queue=config.queue_name, connection=connection, fingerprint=fingerprint, names=self.names
        )
        queue = Queue(config.queue_name, connection=connection, serializer=SERIALIZER)
        self.monitor = QueueMonitor(self.url, queue, fingerprint, config.precision).start()
        self.watch = ResultWatch(self.bridge, self.url).start()

    def stop(self) -> None:
        if self.watch is not None:
            self.watch.stop()
        if self.monitor is not None:
            self.monitor.stop()

    # ----- readiness and admission --------------------------------------------------------------------------
    def _health(self) -> QueueHealth | None:
        return self.monitor.health if self.monitor is not None else None

    def readiness(self) -> Readiness:
        """Ready = Redis reachable and at least one worker alive that runs this front's model and precision."""
        if self._error is not None:
            return Readiness("failed", self._error, {"pid": os.getpid(), "redis": self.safe_url})
        health = self._health()
        details: dict[str, Any] = {
            "pid": os.getpid(),
            "model_loads": 0,  # a light front: the workers hold the model
            "redis": self.safe_url,
            "queue_name": self.config.queue_name,
            "queue": self.config.redis_queue,
            **self.admission.record(self._estimate(health, health.queued if health else 0)),
        }
        if health is None:
            return Readiness("loading", "checking Redis", details)
        details.update(
            queued=health.queued,
            running=health.running,
            workers=[w.record() for w in health.workers],
            models=[self._model_record(health)],
        )
        if not health.reachable:
            return Readiness("unavailable", health.error, details)
        if not health.matching:
            return Readiness("unavailable", self._no_worker(health), details)
        return Readiness("ready", None, details)

    def _model_record(self, health: QueueHealth) -> dict[str, Any]:
        """What the drop page and /v2/health/ready show of the model: the workers'."""
        return {
            "name": self.files.name if self.files else self.config.model,
            "input_size": self.input_size,
            "precision": self.config.precision,
            "engine": f"{health.matching} queue worker(s)",
            "classes": len(self.names),
        }

    def _wanted(self) -> str:
        name = self.files.name if self.files else (self.config.model or "the default model")
        return f"{name} ({self.config.precision})"

    def _no_worker(self, health: QueueHealth) -> str:
        where = f"queue '{self.config.queue_name}' at {self.safe_url}"
        if not health.workers:
            return f"no queue worker is alive on {where}; start one: yolo-desktop worker --redis URL"
        others = ", ".join(sorted({f"{w.model} ({w.precision})" for w in health.workers}))
        return (
            f"no queue worker on {where} runs {self._wanted()}: {len(health.workers)} worker(s) run {others}; "
            f"start workers with this front's model and precision (or serve with theirs)"
        )

    def _estimate(self, health: QueueHealth | None, queued: int) -> Estimate:
        """The wait behind ``queued`` jobs: the matching workers together do Σ 1/seconds images per second."""
        seconds = [w.seconds_per_image or self._seconds_per_job for w in health.workers if w.matches] if health else []
        if not seconds:
            return Estimate(queued, self._seconds_per_job, 0)
        rate = sum(1 / max(s, 1e-6) for s in seconds)
        return Estimate(queued, len(seconds) / rate, len(seconds))  # the harmonic mean, times the workers

    def admit(self, size: int) -> Ticket:
        health = self._health()
        if self._error is not None:
            raise Unavailable(f"the front cannot send jobs: {self._error}")
        if health is not None and not health.reachable:
            raise Unavailable(health.error or f"cannot reach Redis at {self.safe_url}")
        # Before the body is read: the images this process holds (being received, queued or detected) — exact, where
        # the queue length the monitor saw may be half a second old; ``_submit`` checks Redis's, every front's.
        # Without a worker only jobs come this far (they wait for one, up to ``--queue``).
        estimate = self._estimate(health, self.admission.ahead)
        if not estimate.parallel:
            estimate = Estimate(0, estimate.seconds, 0)
        return self.admission.admit(size, estimate)

    # ----- detection ------------------------------------------------------------------------------------------
    async def _redis(self, function: Callable[..., T], *args: Any) -> T:
        """A blocking Redis call on a worker thread; a lost Redis becomes ``Unavailable`` (503 with the reason)."""
        try:
            return await anyio.to_thread.run_sync(function, *args, limiter=self._limiter)
        except REDIS_ERRORS as exc:
            message = f"lost Redis at {self.safe_url}: {reason(exc)}"
            if self.monitor is not None:
                self.monitor.lost(message)
            raise Unavailable(message) from None

    def _settings(self, options: DetectOptions) -> DetectorSettings:
        """The request's settings, if the workers can serve them: the model and precision are the front's (the
        workers refuse others), the classes must be the model's."""
        files = self.files
        assert files is not None
        if options.model and options.model != files.name:
            raise RequestError(
                f"model '{options.model}': this server's queue workers run {self._wanted()}; run another "
                f"'serve --redis … --queue-name …' with workers for that model",
                400,
            )
        if options.precision and options.precision != self.config.precision:
            raise RequestError(
                f"precision '{options.precision}': this server's queue workers run {self._wanted()}", 400
            )
        settings = options.settings(self.config.default_settings())
        try:
            check_classes(settings.classes, self.names, files.name)
        except UnknownClasses as exc:
            raise RequestError(str(exc), 400) from None
        return settings

    def _bridge(self) -> AsyncDetections:
        if self.bridge is None or self.watch is None:
            raise Unavailable(f"the front cannot send jobs: {self._error or 'not started'}")
        return self.bridge

    def _submit(self, uploads: Sequence[Upload], settings: DetectorSettings, annotate: bool, kept: bool) -> list[str]:
        """Queue the uploads (their ids), unless ``queue`` jobs already wait for a worker (every front's). ``kept``:
        their results stay for /view/<id> (``keep_minutes``, at most ``keep_results`` of every front's); otherwise
        only until the reply is made."""
        bridge = self._bridge()
        queued = int(bridge.connection.llen(bridge.queue.key))
        estimate = self._estimate(self._health(), queued)
        if queued >= max(1, self.config.redis_queue):
            raise QueueFull(
                f"the server is busy: {queued} jobs wait in the queue for a worker (its --queue is "
                f"{self.config.redis_queue})",
                Estimate(queued, estimate.seconds, max(1, estimate.parallel)).retry_after(),
            )
        if estimate.parallel:
            self.admission.check_wait(estimate)
        seconds = self.keep_seconds if kept else SYNC_KEEP_SECONDS
        ids = [
            bridge.submit(upload.data, upload.name, settings, annotate=annotate, keep_seconds=seconds)
            for upload in uploads
        ]
        if kept:  # never fewer than can wait in the queue, so a queued job is not the one to go
            bridge.keep_at_most(ids, max(self.config.keep_results, 2 * self.config.redis_queue), seconds)
        return ids

    async def detect(
        self, uploads: Sequence[Upload], options: DetectOptions, render: bool = False, keep: bool = False
    ) -> list[Detected]:
        settings = self._settings(options)
        bridge = self._bridge()
        watch = self.watch
        assert watch is not None
        annotate = render or keep  # a kept result is viewed as the worker's annotated JPEG
        ids = await self._redis(self._submit, uploads, settings, annotate, keep)
        futures = [watch.watch(job_id, image=annotate) for job_id in ids]
        try:
            states: list[AsyncState] = await asyncio.wait_for(
                asyncio.gather(*(asyncio.wrap_future(f) for f in futures)), SYNC_WAIT_SECONDS
            )
        except asyncio.TimeoutError:
            self._forget(ids, futures, bridge, done=False)
            raise RequestError(
                f"no queue worker finished within {SYNC_WAIT_SECONDS:.0f} s (are the workers busy or gone?)", 504
            ) from None
        except BaseException:  # the client went away (or Redis did): what has not run yet never will
            self._forget(ids, futures, bridge, done=False)
            raise
        if not keep:
            self._forget(ids, [], bridge, done=True)  # the reply holds everything; Redis need not
        return [self._detected(upload, state, keep) for upload, state in zip(uploads, states)]

    def _forget(self, ids: Sequence[str], futures: Sequence[Any], bridge: AsyncDetections, done: bool) -> None:
        """Stop waiting for ``futures`` and drop the jobs from Redis, off the event loop (no reply waits for it):
        ``done`` jobs in one round trip; others may still be queued (then they never run)."""
        for future in futures:
            future.cancel()

        def drop() -> None:
            try:
                if done:
                    bridge.forget(ids)
                else:
                    for job_id in ids:
                        bridge.discard(job_id)
            except REDIS_ERRORS:
                pass  # they expire on their own

        threading.Thread(target=drop, name="drop-jobs", daemon=True).start()

    def _detected(self, upload: Upload, state: AsyncState, keep: bool) -> Detected:
        if state.state == "unknown":
            raise Unavailable(
                f"{upload.name}: the job was lost from Redis at {self.safe_url} (restarted?); send it again"
            )
        if state.state == "failed" or state.result is None:
            raise RequestError(f"{upload.name}: the queue worker failed: {state.error}", 502)
        info, settings = self._model_info(state.reply or {})
        timings = state.result.timings
        if state.result.ok and timings:
            self._seconds_per_job = 0.8 * self._seconds_per_job + 0.2 * sum(timings.values())
        return Detected(
            upload, state.result, None, info, settings, rendered=state.image, kept_as=state.id if keep else None
        )

    def _model_info(self, reply: dict[str, Any]) -> tuple[ModelInfo, DetectorSettings]:
        """What the worker ran (engine, input size) and the settings it applied, as the local backend says them."""
        files = self.files
        assert files is not None
        payload = reply.get("settings") or {}
        input_size = int(reply.get("input_size") or payload.get("size") or 0)
        defaults = self.config.default_settings()
        settings = replace(settings_from_record(payload, defaults), size=input_size)
        info = ModelInfo(
            name=files.name,
            input_size=input_size,
            names=self.names,
            precision=settings.precision,
            resize=settings.resize,
            engine=str(reply.get("engine", "?")),
            engine_description=str(reply.get("engine_description", "")),
            files=files,
            tiles=settings.tiles,
            tile_overlap=settings.tile_overlap,
        )
        return info, settings

    # ----- asynchronous jobs ----------------------------------------------------------------------------------
    async def submit(self, upload: Upload, options: DetectOptions, ticket: Ticket) -> JobState:
        try:
            settings = self._settings(options)
            ids = await self._redis(self._submit, [upload], settings, True, True)
        finally:
            ticket.release()  # the upload is in Redis now (or refused): this process holds nothing of it
        return JobState(ids[0], "queued")

    async def state(self, job_id: str, image: bool = False) -> JobState | None:
        if not JOB_ID.match(job_id):
            return None
        state = await self._redis(self._bridge().state, job_id, image)
        if state.state == "unknown":
            return None
        if state.state == "queued":
            return JobState(job_id, "queued", state.position)
        if state.state == "processing":
            return JobState(job_id, "processing")
        if state.state == "failed" or state.result is None:
            return JobState(job_id, "failed", error=f"the queue worker failed: {state.error}", status=502)
        info, settings = self._model_info(state.reply or {})
        result = state.result
        if not result.ok:
            message = failure_message(result)
            return JobState(
                job_id, "failed", None, result, info, settings, None, message, error_status(result.error or "")
            )
        return JobState(job_id, "done", None, result, info, settings, state.image)

    # ----- models -----------------------------------------------------------------------------------------------
    def models(self) -> dict[str, Any]:
        files = self.files
        name = files.name if files else self.config.model
        health = self._health()
        return {
            "default": name,
            "installed": [{"name": name, "classes": len(self.names), "measured": ""}] if name else [],
            "loaded": [self._model_record(health)] if health is not None else [],
            "pid": os.getpid(),
            "redis": self.safe_url,
        }
