"""The session as Qt sees it: signals over the Qt-free ``SessionModel``, and the worker thread that runs the model.

All state and rules live in ``session_model.py`` (tested without Qt), videos' tracks included; this adapter feeds
the worker, turns the worker's results into model calls, re-filters a few images per event-loop turn, makes
thumbnails into QImages (on the GUI thread) and emits what changed. The worker (``worker_base.DetectionWorker``:
this computer's, or queue workers') is made when the first model is asked for, after the window is on screen, so
neither the model runtime nor OpenCV nor Redis is imported before it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from ..inference.model_spec import DetectorChoice, ModelFiles, ModelInfo
from ..pipeline.inputs import InputCollector, InputFile, InputProblem
from ..results import ImageResult
from ..settings import TILES_OFF, DetectorSettings
from .qt_images import qimage_from_rgb
from .session_model import MAX_IN_FLIGHT, Entry, ExportItem, SessionModel, Status, VideoEnd
from .worker_base import DetectionWorker, ModelRequest

if TYPE_CHECKING:
    from ..video.lines import CountLine
    from ..video.probe import VideoInfo
    from ..video.track import VideoTrack
    from ..video.tracking import TrackingOptions
    from ..video.zones import Zone

__all__ = ["Entry", "Session", "Status"]

CLUSTER_IN_FLIGHT = 64  # images handed to queue workers at once (in jobs of a few): enough to keep many busy
REFILTER_BUDGET_S = 0.012  # per event-loop turn when re-filtering many images, so the window stays fluid


def make_worker(workers_url: str | None) -> DetectionWorker:
    """This computer's worker (None) or the one that sends images to queue workers through Redis at the URL;
    imported only now (see the module's docstring)."""
    if workers_url is None:
        from .worker import InferenceWorker

        return InferenceWorker()
    from .cluster_worker import ClusterWorker

    return ClusterWorker(workers_url)


class Session(QObject):
    entries_added = Signal(int, int)  # first index, count
    entry_changed = Signal(int)
    progress_changed = Signal(object)  # session_model.Progress
    model_state_changed = Signal(str, str)  # "loading" | "ready" | "failed" | "none", message
    model_note = Signal(str, str)  # "engine" (the status line, auto's measured choice) | "warning", message
    results_refiltered = Signal()  # every finished image re-filtered (summary, table and overlay refresh)
    video_changed = Signal(int)  # entry index: its video got new frames, or finished

    _scanned = Signal(object, object)  # items, problems (from the scan thread)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = SessionModel()
        self.thumbnails: dict[int, QImage] = {}
        self._collector = InputCollector()
        self._scanner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scan")
        self._refilter_timer = QTimer(self, singleShot=True, interval=0)
        self._refilter_timer.timeout.connect(self._refilter_some)
        self._shut_down = False

        self.workers_url: str | None = None  # None: this computer; else the Redis URL of queue workers
        self._asked: DetectorChoice | None = None  # the last model asked for, asked again when the backend changes
        self._worker: DetectionWorker | None = None  # made on first use (see the module's docstring)
        self._scanned.connect(self._on_scanned)

    @property
    def worker(self) -> DetectionWorker:
        if self._worker is None:
            self._worker = make_worker(self.workers_url)
            for signal, slot in self._slots(self._worker):
                signal.connect(slot)
            self._worker.start()
        return self._worker

    def _slots(self, worker: DetectionWorker) -> list[tuple]:
        return [
            (worker.model_ready, self._on_model_ready),
            (worker.model_failed, self._on_model_failed),
            (worker.model_progress, self._on_model_progress),
            (worker.model_note, self._on_model_note),
            (worker.started_image, self._on_started),
            (worker.finished_image, self._on_finished),
            (worker.video_opened, self._on_video_opened),
            (worker.video_frames, self._on_video_frames),
            (worker.video_done, self._on_video_done),
        ]

    def use_workers(self, url: str | None) -> None:
        """Process on this computer (None) or on queue workers through Redis at ``url`` (their thread replaces
        the local one: the running batch is cancelled, the model is asked for again; results already shown stay)."""
        if url == self.workers_url:
            return
        self.cancel()
        old, self._worker = self._worker, None
        if old is not None:
            for signal, slot in self._slots(old):
                signal.disconnect(slot)
            old.stop()
        self.workers_url = url
        self.state.max_in_flight = CLUSTER_IN_FLIGHT if url else MAX_IN_FLIGHT
        if self._asked is not None:
            self.load_model(self._asked)

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
    def choice(self) -> DetectorChoice | None:
        return self.state.choice

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
        return self.state.all_counts()

    def finished_entries(self) -> list[Entry]:
        return self.state.finished_entries()

    def failed_entries(self) -> list[tuple[int, Entry]]:
        return self.state.failed_entries()

    def export_snapshot(self) -> list[ExportItem]:
        return self.state.export_snapshot()

    # ----- model ---------------------------------------------------------------------------------------------
    def load_model(self, choice: DetectorChoice) -> None:
        """Build the chosen detector on the worker thread (for other resize or tiles only, the one there serves);
        until it is ready the previous one (if any) stays. Thresholds and classes are the session's, whatever the
        choice's: each order carries them."""
        self._asked = choice
        request_id = self.state.begin_model_load(choice)
        self.model_state_changed.emit("loading", f"Loading {choice.model.name}…")
        self.worker.load_model(ModelRequest(request_id, choice))

    @Slot(int, object)
    def _on_model_ready(self, request_id: int, info: ModelInfo) -> None:
        rerun = self.state.model_ready(request_id, info)
        if rerun is None:
            return
        self.model_state_changed.emit("ready", _status_line(info, info.engine_description or info.engine))
        self._changed(rerun)
        self._pump()

    @Slot(str, str)
    def _on_model_note(self, kind: str, message: str) -> None:
        info = self.state.model_info
        if kind == "engine" and info is not None:
            self.model_note.emit(kind, _status_line(info, message))
        elif kind == "warning":
            self.model_note.emit(kind, message)

    @Slot(str)
    def _on_model_progress(self, message: str) -> None:
        self.model_state_changed.emit("loading", message)

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
    def _on_scanned(self, items: list[InputFile], problems: list[InputProblem]) -> None:
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
        self._video_changed(self.state.video_opened(request_id, info))

    @Slot(int, object, int)
    def _on_video_frames(self, request_id: int, frames: list, frames_read: int) -> None:
        self._video_changed(self.state.video_frames(request_id, frames, frames_read))

    @Slot(int, object)
    def _on_video_done(self, request_id: int, end: VideoEnd) -> None:
        index = self.state.video_done(request_id, end)
        if index is None:
            return  # cancelled or superseded: stale
        if end.thumbnail is not None:
            self.thumbnails[index] = qimage_from_rgb(end.thumbnail)
        self._video_changed(index)
        self._pump()

    def _video_changed(self, index: int | None) -> None:
        if index is not None:
            self.entry_changed.emit(index)
            self.video_changed.emit(index)

    def video(self, index: int) -> VideoTrack | None:
        """The frames of the video at ``index`` to show: the finished run, else the one in progress."""
        return self.state.video(index)

    def tracking_options(self, index: int) -> TrackingOptions | None:
        """How the video at ``index`` is tracked, its counting lines included (None: not tracked)."""
        return self.state.tracking_options(index)

    def set_video_lines(self, index: int, lines: Sequence[CountLine]) -> TrackingOptions | None:
        return self.state.set_video_lines(index, lines)

    def set_video_zones(self, index: int, zones: Sequence[Zone]) -> TrackingOptions | None:
        return self.state.set_video_zones(index, zones)

    def cancel(self) -> None:
        """Stop the batch: the image being processed finishes (≤ one image), the rest go back to 'queued'."""
        changed = self.state.cancel()
        self._changed(changed)
        for index in changed:
            if self.state.entries[index].item.is_video:
                self.video_changed.emit(index)
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
        return self._worker.stop(timeout_ms) if self._worker is not None else True


def _status_line(info: ModelInfo, engine: str) -> str:
    """The status bar's model line: name · size · precision [· tiles] · what runs (and why, when auto chose)."""
    tiles = "" if info.tiles == TILES_OFF else f" · tiles {info.tiles}"
    return f"{info.name} · {info.input_size}×{info.input_size} · {info.precision}{tiles} · {engine}"
