"""The local backend: one inference thread per process owns every detector and drives ``pipeline.Pipeline``.

Request handlers put uploads in an inbox and wait on futures; the thread feeds the inbox to the pipeline as a
``JobSource``, so while one image is in the network the next ones are already decoding on the pipeline's loader
thread (concurrent requests are pipelined like a CLI batch). A request that asks for another model, input size or
precision needs another detector: the thread keeps a few (``max_models``; the default one is never evicted) and
switches between jobs, never in the middle of one; the inbox hands the pipeline only the run of jobs at its head
that share one detector, so requests are served in arrival order. Thresholds never need another detector: the
result is re-filtered from its kept candidates.
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
from dataclasses import dataclass, replace
from typing import Any

from ..export.header import detector_header
from ..inference.decode import refilter
from ..inference.detector import Detector
from ..inference.engines import EngineOptions
from ..inference.errors import ModelError
from ..inference.model_spec import ModelFiles, read_names
from ..models import KNOWN_MODELS, installed_models, resolve_model
from ..pipeline import Done, Inbox, Job, Pipeline
from ..settings import DetectorSettings
from .backend import Detected, DetectOptions, ModelInfo, QueueFull, Readiness, RequestError, Upload
from .config import ServiceConfig

log = logging.getLogger("yolo_desktop.service")

FAILED_MODEL_RETRY_SECONDS = 60.0  # a model that failed to build is not tried again sooner (conversions are slow)


@dataclass(frozen=True)
class DetectorKey:
    model: str
    size: int | None
    precision: str


@dataclass(eq=False)
class _Work:
    key: DetectorKey
    job: Job
    future: Future[tuple[Done, ModelInfo, DetectorSettings]]


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
            self.polled.append(job.tag)
        return job


class _Ticket:
    def __init__(self, backend: LocalBackend) -> None:
        self._backend = backend
        self._start = time.perf_counter()
        self._released = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._backend._release(time.perf_counter() - self._start)


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
        self._in_flight = 0
        self._seconds_per_request = 0.1  # moving average, for Retry-After
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
                "in_flight": self._in_flight,
                "queue": self.config.queue,
                "models": [_info_record(info) for info in loaded],
            }
        return Readiness(self._state, self._error, details)

    def admit(self) -> _Ticket:
        with self._lock:
            # ``queue`` requests may wait while one is being processed.
            if self._in_flight > self.config.queue:
                raise QueueFull(self._in_flight, self._seconds_per_request)
            self._in_flight += 1
        return _Ticket(self)

    def _release(self, seconds: float) -> None:
        with self._lock:
            self._in_flight -= 1
            self._seconds_per_request = 0.8 * self._seconds_per_request + 0.2 * seconds

    async def detect(
        self, uploads: Sequence[Upload], options: DetectOptions, render: bool = False, keep: bool = False
    ) -> list[Detected]:
        # ``render`` and ``keep`` need nothing here: routes draw from the upload, the store keeps results.
        key = self._key(options)
        thresholds = options.thresholds()
        known = self._names.get(key.model)
        if known is not None:
            _check_classes(thresholds, key.model, known)
        works = []
        for upload in uploads:
            future: Future[tuple[Done, ModelInfo, DetectorSettings]] = Future()
            cancel = threading.Event()  # the pipeline skips a job whose client went away, even once prefetched
            future.add_done_callback(_set_if_cancelled(cancel))
            works.append(_Work(key, Job(name=upload.name, data=upload.data, tag=future, cancel=cancel), future))
        self._inbox.put(*works)
        waiting = [asyncio.wrap_future(work.future) for work in works]
        try:
            finished = await asyncio.gather(*waiting)
        except BaseException:
            for work in works:
                work.future.cancel()  # a client that went away (or an error): drop what has not run yet
            raise
        out = []
        for upload, (done, info, detector_settings) in zip(uploads, finished):
            _check_classes(thresholds, info.name, info.names)
            applied = replace(
                thresholds, size=info.input_size, precision=info.precision, resize=detector_settings.resize
            )
            result = done.result
            if _filter_fields(applied) != _filter_fields(detector_settings):
                result = refilter(result, applied, info.names)
            out.append(Detected(upload, result, done.image, info, applied))
        return out

    def _key(self, options: DetectOptions) -> DetectorKey:
        default = self._default_key
        model = options.model or (default.model if default else self.config.model or "")
        size = options.size if options.size is not None else self.default_settings.size
        return DetectorKey(model, size, options.precision or self.default_settings.precision)

    def models(self) -> dict[str, Any]:
        installed = []
        for files in installed_models():
            try:
                classes = len(read_names(files.names))
            except ModelError:
                classes = None
            known = KNOWN_MODELS.get(files.name)
            installed.append(
                {"name": files.name, "classes": classes, "measured": known.measured if known is not None else ""}
            )
        default = self._default_files
        if default is not None and default.name not in {m["name"] for m in installed}:
            installed.insert(
                0, {"name": default.name, "classes": len(self._names.get(default.name, ())), "measured": ""}
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
            files = resolve_model(self.config.model, self.config.cfg, self.config.weights, self.config.names)
            self._default_files = files
            self._default_key = DetectorKey(files.name, self.default_settings.size, self.default_settings.precision)
            self._detector(self._default_key)
            self._load_seconds = time.perf_counter() - start
            self._state = "ready"
            log.info("model %s ready in %.1f s (pid %d)", files.name, self._load_seconds, os.getpid())
        except Exception as exc:  # the process stays up and says why on /v2/health/ready
            self._error = str(exc)
            self._state = "failed"
            log.error("the model could not be loaded: %s", exc)
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
            try:
                for done in Pipeline(detector).run(source, cancel=self._stopping):
                    _resolve(done.job.tag, (done, info, detector.settings))
            except Exception as exc:  # a bug, not bad input (the pipeline turns those into results): keep serving
                log.exception("inference failed")
                for future in source.polled:  # every request of this run gets an answer; finished ones keep theirs
                    _resolve(future, error=RequestError(f"detection failed: {exc!r}", 500))

    def _detector(self, key: DetectorKey) -> tuple[Detector, ModelInfo]:
        """The detector for ``key``, built (and cached) on this thread when needed."""
        with self._lock:
            if key in self._detectors:
                self._detectors.move_to_end(key)
                return self._detectors[key]
        failed = self._failed.get(key)
        if failed is not None and time.monotonic() - failed[1] < FAILED_MODEL_RETRY_SECONDS:
            raise RequestError(failed[0], 503)
        files = self._files(key.model)
        settings = replace(self.default_settings, size=key.size, precision=key.precision)
        try:
            detector = Detector(
                files, settings, engine=self.config.engine, log=log.info, options=EngineOptions(cancel=self._stopping)
            )
        except Exception as exc:  # e.g. OpenVINO's RuntimeError, MemoryError: the thread must go on answering
            message = f"model '{key.model}' ({key.precision}, size {key.size or 'default'}) cannot be used: {exc}"
            self._failed[key] = (message, time.monotonic())
            raise RequestError(message, 503) from None
        model_record, _settings_record = detector_header(detector)
        for key_name in ("cfg", "weights", "names"):  # which files, not where they live on the server
            if model_record.get(key_name):
                model_record[key_name] = os.path.basename(model_record[key_name])
        info = ModelInfo(
            files.name,
            tuple(detector.names),
            detector.input_size,
            settings.precision,
            detector.engine.name,
            model_record,
        )
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


def _set_if_cancelled(event: threading.Event) -> Callable[[Future[Any]], None]:
    def callback(future: Future[Any]) -> None:
        if future.cancelled():
            event.set()

    return callback


def _check_classes(settings: DetectorSettings, model: str, names: Sequence[str]) -> None:
    unknown = settings.unknown_classes(names)
    if unknown:
        raise RequestError(f"unknown class name(s) {', '.join(unknown)} for model '{model}'", 400)


def _filter_fields(settings: DetectorSettings) -> tuple[Any, ...]:
    return (settings.conf, settings.iou, settings.classes, settings.max_detections)


def _info_record(info: ModelInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "input_size": info.input_size,
        "precision": info.precision,
        "engine": info.engine,
        "classes": len(info.names),
    }
