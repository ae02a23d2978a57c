"""Session state: the images, their results, the queue, thresholds and the model. Lives on the GUI thread.

It feeds the worker one image request at a time (two in flight, so the worker never idles), keeps each image's
raw result with its candidates, and re-filters results itself when thresholds or the class filter change — the
network never runs for that. Request ids tie results to requests: anything cancelled or superseded is dropped.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import Enum

import numpy as np
from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from ..batch import InputCollector, InputImage
from ..inference.detector import ModelFiles, refilter
from ..results import ImageResult
from ..settings import DetectorSettings
from .qt_images import qimage_from_rgb
from .worker import DetectRequest, InferenceWorker, ModelInfo, ModelRequest

MAX_IN_FLIGHT = 3  # one running, two decoding ahead on the worker's loader thread
REFILTER_BUDGET_S = 0.012  # per event-loop turn when re-filtering many images, so the window stays fluid


class Status(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass
class Entry:
    item: InputImage
    status: Status = Status.QUEUED
    raw: ImageResult | None = None  # as the worker returned it, with candidates
    shown: ImageResult | None = None  # re-filtered with the current thresholds and class filter
    thumbnail: QImage | None = None
    error: str | None = None

    @property
    def path(self) -> str:
        return self.item.path

    @property
    def status_text(self) -> str:
        if self.status is Status.DONE and self.shown is not None:
            count = len(self.shown.detections)
            return f"{count} detection{'s' if count != 1 else ''}"
        if self.status is Status.FAILED:
            return f"failed: {self.error}"
        return self.status.value


@dataclass
class Progress:
    done: int = 0
    total: int = 0
    rate: float = 0.0  # images per second
    eta: float | None = None  # seconds
    running: bool = False


@dataclass
class _Batch:
    cancel: threading.Event = field(default_factory=threading.Event)
    total: int = 0
    done: int = 0
    started: float = field(default_factory=time.perf_counter)


class Session(QObject):
    entries_added = Signal(int, int)  # first index, count
    entry_changed = Signal(int)
    progress_changed = Signal(object)  # Progress
    model_state_changed = Signal(str, str)  # "loading" | "ready" | "failed" | "none", message
    results_refiltered = Signal()  # every finished image re-filtered (summary, table and overlay refresh)

    _request_model = Signal(object)
    _request_detect = Signal(object)
    _scanned = Signal(object, object)  # items, problems (from the scan thread)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.entries: list[Entry] = []
        self.roots: list[str] = []  # every file/folder the user added: exports must stay out of them
        self.settings = DetectorSettings()
        self.model: ModelFiles | None = None
        self.model_info: ModelInfo | None = None
        self.model_state = "none"
        self._pending_model: ModelFiles | None = None
        self.current = -1  # the image on screen: re-filtered first
        self._queue: deque[int] = deque()
        self._in_flight: dict[int, int] = {}  # request id → entry index
        self._next_request = 0
        self._model_request = -1
        self._batch = _Batch()
        self._collector = InputCollector()
        self._scanner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scan")
        self._refilter_pending: deque[int] = deque()
        self._refilter_timer = QTimer(self, singleShot=True, interval=0)
        self._refilter_timer.timeout.connect(self._refilter_some)

        self.thread = QThread(self)
        self.thread.setObjectName("inference")
        self.worker = InferenceWorker()
        self.worker.moveToThread(self.thread)
        self.thread.finished.connect(self.worker.deleteLater)
        self._request_model.connect(self.worker.load_model)
        self._request_detect.connect(self.worker.detect)
        self.worker.model_ready.connect(self._on_model_ready)
        self.worker.model_failed.connect(self._on_model_failed)
        self.worker.model_progress.connect(lambda message: self.model_state_changed.emit("loading", message))
        self.worker.started.connect(self._on_started)
        self.worker.finished.connect(self._on_finished)
        self.worker.skipped.connect(self._on_skipped)
        self._scanned.connect(self._on_scanned)
        self.thread.start()

    # ----- model ---------------------------------------------------------------------------------------------
    def load_model(self, model: ModelFiles, size: int | None = None, precision: str = "accurate") -> None:
        """Build a detector on the worker thread; until it is ready the previous one (if any) stays."""
        self._next_request += 1
        self._model_request = self._next_request
        self.model_state = "loading"
        self.model_state_changed.emit("loading", f"Loading {model.name}…")
        self._pending_model = model
        self._request_model.emit(
            ModelRequest(self._model_request, model, replace(self.settings, size=size, precision=precision))
        )

    @Slot(int, object)
    def _on_model_ready(self, request_id: int, info: ModelInfo) -> None:
        if request_id != self._model_request:
            return
        changed = self.model_info is not None and (
            self.model_info.name,
            self.model_info.input_size,
            self.model_info.precision,
        ) != (info.name, info.input_size, info.precision)
        self.model, self.model_info, self.model_state = self._pending_model, info, "ready"
        known = set(info.names)
        if self.settings.classes is not None:
            self.settings = self.settings.with_classes(self.settings.classes & known or None)
        self.model_state_changed.emit("ready", f"{info.name} · {info.input_size}×{info.input_size} · {info.precision}")
        if changed:
            self._rerun_finished()
        self._pump()

    @Slot(int, str)
    def _on_model_failed(self, request_id: int, message: str) -> None:
        if request_id != self._model_request:
            return
        self.model_state = "ready" if self.model_info is not None else "failed"
        self.model_state_changed.emit("failed", message)
        self._pump()

    def _rerun_finished(self) -> None:
        """A new model or input size: every finished image is detected again (old results stay until replaced)."""
        self._new_batch_if_idle()
        for index, entry in enumerate(self.entries):
            if entry.status is Status.DONE:
                entry.status = Status.QUEUED
                self._queue.append(index)
                self._batch.total += 1
                self.entry_changed.emit(index)
        self._emit_progress()

    # ----- adding images -------------------------------------------------------------------------------------
    def add_paths(self, paths: Iterable[str], recursive: bool = False) -> None:
        """Queue files and folders; folders are listed on a background thread so the window never waits."""
        paths = [str(p) for p in paths]
        if not paths:
            return
        self.roots.extend(paths)

        def scan() -> None:
            items, problems = self._collector.add(paths, recursive)
            self._scanned.emit(items, problems)

        self._scanner.submit(scan)

    @Slot(object, object)
    def _on_scanned(self, items: list[InputImage], problems) -> None:
        self._new_batch_if_idle()
        first = len(self.entries)
        for item in items:
            self.entries.append(Entry(item))
            self._queue.append(len(self.entries) - 1)
        for problem in problems:
            # Never exported (failed), so its output name does not matter; the path is what the user sees.
            self.entries.append(
                Entry(InputImage(problem.path, "", os.path.basename(problem.path)), Status.FAILED, error=problem.reason)
            )
        added = len(self.entries) - first
        if added:
            self._batch.total += len(items)
            self.entries_added.emit(first, added)
        self._emit_progress()
        self._pump()

    def retry(self, indices: Iterable[int] | None = None) -> None:
        """Queue failed images again (all of them by default), e.g. after the files were fixed."""
        self._new_batch_if_idle()
        targets = list(indices) if indices is not None else range(len(self.entries))
        for index in targets:
            entry = self.entries[index]
            if entry.status is Status.FAILED:
                entry.status, entry.error, entry.raw, entry.shown = Status.QUEUED, None, None, None
                self._queue.append(index)
                self._batch.total += 1
                self.entry_changed.emit(index)
        self._emit_progress()
        self._pump()

    # ----- running -------------------------------------------------------------------------------------------
    def _new_batch_if_idle(self) -> None:
        if not self._queue and not self._in_flight:
            self._batch = _Batch()

    def _pump(self) -> None:
        if self.model_state == "loading" or self.model_info is None:
            return
        while self._queue and len(self._in_flight) < MAX_IN_FLIGHT:
            index = self._queue.popleft()
            self._next_request += 1
            self._in_flight[self._next_request] = index
            self._request_detect.emit(DetectRequest(self._next_request, self.entries[index].path, self._batch.cancel))

    @Slot(int)
    def _on_started(self, request_id: int) -> None:
        index = self._in_flight.get(request_id)
        if index is not None:
            self.entries[index].status = Status.RUNNING
            self.entry_changed.emit(index)

    @Slot(int, object, object)
    def _on_finished(self, request_id: int, result: ImageResult, thumbnail: np.ndarray | None) -> None:
        index = self._in_flight.pop(request_id, None)
        if index is None:
            return  # cancelled or superseded: stale
        entry = self.entries[index]
        if thumbnail is not None:
            entry.thumbnail = qimage_from_rgb(thumbnail)
        entry.raw = result
        if result.ok:
            entry.status, entry.error = Status.DONE, None
            entry.shown = refilter(result, self.settings, self.model_info.names if self.model_info else ())
        else:
            entry.status, entry.error, entry.shown = Status.FAILED, result.error, None
        self._batch.done += 1
        self.entry_changed.emit(index)
        self._emit_progress()
        self._pump()

    @Slot(int)
    def _on_skipped(self, request_id: int) -> None:
        self._in_flight.pop(request_id, None)
        self._emit_progress()

    def cancel(self) -> None:
        """Stop the batch: the image being processed finishes (≤ one image), the rest go back to 'queued'."""
        self._batch.cancel.set()
        for index in list(self._queue) + list(self._in_flight.values()):
            entry = self.entries[index]
            if entry.status in (Status.QUEUED, Status.RUNNING):
                entry.status = Status.QUEUED if entry.raw is None else Status.DONE
                self.entry_changed.emit(index)
        self._queue.clear()
        self._in_flight.clear()
        done, total = self._batch.done, self._batch.total
        self._batch = _Batch(total=total, done=done)  # progress keeps saying how far it got
        self._emit_progress()

    @property
    def queued(self) -> list[int]:
        return [i for i, e in enumerate(self.entries) if e.status is Status.QUEUED and e.raw is None]

    def resume(self) -> None:
        """Queue everything that never ran (after a cancel)."""
        self._new_batch_if_idle()
        for index in self.queued:
            if index not in self._queue:
                self._queue.append(index)
                self._batch.total += 1
        self._emit_progress()
        self._pump()

    def _emit_progress(self) -> None:
        batch = self._batch
        running = bool(self._queue or self._in_flight)
        elapsed = time.perf_counter() - batch.started
        rate = batch.done / elapsed if batch.done and elapsed > 0 else 0.0
        remaining = batch.total - batch.done
        eta = remaining / rate if rate > 0 and running else None
        self.progress_changed.emit(Progress(batch.done, batch.total, rate, eta, running))

    # ----- thresholds ----------------------------------------------------------------------------------------
    def set_settings(self, settings: DetectorSettings) -> None:
        """New thresholds / class filter: the image on screen is re-filtered now, the others a few at a time."""
        if settings == self.settings:
            return
        self.settings = settings
        names = self.model_info.names if self.model_info else ()
        if 0 <= self.current < len(self.entries):
            self._refilter_one(self.current, names)
        self._refilter_pending = deque(
            i for i, e in enumerate(self.entries) if e.raw is not None and e.raw.ok and i != self.current
        )
        self._refilter_timer.start()

    def _refilter_one(self, index: int, names) -> None:
        entry = self.entries[index]
        if entry.raw is not None and entry.raw.ok:
            entry.shown = refilter(entry.raw, self.settings, names)
            self.entry_changed.emit(index)

    @Slot()
    def _refilter_some(self) -> None:
        names = self.model_info.names if self.model_info else ()
        deadline = time.perf_counter() + REFILTER_BUDGET_S
        while self._refilter_pending and time.perf_counter() < deadline:
            self._refilter_one(self._refilter_pending.popleft(), names)
        if self._refilter_pending:
            self._refilter_timer.start()
        else:
            self.results_refiltered.emit()

    # ----- summaries -----------------------------------------------------------------------------------------
    def batch_counts(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for entry in self.entries:
            if entry.shown is not None:
                counts.update(d.label for d in entry.shown.detections)
        return counts

    def finished_entries(self) -> list[Entry]:
        return [e for e in self.entries if e.status is Status.DONE and e.shown is not None]

    def failed_entries(self) -> list[tuple[int, Entry]]:
        return [(i, e) for i, e in enumerate(self.entries) if e.status is Status.FAILED]

    # ----- shutdown ------------------------------------------------------------------------------------------
    def shutdown(self, timeout_ms: int = 30_000) -> None:
        """Cancel, let the worker finish its current image, stop its thread. Safe to call twice."""
        self.cancel()
        self._scanner.shutdown(wait=False, cancel_futures=True)
        if self.thread.isRunning():
            self.thread.quit()
            self.thread.wait(timeout_ms)
        self.worker.stop()
