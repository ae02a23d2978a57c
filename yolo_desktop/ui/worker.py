"""The inference worker: a QObject living on its own QThread that owns the Detector.

Requests arrive as queued signals carrying plain data, one image each, so the worker's event loop turns between
images: a new model, more images or a cancellation never wait for a whole batch. Results leave as plain Python
and numpy data; the GUI thread makes every QImage. TensorFlow is imported here, on this thread, when the first
model is built — never by the window.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import cv2
import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from ..imaging import ImageError, load
from ..inference.detector import Detector, ModelFiles
from ..results import ImageResult
from ..settings import DetectorSettings

THUMBNAIL_SIZE = 160  # pixels, longest side; the list shows them scaled for the screen's DPI


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
    seconds: float


def make_thumbnail(rgb: np.ndarray, size: int = THUMBNAIL_SIZE) -> np.ndarray:
    height, width = rgb.shape[:2]
    scale = size / max(height, width)
    if scale >= 1:
        return np.ascontiguousarray(rgb)
    return cv2.resize(rgb, (max(1, round(width * scale)), max(1, round(height * scale))),
                      interpolation=cv2.INTER_AREA)


class InferenceWorker(QObject):
    model_ready = Signal(int, object)  # request id, ModelInfo
    model_failed = Signal(int, str)  # request id, message for the user
    started = Signal(int)  # request id
    finished = Signal(int, object, object)  # request id, ImageResult, thumbnail (H, W, 3) uint8 or None
    skipped = Signal(int)  # request id of a cancelled request

    def __init__(self) -> None:
        super().__init__()
        self.detector: Detector | None = None
        self.network_runs = 0  # how many times the network ran (tests check re-filtering never adds to it)

    @Slot(object)
    def load_model(self, request: ModelRequest) -> None:
        start = time.perf_counter()
        try:
            detector = Detector(request.model, request.settings)
        except Exception as exc:  # the previous detector stays in place
            self.model_failed.emit(request.request_id, str(exc))
            return
        self.detector = detector
        self.model_ready.emit(request.request_id, ModelInfo(request.model.name, detector.input_size,
                                                            tuple(detector.names), time.perf_counter() - start))

    @Slot(object)
    def detect(self, request: DetectRequest) -> None:
        if request.cancel.is_set():
            self.skipped.emit(request.request_id)
            return
        self.started.emit(request.request_id)
        start = time.perf_counter()
        thumbnail = None
        try:
            image = load(request.path)
            thumbnail = make_thumbnail(image.rgb)
            if self.detector is None:
                raise RuntimeError("no model is loaded")
            self.network_runs += 1
            result = self.detector.detect(image.rgb, request.path, timings={"load": time.perf_counter() - start})
        except ImageError as exc:
            result = ImageResult(path=request.path, error=exc.reason)
        except MemoryError:
            result = ImageResult(path=request.path, error="not enough memory to process this image")
        except Exception as exc:  # one bad image never stops the batch
            result = ImageResult(path=request.path, error=f"unexpected error: {exc!r}")
        self.finished.emit(request.request_id, result, thumbnail)
