"""``yolo-desktop worker``: N processes under rq's ``WorkerPool``, each a non-forking ``ModelWorker``.

rq's default worker forks a child per job, which would load the model for every chunk; ``ModelWorker`` runs jobs in
its own process (rq's ``SimpleWorker``), so each process loads the model once, on its first job (after rq has forked
its scheduler: no fork ever copies a running interpreter), and keeps it. The process's main thread owns the model.

A worker runs only this package's job functions, and refuses jobs for another model or precision (the job carries
the model's sha256s), saying so in the job's failure and in its log. Heartbeats are sent between images, so a worker
killed mid-chunk is noticed within ~3 heartbeats and rq's started-job registry cleanup re-queues its chunk.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import sys
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from rq import Queue, worker_registration
from rq.job import Job
from rq.scheduler import RQScheduler
from rq.worker import SimpleWorker, WorkerStatus
from rq.worker_pool import WorkerPool

from ..inference.detector import Detector
from ..inference.model_spec import ModelFiles
from ..settings import DEFAULT_ENGINE, DEFAULTS, DetectorSettings
from .connection import connect, safe_url
from .protocol import JOB_FUNCTIONS, SECONDS_FIELD, SERIALIZER, mismatch

log = logging.getLogger(__name__)

WORKER_TTL = (
    30  # s: an idle worker beats (and runs its maintenance) every 15 s; one gone without a word vanishes in 90 s
)
REGISTRATION_CHECK_S = 10.0  # a busy worker checks this often that Redis still knows it…
REGISTRATION_PAUSE_S = 1.0  # …and after any pause this long between heartbeats (Redis lost and back, idle waits)
MAX_DETECTORS = 3  # input sizes kept loaded per process (the service lets a request choose one); least used go


@dataclass(frozen=True)
class WorkerConfig:
    model: ModelFiles
    fingerprint: Mapping[str, str]  # model_spec.model_fingerprint of ``model``
    precision: str = DEFAULTS.precision
    engine: str = DEFAULT_ENGINE
    heartbeat: float = 10.0  # seconds between heartbeats while a chunk runs


_current: ModelWorker | None = None


def die_with_parent() -> None:
    """Linux: this process gets SIGTERM (a warm stop) when its parent dies, so killing a pool or a worker never
    leaves an orphaned worker or scheduler behind."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


class _Scheduler(RQScheduler):
    """rq's scheduler (it re-enqueues retries when their interval is up), in a child that ends with its worker."""

    def work(self) -> None:
        die_with_parent()
        super().work()


def current_worker() -> ModelWorker:
    """The worker running in this process (job functions call it for the model)."""
    if _current is None:
        raise RuntimeError("yolo-desktop jobs run only in 'yolo-desktop worker' processes")
    return _current


