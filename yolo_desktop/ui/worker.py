"""The inference worker: a QObject living on its own QThread that owns the Detector.

Requests arrive as queued signals carrying plain data, one image each. Each is queued here and its decoding
starts at once on a loader thread, so the next image is decoded while the network runs on the current one; the
network itself runs in a zero-timer callback, one image per event-loop turn, so a new model, more images or a
cancellation never wait for a whole batch. Results leave as plain Python and numpy data; the GUI thread makes
every QImage. TensorFlow (only needed to convert a model the first time) is imported here, never by the window.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from ..batch import Loaded, load_and_prepare
from ..inference.detector import Detector, ModelFiles
from ..results import ImageResult
from ..settings import DetectorSettings

THUMBNAIL_SIZE = 112  # pixels, longest side: the list's 56 logical pixels at 2× device pixel ratio


@dataclass(frozen=True)
class DetectRequest:
    request_id: int
    path: str
    cancel: threading.Event  # set when the batch this request belongs to was cancelled


@dataclass(frozen=True)
class ModelRequest:
    request_id: int
    model: ModelFiles
    settings: DetectorSettings


@dataclass(frozen=True)
class ModelInfo:
    name: str
    input_size: int
    names: tuple[str, ...]
    precision: str
    engine: str
    seconds: float


def make_thumbnail(rgb: np.ndarray, size: int = THUMBNAIL_SIZE) -> np.ndarray:
    height, width = rgb.shape[:2]
    scale = size / max(height, width)
    if scale >= 1:
        return np.ascontiguousarray(rgb)
    return cv2.resize(rgb, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA)


class InferenceWorker(QObject):
    model_ready = Signal(int, object)  # request id, ModelInfo
    model_failed = Signal(int, str)  # request id, message for the user
    model_progress = Signal(str)  # e.g. "Converting … once"
    started = Signal(int)  # request id
    finished = Signal(int, object, object)  # request id, ImageResult, thumbnail (H, W, 3) uint8 or None
    skipped = Signal(int)  # request id of a cancelled request

    def __init__(self) -> None:
        super().__init__()
        self.detector: Detector | None = None
        self.network_runs = 0  # how many times the network ran (tests check re-filtering never adds to it)
        self._pending: deque[tuple[DetectRequest, Future[tuple[Loaded, np.ndarray | None]]]] = deque()
        self._loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="decode")
        self._scheduled = False

    @Slot(object)
    def load_model(self, request: ModelRequest) -> None:
        start = time.perf_counter()
        try:
            detector = Detector(request.model, request.settings, log=self.model_progress.emit)
        except Exception as exc:  # the previous detector stays in place
            self.model_failed.emit(request.request_id, str(exc))
            return
        self.detector = detector
        self.model_ready.emit(
            request.request_id,
            ModelInfo(
                request.model.name,
                detector.input_size,
                tuple(detector.names),
                request.settings.precision,
                detector.engine.name,
                time.perf_counter() - start,
            ),
        )

    def _load(self, path: str, detector: Detector) -> tuple[Loaded, np.ndarray | None]:
        # Detection needs no more than the network's resolution: large JPEGs decode at 1/2–1/8 scale here (the
        # viewer and exports decode full size themselves).
        loaded = load_and_prepare(detector, path, reduce_to=detector.input_size)
        thumbnail = make_thumbnail(loaded.image.rgb) if loaded.image is not None else None
        return loaded, thumbnail

    @Slot(object)
    def detect(self, request: DetectRequest) -> None:
        if self.detector is None:
            self.finished.emit(request.request_id, ImageResult(path=request.path, error="no model is loaded"), None)
            return
        self._pending.append((request, self._loader.submit(self._load, request.path, self.detector)))
        self._schedule()

    def _schedule(self) -> None:
        if self._pending and not self._scheduled:
            self._scheduled = True
            QTimer.singleShot(0, self._process_next)

    @Slot()
    def _process_next(self) -> None:
        self._scheduled = False
        if not self._pending:
            return
        request, future = self._pending.popleft()
        try:
            if request.cancel.is_set():
                future.cancel()
                self.skipped.emit(request.request_id)
                return
            self.started.emit(request.request_id)
            result, thumbnail = self._run(request, future)
            self.finished.emit(request.request_id, result, thumbnail)
        finally:
            self._schedule()

    def _run(self, request: DetectRequest, future: Future) -> tuple[ImageResult, np.ndarray | None]:
        detector = self.detector
        assert detector is not None
        try:
            loaded, thumbnail = future.result()
            if loaded.failed is not None:
                return loaded.failed, None
            assert loaded.image is not None and loaded.prepared is not None
            prepared = loaded.prepared
            if prepared.batch.shape[1:3] != (detector.input_size, detector.input_size):
                # Decoded while another model was loading: letterbox again for this one.
                image = loaded.image
                prepared = detector.prepare(image.rgb, (image.width, image.height) if image.scale != 1 else None)
            self.network_runs += 1
            return detector.infer(prepared, request.path, {"load": loaded.seconds}), thumbnail
        except MemoryError:
            return ImageResult(path=request.path, error="not enough memory to process this image"), None
        except Exception as exc:  # one bad image never stops the batch
            return ImageResult(path=request.path, error=f"unexpected error: {exc!r}"), None

    def stop(self) -> None:
        """Called on the worker thread before it ends: no decoding left running."""
        for _request, future in self._pending:
            future.cancel()
        self._pending.clear()
        self._loader.shutdown(wait=True, cancel_futures=True)
