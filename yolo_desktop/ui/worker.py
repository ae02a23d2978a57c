"""The inference worker: a QThread that owns the Detector and drives the one pipeline (``pipeline.py``).

A "generator worker" (superqt's shape): the thread runs the pipeline's generator and every result it yields becomes
a signal. Orders arrive in a thread-safe inbox, not as queued slots, because the thread is busy in the generator
rather than in an event loop. A new model is built between images, never in the middle of one; a first-time
conversion runs in a subprocess (``inference/converted.py``), so TensorFlow never holds this process's GIL.
Results leave as plain Python and numpy data; the GUI thread makes every QImage. Each order runs with the settings
it was made with (its job's), so a photo comes back selected at the thresholds and classes the window had then.

A video file is one order too: its frames go through the same pipeline (``video/detect.py``) on this thread, and
their candidates leave in chunks (a few per second) for the GUI thread's ``FrameStore``. Like a model request, a
video waits for the images already handed to the pipeline, and the images after it wait for the video.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import cv2
import numpy as np

from ..filetypes import is_video_name
from ..imaging.read import LoadedImage, from_frame
from ..inference.detector import Detector
from ..inference.model_spec import DetectorChoice, input_size_of
from ..pipeline.run import Inbox, Job, Pipeline
from ..pipeline.sample_check import first_load_warning
from ..results import Candidates, ImageResult
from ..settings import CANDIDATE_FLOOR
from ..video.detect import VideoDetection
from ..video.probe import VideoError
from .session_model import DetectOrder, VideoEnd
from .worker_base import DetectionWorker, ModelRequest

VIDEO_CHUNK_S = 0.25  # how often a running video sends its new frames to the GUI thread

THUMBNAIL_SIZE = 112  # pixels, longest side: the list's 56 logical pixels at 2× device pixel ratio


def make_thumbnail(image: LoadedImage, size: int = THUMBNAIL_SIZE) -> np.ndarray:
    rgb = image.rgb
    height, width = rgb.shape[:2]
    scale = size / max(height, width)
    if scale >= 1:
        return np.ascontiguousarray(rgb)
    return cv2.resize(rgb, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA)


def _as_job(item: DetectOrder | ModelRequest) -> Job | None:
    """A photo order as a pipeline job; None for a model request or a video, which wait for the images already
    in the pipeline (a new model is built between images, never in the middle of one)."""
    if not isinstance(item, DetectOrder) or is_video_name(item.path):
        return None
    return Job.file(item.path, tag=item.request_id, cancel=item.cancel, settings=item.settings)


class InferenceWorker(DetectionWorker):
    """Runs the model on this computer (see the module's docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("inference")
        self.detector: Detector | None = None
        self.network_runs = 0  # how many times the network ran (tests check re-filtering never adds to it)
        self._inbox: Inbox[DetectOrder | ModelRequest] = Inbox()
        self._stopping = threading.Event()

    # ----- called on the GUI thread --------------------------------------------------------------------------
    def load_model(self, request: ModelRequest) -> None:
        self._inbox.put(request)

    def detect(self, order: DetectOrder) -> None:
        self._inbox.put(order)

    def stop(self, timeout_ms: int = 30_000) -> bool:
        """Ask the thread to end after the image in the network (any conversion subprocess is stopped) and wait.
        True when it ended within the timeout."""
        self._stopping.set()
        self._inbox.close()
        return self.wait(timeout_ms)

    # ----- the worker thread ---------------------------------------------------------------------------------
    def run(self) -> None:
        while True:
            order = self._inbox.wait()
            if order is None:
                return
            if isinstance(order, ModelRequest):
                self._load_model(order)
                continue
            if self.detector is None:
                self.finished_image.emit(
                    order.request_id, ImageResult(path=order.path, error="no model is loaded"), None
                )
                continue
            if is_video_name(order.path):
                self._run_video(order)
                continue
            self._inbox.push_front(order)
            pipeline = Pipeline(self.detector, on_loaded=make_thumbnail, on_measured=self._measured)
            for done in pipeline.run(self._inbox.source(_as_job), cancel=self._stopping, on_start=self._on_start):
                self.finished_image.emit(done.job.tag, done.result, done.extra)

    def _run_video(self, order: DetectOrder) -> None:
        """Every frame of one video through the pipeline on this thread; candidates leave in chunks."""
        assert self.detector is not None
        stop = threading.Event()  # the batch was cancelled or the app is closing: the pipeline stops between frames
        try:
            detection = VideoDetection(
                self.detector, order.path, keep_pixels=False, cancel=stop, settings=order.settings
            )
        except VideoError as exc:
            self.video_done.emit(order.request_id, VideoEnd(error=exc.reason))
            return
        info = detection.info
        self.video_opened.emit(order.request_id, info)
        self.started_image.emit(order.request_id)
        chunk: list[tuple[int, float, Candidates]] = []
        thumbnail = None
        sent = time.monotonic()
        empty = Candidates.empty(CANDIDATE_FLOOR)
        failed: list[str] = []  # frames whose detection failed: said when the video is done, as the CLI does
        for found in detection:
            self.network_runs += 1
            if thumbnail is None and found.frame.rgb is not None:
                thumbnail = make_thumbnail(from_frame(found.frame.rgb, order.path))
            chunk.append((found.frame.index, found.frame.time, found.result.candidates or empty))
            if not found.result.ok:
                failed.append(f"detection failed on frame {found.frame.index}: {found.result.error}")
            if order.cancel.is_set() or self._stopping.is_set():
                stop.set()
            if time.monotonic() - sent >= VIDEO_CHUNK_S:
                self.video_frames.emit(order.request_id, chunk, detection.frames_read)
                chunk, sent = [], time.monotonic()
        if chunk:
            self.video_frames.emit(order.request_id, chunk, detection.frames_read)
        problem = None if stop.is_set() else detection.stopped_early
        if failed and not stop.is_set():
            more = f" (and {len(failed) - 1} more frames)" if len(failed) > 1 else ""
            problem = "; ".join(filter(None, [problem, failed[0] + more]))
        self.video_done.emit(order.request_id, VideoEnd(info.width, info.height, problem, thumbnail=thumbnail))

    def _measured(self, _changed: bool) -> None:
        assert self.detector is not None
        self.model_note.emit("engine", self.detector.engine_summary)

    def _on_start(self, job: Job) -> None:
        self.network_runs += 1
        self.started_image.emit(job.tag)

    def _load_model(self, request: ModelRequest) -> None:
        start = time.perf_counter()
        # No class filter for the detector: orders bring the session's, and a filter naming classes the new model
        # lacks must not refuse it (SessionModel.model_ready narrows the filter once it is loaded).
        choice = replace(request.choice, settings=replace(request.choice.settings, classes=None))
        detector = self.detector
        if detector is None or not _same_engine(detector, choice):  # other resize or tiles: the same network
            try:
                detector = Detector.chosen(choice, log=self.model_progress.emit, cancel=self._stopping)
            except Exception as exc:  # the previous detector stays in place
                if not self._stopping.is_set():
                    self.model_failed.emit(request.request_id, str(exc))
                return
        self.detector = detector
        info = detector.info.for_run(choice.settings)
        self.model_ready.emit(request.request_id, replace(info, seconds=time.perf_counter() - start))
        warning = first_load_warning(detector)  # once per model here (remembered): one run of the sample photo
        if warning:
            self.model_note.emit("warning", warning)


def _same_engine(detector: Detector, choice: DetectorChoice) -> bool:
    """Whether ``detector`` runs the network ``choice`` asks for (model, input size, precision)."""
    return (
        detector.model == choice.model
        and detector.settings.precision == choice.settings.precision
        and detector.input_size == input_size_of(choice.model, choice.settings.size)
    )
