"""The local backend: one inference thread per process owns every detector and drives ``pipeline.Pipeline``.

Request handlers put uploads in an inbox and wait on futures; the thread feeds the inbox to the pipeline as a
``JobSource``, so while one image is in the network the next ones are already decoding on the pipeline's loader
thread (concurrent requests are pipelined like a CLI batch). A request that asks for another model, input size or
precision needs another detector: the thread keeps a few (``max_models``; the default one is never evicted) and
switches between jobs, never in the middle of one; the inbox hands the pipeline only the run of jobs at its head
that share one detector, so requests are served in arrival order. Tiles and thresholds never need another
detector: each job carries its request's settings (``Job.settings``), so its photo is cut and its candidates
selected as that request asked, once.

Admission (``admission``): a request waits for the images ahead of it, done one after the other on the inference
thread, so its expected wait is (images ahead) × the recent seconds per image, timed on that thread as the interval
between finished images (under load the pipeline decodes the next photo while the network runs, so that interval
is the throughput, not one image's latency). Answers on the event loop (HTTP, JSON) run beside it, on another core.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..inference.detector import Detector
from ..inference.engines import EngineOptions
from ..inference.errors import ModelError
from ..inference.model_spec import (
    ModelFiles,
    ModelInfo,
    UnknownClasses,
    check_classes,
    check_size,
    class_names,
    input_size_of,
)
from ..inference.speed_memo import measured
from ..models.installed import KNOWN_MODELS, installed_models, resolve_model
from ..pipeline.run import Done, Inbox, Job, Pipeline
from ..pipeline.sample_check import first_load_warning
from ..pipeline.tiling import SERVICE_MAX_TILES
from ..settings import DEFAULT_INPUT_SIZE, DetectorSettings
from .admission import Admission, Estimate, PerImage
from .backend import Detected, DetectOptions, Readiness, RequestError, Ticket, Upload
from .config import ServiceConfig

log = logging.getLogger("yolo_desktop.service")

FAILED_MODEL_RETRY_SECONDS = 60.0  # a model that failed to build is not tried again sooner (conversions are slow)
# Seconds per image until the model is loaded and timed (``_warm_up``): a cautious guess (yolov3-tiny takes ~0.02 s
# on one core, a full YOLOv3 ~0.3 s); it only decides for requests that arrive while the model loads.
PRIOR_SECONDS_PER_IMAGE = 0.1
WARM_UP_FRAME = (720, 1280, 3)  # a camera frame (H, W, 3), letterboxed as real photos are


@dataclass(frozen=True)
class DetectorKey:
    """Which detector a job needs (one engine serves every tiling and threshold: those travel with the job)."""

    model: str
    size: int | None
    precision: str


@dataclass(eq=False)
class _Work:
    key: DetectorKey
    job: Job  # its ``tag`` is this _Work; its ``settings`` the request's
    future: Future[tuple[Done, ModelInfo]]
    queued: float = field(default_factory=time.perf_counter)  # when it entered the inbox


class _KeySource:
    """The uploads at the inbox's head that need the detector ``key`` (the run ends at the first that does not)."""

    def __init__(self, inbox: Inbox[_Work], key: DetectorKey) -> None:
        self.key = key
        self._source = inbox.source(lambda work: work.job if work.key == key else None)
        # Jobs handed to the pipeline; only the last few can still be unanswered (it prefetches 3), and a long run
        # must not hold every finished result.
        self.polled: deque[Future[Any]] = deque(maxlen=16)

    def poll(self) -> Job | None:
        job = self._source.poll()
        if job is not None:
            self.polled.append(job.tag.future)
        return job


def _resolve(future: Future[Any], value: Any = None, error: BaseException | None = None) -> None:
    try:
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)
    except InvalidStateError:
        pass  # cancelled meanwhile: its client is gone


