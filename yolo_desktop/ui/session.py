"""The session as Qt sees it: signals over the Qt-free ``SessionModel``, and the worker thread that runs the model.

All state and rules live in ``session_model.py`` (tested without Qt); this adapter feeds the worker, turns the
worker's results into model calls, re-filters a few images per event-loop turn, makes thumbnails into QImages (on
the GUI thread) and emits what changed. A video's processed frames arrive in chunks and go into its
``VideoTrack`` (``videos``, by entry index), whose compact store the player and timeline read.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from ..batch import InputCollector, InputImage, InputProblem
from ..inference.detector import ModelFiles
from ..results import ImageResult
from ..session_model import MAX_IN_FLIGHT, Entry, ExportItem, ModelInfo, SessionModel, Status
from ..settings import DEFAULT_RESIZE, DetectorSettings
from ..video.probe import VideoInfo
from ..video.track import VideoTrack
from .cluster_worker import ClusterWorker
from .qt_images import qimage_from_rgb
from .worker import InferenceWorker, ModelRequest

__all__ = ["Entry", "Session", "Status"]

CLUSTER_IN_FLIGHT = 64  # images handed to queue workers at once (in jobs of a few): enough to keep many busy
REFILTER_BUDGET_S = 0.012  # per event-loop turn when re-filtering many images, so the window stays fluid


class Session(QObject):
    entries_added = Signal(int, int)  # first index, count
    entry_changed = Signal(int)
    progress_changed = Signal(object)  # session_model.Progress
    model_state_changed = Signal(str, str)  # "loading" | "ready" | "failed" | "none", message
    results_refiltered = Signal()  # every finished image re-filtered (summary, table and overlay refresh)
    video_changed = Signal(int)  # entry index: its video got new frames, or finished

    _scanned = Signal(object, object)  # items, problems (from the scan thread)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = SessionModel()
        self.thumbnails: dict[int, QImage] = {}
        self.videos: dict[int, VideoTrack] = {}  # entry index → its processed frames (finished, or first run)
        self._running: dict[int, VideoTrack] = {}  # entry index → the run in progress
        self._collector = InputCollector()
        self._scanner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scan")
        self._refilter_timer = QTimer(self, singleShot=True, interval=0)
        self._refilter_timer.timeout.connect(self._refilter_some)
        self._shut_down = False

        self.workers_url: str | None = None  # None: this computer; else the Redis URL of queue workers
        self._model_args: tuple | None = None  # the last load_model request, repeated when the backend changes
        self.worker: InferenceWorker | ClusterWorker = self._attach(InferenceWorker())
        self._scanned.connect(self._on_scanned)

    def _attach(self, worker: InferenceWorker | ClusterWorker) -> InferenceWorker | ClusterWorker:
        worker.model_ready.connect(self._on_model_ready)
        worker.model_failed.connect(self._on_model_failed)
        worker.model_progress.connect(lambda message: self.model_state_changed.emit("loading", message))
        worker.started_image.connect(self._on_started)
        worker.finished_image.connect(self._on_finished)
        if isinstance(worker, InferenceWorker):  # videos are processed on this computer
            worker.video_opened.connect(self._on_video_opened)
            worker.video_frames.connect(self._on_video_frames)
            worker.video_done.connect(self._on_video_done)
        worker.start()
        return worker

    def use_workers(self, url: str | None) -> None:
        """Process on this computer (None) or on queue workers through Redis at ``url`` (their thread replaces
        the local one: the running batch is cancelled, the model is asked for again; results already shown stay)."""
        if url == self.workers_url:
            return
        self.cancel()
        old = self.worker
        for signal in (old.model_ready, old.model_failed, old.model_progress, old.started_image, old.finished_image):
            signal.disconnect()
        if isinstance(old, InferenceWorker):
            for signal in (old.video_opened, old.video_frames, old.video_done):
                signal.disconnect()
        old.stop()
        self.workers_url = url
        self.state.max_in_flight = CLUSTER_IN_FLIGHT if url else MAX_IN_FLIGHT
        self.worker = self._attach(InferenceWorker() if url is None else ClusterWorker(url))
        if self._model_args is not None:
            self.load_model(*self._model_args)

    # ----- plain state, read by the widgets ------------------------------------------------------------------
    @property
    def entries(self) -> list[Entry]:
        return self.state.entries

    @property
    def roots(self) -> list[str]:
        return self.state.roots

    @property
    def settings(self) -> DetectorSettings:
        return self.state.settings

    @settings.setter
    def settings(self, value: DetectorSettings) -> None:
        self.state.settings = value

    @property
    def model_info(self) -> ModelInfo | None:
        return self.state.model_info

    @property
    def model(self) -> ModelFiles | None:
        return self.state.model

    @property
    def model_state(self) -> str:
        return self.state.model_state

    @property
    def current(self) -> int:
        return self.state.current

    @current.setter
    def current(self, row: int) -> None:
        self.state.current = row

    @property
    def has_unprocessed(self) -> bool:
        return self.state.has_unprocessed

    @property
    def refiltering(self) -> bool:
        return self.state.refiltering

    def thumbnail(self, row: int) -> QImage | None:
        return self.thumbnails.get(row)

    def batch_counts(self):
        return self.state.counts

    def finished_entries(self) -> list[Entry]:
        return self.state.finished_entries()

    def failed_entries(self) -> list[tuple[int, Entry]]:
        return self.state.failed_entries()

    def export_snapshot(self) -> list[ExportItem]:
        return self.state.export_snapshot()

    # ----- model ---------------------------------------------------------------------------------------------
    def load_model(
        self, model: ModelFiles, size: int | None = None, precision: str = "accurate", resize: str = DEFAULT_RESIZE
    ) -> None:
        """Build a detector on the worker thread; until it is ready the previous one (if any) stays."""
        self._model_args = (model, size, precision, resize)
        request_id = self.state.begin_model_load(model)
        self.model_state_changed.emit("loading", f"Loading {model.name}…")
        self.worker.load_model(
            ModelRequest(request_id, model, replace(self.settings, size=size, precision=precision, resize=resize))
        )

    @Slot(int, object)
    def _on_model_ready(self, request_id: int, info: ModelInfo) -> None:
        rerun = self.state.model_ready(request_id, info)
        if rerun is None:
            return
        size = f"{info.input_size}×{info.input_size}"
        engine = info.engine_description or info.engine
        self.model_state_changed.emit("ready", f"{info.name} · {size} · {info.precision} · {engine}")
        self._changed(rerun)
        self._pump()

    @Slot(int, str)
    def _on_model_failed(self, request_id: int, message: str) -> None:
        if self.state.model_failed(request_id):
            self.model_state_changed.emit("failed", message)
            self._pump()

    # ----- adding images -------------------------------------------------------------------------------------
    def add_paths(self, paths: Iterable[str], recursive: bool = False) -> None:
        """Queue files and folders; folders are listed on a background thread so the window never waits."""
        paths = [str(p) for p in paths]
        if not paths:
            return
        self.state.roots.extend(paths)

        def scan() -> None:
            items, problems = self._collector.add(paths, recursive)
            self._scanned.emit(items, problems)

        self._scanner.submit(scan)

    @Slot(object, object)
    def _on_scanned(self, items: list[InputImage], problems: list[InputProblem]) -> None:
        added = self.state.add_scanned(items, problems)
        if len(added):
            self.entries_added.emit(added.start, len(added))
        self._pump()

    def retry(self, indices: Iterable[int] | None = None) -> None:
        """Queue failed images again (all of them by default), e.g. after the files were fixed."""
        self._changed(self.state.retry(indices))
        self._pump()

    # ----- running -------------------------------------------------------------------------------------------
    def _pump(self) -> None:
        if not self._shut_down:
            for order in self.state.next_orders():
                self.worker.detect(order)
        self.progress_changed.emit(self.state.progress())

    @Slot(int)
    def _on_started(self, request_id: int) -> None:
        index = self.state.started(request_id)
        if index is not None:
            self.entry_changed.emit(index)

    @Slot(int, object, object)
    def _on_finished(self, request_id: int, result: ImageResult, thumbnail: np.ndarray | None) -> None:
        index = self.state.finished(request_id, result)
        if index is None:
            return  # cancelled or superseded: stale
        if thumbnail is not None:
            self.thumbnails[index] = qimage_from_rgb(thumbnail)
        self.entry_changed.emit(index)
        self._pump()

    @Slot(int, object)
    def _on_video_opened(self, request_id: int, info: VideoInfo) -> None:
        index = self.state.index_for(request_id)
        if index is not None:
            # Run again (a new model): the finished frames stay on screen until the new run has them all.
            self._running[index] = VideoTrack.open(info, self.state.names)
            if index not in self.videos:
                self.videos[index] = self._running[index]
            self._video_changed(index)

    @Slot(int, object, int)
    def _on_video_frames(self, request_id: int, frames: list, frames_read: int) -> None:
        index = self.state.index_for(request_id)
        if index is not None and index in self._running:
            self._running[index].add(frames, frames_read)
            self._video_changed(index)

    @Slot(int, object)
    def _on_video_done(self, request_id: int, problem: str | None) -> None:
        index = self.state.index_for(request_id)
        if index is not None and index in self._running:
            track = self._running.pop(index)
            track.finish(problem)
            self.videos[index] = track
            self._video_changed(index)

    def _video_changed(self, index: int) -> None:
        track = self._running.get(index) or self.videos[index]
        self.state.entries[index].note = track.note
        self.entry_changed.emit(index)
        self.video_changed.emit(index)

    def video(self, index: int) -> VideoTrack | None:
        """The frames of the video at ``index`` to show: the finished run, else the one in progress."""
        return self.videos.get(index)

    def cancel(self) -> None:
        """Stop the batch: the image being processed finishes (≤ one image), the rest go back to 'queued'."""
        for index in list(self._running):  # a video cut short goes back to how it was, like an image
            del self._running[index]
            if index in self.videos and not self.videos[index].finished:
                del self.videos[index]
            self.state.entries[index].note = self.videos[index].note if index in self.videos else ""
            self.video_changed.emit(index)
        self._changed(self.state.cancel())
        self.progress_changed.emit(self.state.progress())

    def resume(self) -> None:
        """Queue everything that never ran (after a cancel)."""
        self.state.resume()
        self._pump()

    def _changed(self, indices: Iterable[int]) -> None:
        for index in indices:
            self.entry_changed.emit(index)

    # ----- thresholds ----------------------------------------------------------------------------------------
    def set_settings(self, settings: DetectorSettings) -> None:
        """New thresholds / class filter: the image on screen is re-filtered now, the others a few at a time."""
        self._changed(self.state.set_settings(settings))
        if self.state.refiltering:
            self._refilter_timer.start()
        else:
            self.results_refiltered.emit()

    @Slot()
    def _refilter_some(self) -> None:
        self._changed(self.state.refilter_some(REFILTER_BUDGET_S))
        if self.state.refiltering:
            self._refilter_timer.start()
        else:
            self.results_refiltered.emit()

    # ----- shutdown ------------------------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel, let the worker finish the image in the network (a conversion child is killed), end its thread.
        Safe to call twice. True when the worker thread has ended."""
        if not self._shut_down:
            self._shut_down = True
            self.cancel()
            self._scanner.shutdown(wait=False, cancel_futures=True)
        return self.worker.stop(timeout_ms)