class ModelWorker(SimpleWorker):
    """Runs jobs in this process (no fork per job) and keeps the model loaded between them."""

    config: ClassVar[WorkerConfig]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        global _current
        _current = self
        die_with_parent()
        heartbeat = max(1, round(self.config.heartbeat))
        self.worker_ttl = WORKER_TTL  # rq's 420 s would keep a vanished worker listed (and "alive") for 8 minutes
        self.job_monitoring_interval = heartbeat
        self.maintenance_interval = 6 * heartbeat  # live workers clean up after dead ones (rq: every 10 min)
        self.detectors: OrderedDict[int, Detector] = OrderedDict()  # input size → detector, most recent last
        self.model_loads = 0
        self.seconds_per_image: float | None = None  # moving average over upload jobs (the service admits by it)
        self._last_beat = 0.0
        self._registered_checked = 0.0
        self._beat_seen = 0.0

    @classmethod
    def configured(cls, config: WorkerConfig) -> type[ModelWorker]:
        return type(cls.__name__, (cls,), {"config": config})

    # ----- what rq sees -----------------------------------------------------------------------------------------
    def serialize(self) -> dict[str, Any]:
        """rq's worker hash, plus what ``cluster status`` shows (it expires with the worker's heartbeat)."""
        data = super().serialize()
        data.update(
            yd_model=self.config.fingerprint["name"],
            yd_weights_sha256=self.config.fingerprint["weights_sha256"],
            yd_precision=self.config.precision,
            yd_host=socket.gethostname(),
            yd_model_loads=self.model_loads,
        )
        if self.seconds_per_image is not None:
            data[SECONDS_FIELD] = f"{self.seconds_per_image:.4f}"
        return data

    def _start_scheduler(
        self, burst: bool = False, logging_level: str | None = "INFO", date_format: str = "", log_format: str = ""
    ) -> None:
        # rq's own, with a scheduler that ends with this worker (rq's would outlive a worker killed with SIGKILL).
        self.scheduler = _Scheduler(
            self.queues,
            connection=self.connection,
            logging_level=logging_level if logging_level is not None else self.log.level,
            date_format=date_format or "%H:%M:%S",
            log_format=log_format or "%(asctime)s %(message)s",
            serializer=self.serializer,
        )
        self.scheduler.acquire_locks()
        if self.scheduler.acquired_locks:
            if burst:
                try:
                    self.scheduler.register_birth()
                    self.scheduler.enqueue_scheduled_jobs()
                finally:
                    self.scheduler.release_locks()
                    self.scheduler.register_death()
            else:
                self.scheduler.start()

    def subscribe(self) -> None:
        """rq's, but the command listener waits 1 s per read instead of 60: since redis-py 8.2 stopping the listener
        joins its thread, and one that had already read the unsubscribe reply waits out its full wait first, so a
        worker asked to stop (SIGTERM, Ctrl+C, its pool stopping) took up to a minute to exit."""
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]  # rq's stub types it None
            sleep_time=1, daemon=True, exception_handler=self._pubsub_exception_handler
        )

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        super().heartbeat(timeout, pipeline)  # raises while Redis is away (rq retries, with back-off)
        if pipeline is not None:
            return
        now = time.monotonic()
        # Between jobs rq beats twice per job: check after a pause (an outage's retries, an idle wait) and now and
        # then, not every time.
        paused = now - self._beat_seen >= REGISTRATION_PAUSE_S
        self._beat_seen = now
        if paused or now - self._registered_checked >= REGISTRATION_CHECK_S:
            self._registered_checked = now
            self._register_if_forgotten()

    def _register_if_forgotten(self) -> None:
        """A Redis restarted empty has forgotten this worker (rq's heartbeat leaves a hash with only its time):
        register again, so ``cluster status`` and the service's light front see it alive."""
        if self.connection.hexists(self.key, "birth"):
            return
        state = self.get_state()
        mapping: dict[Any, Any] = {**self.serialize(), "state": getattr(state, "value", state)}
        with self.connection.pipeline() as pipe:
            pipe.hset(self.key, mapping=mapping)
            worker_registration.register(self, pipe)
            pipe.expire(self.key, self.worker_ttl + 60)
            pipe.execute()
        self.log.warning("Worker %s: Redis had forgotten this worker (restarted?); registered again", self.name)

    def get_heartbeat_ttl(self, job: Job) -> int:
        # rq's SimpleWorker waits job.timeout + 60 s before a silent worker's job counts as abandoned; this one
        # beats between images, so three missed beats are enough.
        return int(3 * self.job_monitoring_interval + 2)

    def execute_job(self, job: Job, queue: Queue) -> None:
        refusal = self._refusal(job)
        if refusal is not None:
            self.log.error("Worker %s: refused job %s: %s", self.name, job.id, refusal)
            self.prepare_execution(job)
            job.retries_left = 0  # another try would be refused the same way
            self.handle_job_failure(job, queue, exc_string=f"refused by worker {self.name}: {refusal}")
            self.set_state(WorkerStatus.IDLE)
            return
        super().execute_job(job, queue)

    def _refusal(self, job: Job) -> str | None:
        if job.func_name not in JOB_FUNCTIONS:
            return f"{job.func_name!r} is not a yolo-desktop job; this worker runs nothing else"
        payload = job.args[0] if job.args and isinstance(job.args[0], dict) else {}
        return mismatch(payload, self.config.fingerprint, self.config.precision)

    # ----- for the job functions ------------------------------------------------------------------------------
    def detector(self, settings: DetectorSettings) -> Detector:
        """The model at ``settings.size``: loaded once per size, then kept (a job's other settings travel with its
        images: ``Job.settings``)."""
        assert settings.size is not None
        detector = self.detectors.get(settings.size)
        if detector is not None:
            self.detectors.move_to_end(settings.size)
        else:
            start = time.perf_counter()
            detector = Detector(self.config.model, settings, engine=self.config.engine, log=self.log.info)
            self.detectors[settings.size] = detector
            while len(self.detectors) > MAX_DETECTORS:
                self.detectors.popitem(last=False)
            self.model_loads += 1
            self.log.info(
                "Worker %s (pid %d): loaded %s %s at %d×%d on %s in %.1f s (load %d of this process)",
                self.name,
                os.getpid(),
                self.config.model.name,
                self.config.precision,
                settings.size,
                settings.size,
                detector.engine.name,
                time.perf_counter() - start,
                self.model_loads,
            )
            self.connection.hset(self.key, "yd_model_loads", self.model_loads)
        return detector

    def timed(self, seconds: float) -> str:
        """One more upload job's seconds into the moving average; its value as published in this worker's hash."""
        previous = self.seconds_per_image
        self.seconds_per_image = seconds if previous is None else 0.8 * previous + 0.2 * seconds
        return f"{self.seconds_per_image:.4f}"

    def beat(self, job: Job, force: bool = False) -> None:
        """Between images: keep this worker and its job alive in Redis (at most once per heartbeat)."""
        now = time.monotonic()
        if force or now - self._last_beat >= self.job_monitoring_interval / 2:
            self._last_beat = now
            self.maintain_heartbeats(job)


def run_pool(url: str, config: WorkerConfig, processes: int, queue: str, burst: bool = False) -> int:
    """Start ``processes`` model workers on ``queue`` and supervise them (rq respawns any that dies) until
    SIGINT/SIGTERM (each worker finishes its chunk first)."""
    connection = connect(url)
    log.info(
        "yolo-desktop worker: %d process(es) on queue %r at %s, model %s (%s, weights sha256 %s…)",
        processes,
        queue,
        safe_url(url),
        config.model.name,
        config.precision,
        config.fingerprint["weights_sha256"][:12],
    )
    pool = WorkerPool(
        [queue],
        connection=connection,
        num_workers=processes,
        worker_class=ModelWorker.configured(config),
        serializer=SERIALIZER,
    )
    pool.start(burst=burst, logging_level="INFO")
    return 0