class LocalBackend:
    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.default_settings = config.default_settings()
        # A client that went away cancelled its futures: its uploads are skipped, even once prefetched.
        self._inbox: Inbox[_Work] = Inbox(dropped=lambda work: work.future.cancelled())
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="inference", daemon=True)
        self._state = "loading"
        self._error: str | None = None
        self._load_seconds: float | None = None
        self._detectors: OrderedDict[DetectorKey, tuple[Detector, ModelInfo]] = OrderedDict()
        self._failed: dict[DetectorKey, tuple[str, float]] = {}
        self._names: dict[str, tuple[str, ...]] = {}  # model name → class labels, once any detector was built
        self.model_loads = 0  # detectors built in this process (a test checks the model loads once per worker)
        self._lock = threading.Lock()
        self.per_image = PerImage(PRIOR_SECONDS_PER_IMAGE)  # timed on the inference thread
        self.admission = Admission(config.max_wait, config.upload_memory_bytes, config.queue)
        self._default_files: ModelFiles | None = None
        self._default_key: DetectorKey | None = None

    # ----- the routes' side (event loop) ---------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        for work in self._inbox.close():
            _resolve(work.future, error=RequestError("the server is shutting down", 503))
        self._thread.join(timeout)

    def readiness(self) -> Readiness:
        with self._lock:
            loaded = [info for _detector, info in self._detectors.values()]
            details: dict[str, Any] = {
                "pid": os.getpid(),
                "model_loads": self.model_loads,
                "load_seconds": round(self._load_seconds, 3) if self._load_seconds is not None else None,
                **self.admission.record(self._estimate()),
                "models": [_info_record(info) for info in loaded],
            }
        return Readiness(self._state, self._error, details)

    def _estimate(self) -> Estimate:
        # One inference thread: the images ahead are done one after the other.
        return Estimate(self.admission.ahead, self.per_image.seconds, 1)

    def admit(self, size: int) -> Ticket:
        return self.admission.admit(size, self._estimate())

    async def detect(
        self, uploads: Sequence[Upload], options: DetectOptions, render: bool = False, keep: bool = False
    ) -> list[Detected]:
        # ``render`` and ``keep`` need nothing here: routes draw from the upload, the store keeps results.
        settings = options.settings(self.default_settings)
        key = self._key(options, settings)
        known = self._names.get(key.model)
        if known is not None:
            _check_classes(settings, key.model, known)
        works = []
        for upload in uploads:
            future: Future[tuple[Done, ModelInfo]] = Future()
            cancel = threading.Event()  # the pipeline skips a job whose client went away, even once prefetched
            future.add_done_callback(_set_if_cancelled(cancel))
            job = Job(name=upload.name, data=upload.data, cancel=cancel, settings=settings)
            work = _Work(key, job, future)
            work.job = replace(work.job, tag=work)
            works.append(work)
        self._inbox.put(*works)
        waiting = [asyncio.wrap_future(work.future) for work in works]
        try:
            finished = await asyncio.gather(*waiting)
        except BaseException:
            for work in works:
                work.future.cancel()  # a client that went away (or an error): drop what has not run yet
            raise
        out = []
        for upload, (done, info) in zip(uploads, finished):
            _check_classes(settings, info.name, info.names)
            applied = replace(settings, size=info.input_size)
            out.append(Detected(upload, done.result, done.image, info.for_run(applied), applied))
        return out

    def _key(self, options: DetectOptions, settings: DetectorSettings) -> DetectorKey:
        default = self._default_key
        model = options.model or (default.model if default else self.config.model or "")
        return DetectorKey(model, settings.size, settings.precision)

    def models(self) -> dict[str, Any]:
        installed = []
        for files in installed_models():
            try:
                classes = len(class_names(files))
            except ModelError:
                classes = None
            known = KNOWN_MODELS.get(files.name)
            size = self.default_settings.size or DEFAULT_INPUT_SIZE
            timed = measured(files.weights, input_size_of(files, size) if classes else size, self.config.precision)
            installed.append(
                {
                    "name": files.name,
                    "format": files.format,
                    "classes": classes,
                    "measured": known.measured if known is not None else "",
                    # This machine's network time per image at the server's precision (remembered once measured).
                    "ms_per_image": timed["ms"] if timed else None,
                }
            )
        default = self._default_files
        if default is not None and default.name not in {m["name"] for m in installed}:
            installed.insert(
                0,
                {
                    "name": default.name,
                    "format": default.format,
                    "classes": len(self._names.get(default.name, ())),
                    "measured": "",
                    "ms_per_image": None,
                },
            )
        ready = self.readiness()
        return {
            "default": default.name if default else None,
            "installed": installed,
            "loaded": ready.details["models"],
            "pid": os.getpid(),
        }

    # ----- the inference thread ------------------------------------------------------------------------------
    def _run(self) -> None:
        start = time.perf_counter()
        try:
            files = resolve_model(
                self.config.model, self.config.cfg, self.config.weights, self.config.names, self.config.onnx
            )
            self._default_files = files
            self._default_key = DetectorKey(files.name, self.default_settings.size, self.default_settings.precision)
            detector, _info = self._detector(self._default_key)
            self.per_image.prior = _warm_up(detector)
            self._load_seconds = time.perf_counter() - start
            self._state = "ready"
            log.info("model %s ready in %.1f s (pid %d)", files.name, self._load_seconds, os.getpid())
        except Exception as exc:  # the process stays up and says why on /v2/health/ready
            self._error = str(exc)
            self._state = "failed"
            log.error("the model could not be loaded: %s", exc)
        last_done = 0.0
        while True:
            work = self._inbox.wait()
            if work is None:
                return
            try:
                detector, info = self._detector(work.key)
            except RequestError as exc:
                _resolve(work.future, error=exc)
                continue
            self._inbox.push_front(work)
            source = _KeySource(self._inbox, work.key)
            run_start = time.perf_counter()  # after any detector build: that is no image's time

            def measured(_changed: bool, key: DetectorKey = work.key, detector: Detector = detector) -> None:
                nonlocal info  # auto measured after the first result: replies say what runs now, and why
                info = detector.info
                with self._lock:
                    if key in self._detectors:
                        self._detectors[key] = (detector, info)

            pipeline = Pipeline(detector, max_tiles=SERVICE_MAX_TILES, on_measured=measured)
            try:
                for done in pipeline.run(source, cancel=self._stopping):
                    now, finished = time.perf_counter(), done.job.tag
                    if done.result.ok:
                        # Busy: the time since the previous image finished is this one's share; idle before it
                        # came: its whole time since it arrived.
                        self.per_image.add(now - max(last_done, finished.queued, run_start))
                    last_done = now
                    _resolve(finished.future, (done, info))
            except Exception as exc:  # a bug, not bad input (the pipeline turns those into results): keep serving
                log.exception("inference failed")
                for future in source.polled:  # every request of this run gets an answer; finished ones keep theirs
                    _resolve(future, error=RequestError(f"detection failed: {exc!r}", 500))

    def _detector(self, key: DetectorKey) -> tuple[Detector, ModelInfo]:
        """The detector for ``key``, built (and cached) on this thread when needed."""
        files = self._files(key.model)
        if files.cfg is None:  # an ONNX export runs at its own size: another size is refused, not built again
            try:
                check_size(files, key.size)
            except ModelError as exc:
                raise RequestError(str(exc), 400) from None
            key = replace(key, size=None)
        with self._lock:
            if key in self._detectors:
                self._detectors.move_to_end(key)
                return self._detectors[key]
        failed = self._failed.get(key)
        if failed is not None and time.monotonic() - failed[1] < FAILED_MODEL_RETRY_SECONDS:
            raise RequestError(failed[0], 503)
        settings = replace(self.default_settings, size=key.size, precision=key.precision)
        try:
            detector = Detector(
                files, settings, engine=self.config.engine, log=log.info, options=EngineOptions(cancel=self._stopping)
            )
        except Exception as exc:  # e.g. OpenVINO's RuntimeError, MemoryError: the thread must go on answering
            message = f"model '{key.model}' ({key.precision}, size {key.size or 'default'}) cannot be used: {exc}"
            self._failed[key] = (message, time.monotonic())
            raise RequestError(message, 503) from None
        warning = first_load_warning(detector)
        if warning:
            log.warning("warning: %s", warning)
        info = detector.info
        with self._lock:
            self.model_loads += 1
            self._names[files.name] = info.names
            self._detectors[key] = (detector, info)
            while len(self._detectors) > max(1, self.config.max_models):
                oldest = next(k for k in self._detectors if k != self._default_key)
                del self._detectors[oldest]
        return detector, info

    def _files(self, name: str) -> ModelFiles:
        """Model files by installed name only: nothing a request sends is ever used as a path."""
        if self._default_files is not None and name == self._default_files.name:
            return self._default_files
        try:
            return resolve_model(name, None, None, None)
        except ModelError as exc:
            raise RequestError(str(exc), 404) from None


def _warm_up(detector: Detector) -> float:
    """Seconds for one frame through letterboxing, the network and decoding, timed on the second of two runs (the
    first pays for lazy initialisation): the time per image admission assumes until images are timed. It leaves
    out JPEG decoding, which under load overlaps the network anyway; the first photo detected replaces it."""
    frame = np.zeros(WARM_UP_FRAME, np.uint8)
    detector.detect(frame)
    start = time.perf_counter()
    detector.detect(frame)
    return time.perf_counter() - start


def _set_if_cancelled(event: threading.Event) -> Callable[[Future[Any]], None]:
    def callback(future: Future[Any]) -> None:
        if future.cancelled():
            event.set()

    return callback


def _check_classes(settings: DetectorSettings, model: str, names: Sequence[str]) -> None:
    try:
        check_classes(settings.classes, names, model)
    except UnknownClasses as exc:
        raise RequestError(str(exc), 400) from None


def _info_record(info: ModelInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "input_size": info.input_size,
        "precision": info.precision,
        "engine": info.engine,
        "classes": len(info.names),
    }
