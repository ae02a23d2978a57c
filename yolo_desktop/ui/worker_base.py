"""The one interface of the window's detection thread, whoever does the work.

``DetectionWorker`` declares the signals once (superqt's worker shape: a thread whose results are signals); the
local ``InferenceWorker`` (``worker.py``, runs the model here) and the ``ClusterWorker`` (``cluster_worker.py``,
queue workers through Redis) implement it, so the session wires either the same way (``session.make_worker``
imports the one asked for only then: the model runtime, OpenCV and Redis stay out of the window's start-up).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QThread, Signal

from ..inference.model_spec import DetectorChoice
from .session_model import DetectOrder


@dataclass(frozen=True)
class ModelRequest:
    request_id: int
    choice: DetectorChoice  # the model, and how it runs (orders bring their own thresholds and classes)


class DetectionWorker(QThread):
    """A thread that loads a model and detects the images it is given; every outcome leaves as a signal."""

    model_ready = Signal(int, object)  # request id, session_model.ModelInfo
    model_failed = Signal(int, str)  # request id, message for the user
    model_progress = Signal(str)  # e.g. "Converting … once"
    # "engine": auto measured after the first result (the engine summary, with its numbers); "warning": the model
    # finds nothing on the bundled sample photo (pipeline/sample_check.py)
    model_note = Signal(str, str)
    started_image = Signal(int)  # request id: its image is being detected now
    finished_image = Signal(int, object, object)  # request id, ImageResult, thumbnail (H, W, 3) uint8 or None
    video_opened = Signal(int, object)  # request id, video.probe.VideoInfo
    video_frames = Signal(int, object, int)  # request id, [(frame index, seconds, Candidates)], frames read so far
    video_done = Signal(int, object)  # request id, VideoEnd (session_model): how it ended, its size and thumbnail

    network_runs = 0  # times the network ran in this process (tests check re-filtering never adds to it)

    # ----- called on the GUI thread --------------------------------------------------------------------------
    def load_model(self, request: ModelRequest) -> None:
        raise NotImplementedError

    def detect(self, order: DetectOrder) -> None:
        raise NotImplementedError

    def stop(self, timeout_ms: int = 30_000) -> bool:
        """End the thread after the image in hand (a conversion child is killed); True if it ended in time."""
        raise NotImplementedError
