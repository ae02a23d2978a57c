"""The window's session as plain state, no Qt: the images, their results, the queue, request ids, progress,
thresholds and per-class counts. ``ui/session.py`` adapts it to signals and a worker thread (napari keeps its
``components`` apart from ``_qt`` the same way), so everything here is tested without a window.

Every method runs on one thread (the GUI thread in the app) and returns what changed; nothing here waits.
Bookkeeping is O(1) per event: queue membership and "never ran" are sets, the batch counts are updated from the
difference between an image's old and new detections.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING

import numpy as np

from ..inference.decode import refilter
from ..inference.model_spec import DetectorChoice, ModelFiles, ModelInfo
from ..pipeline.inputs import InputFile, InputProblem
from ..results import Candidates, ImageResult
from ..settings import DEFAULTS, DetectorSettings
from ..video.lines import CountLine
from ..video.track import VideoTrack
from ..video.tracking import TRACKED, TrackingOptions
from ..video.zones import Zone
from .video_setups import VideoSetups

if TYPE_CHECKING:
    from ..video.probe import VideoInfo

MAX_IN_FLIGHT = 4  # one in the network, up to three decoding ahead on the worker's loader thread


class Status(Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass
class Entry:
    item: InputFile
    status: Status = Status.QUEUED
    raw: ImageResult | None = None  # as the worker returned it, with candidates
    shown: ImageResult | None = None  # re-filtered with the current thresholds and class filter
    error: str | None = None
    note: str = ""  # shown instead of the detection count (a video: its progress, then its length)

    @property
    def path(self) -> str:
        return self.item.path

    @property
    def status_text(self) -> str:
        if self.note and self.status in (Status.RUNNING, Status.DONE):
            return self.note
        if self.status is Status.DONE and self.shown is not None:
            count = len(self.shown.detections)
            return f"{count} detection{'s' if count != 1 else ''}"
        if self.status is Status.FAILED:
            return f"failed: {self.error}"
        return self.status.value


@dataclass(frozen=True)
class ExportItem:
    """One image as an export sees it: taken when the export starts, so later re-filtering cannot reach it."""

    item: InputFile
    shown: ImageResult | None
    error: str | None


@dataclass(frozen=True)
class DetectOrder:
    """What the session asks the worker to do for one image: its result comes back selected at ``settings``."""

    request_id: int
    index: int
    path: str
    cancel: threading.Event  # set when the batch this order belongs to is cancelled
    settings: DetectorSettings  # the loaded model's, with the thresholds and classes on screen when ordered


@dataclass(frozen=True)
class VideoEnd:
    """The worker's last message about a video order: how its run ended. Its frames came before, in chunks."""

    width: int = 0  # pixels, the video's frame size (0 when it could not be opened)
    height: int = 0
    problem: str | None = None  # why it stopped early (the frames processed stay); None: the whole video ran
    error: str | None = None  # why it could not be opened at all: the entry fails with this reason
    thumbnail: np.ndarray | None = None  # (H, W, 3) uint8 RGB of its first frame, for the list


@dataclass(frozen=True)
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


class SessionModel:
    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.entries: list[Entry] = []
        self.roots: list[str] = []  # every file/folder the user added: exports must stay out of them
        # The loaded model's settings (its input size resolved) with the thresholds and classes on screen: what
        # every order runs with, and what shown results are selected at.
        self.settings = settings or DEFAULTS
        self.model: ModelFiles | None = None
        self.model_info: ModelInfo | None = None
        self.model_state = "none"  # "none" | "loading" | "ready" | "failed"
        self.current = -1  # the image on screen: re-filtered first
        self.counts: Counter[str] = Counter()  # shown detections per class over every image
        self._pending: DetectorChoice | None = None
        self._model_request = -1
        self._next_request = 0
        self._queue: deque[int] = deque()
        self._queued: set[int] = set()  # the queue's members, for O(1) membership
        self._never_ran: set[int] = set()  # added, not yet processed (what Resume would queue)
        self._in_flight: dict[int, DetectOrder] = {}  # request id → its order
        self._batch = _Batch()
        self._refilter_pending: deque[int] = deque()
        self.max_in_flight = MAX_IN_FLIGHT  # more when queue workers on other machines do the work
        self.videos: dict[int, VideoTrack] = {}  # entry index → the frames to show (finished run, or first run)
        self._running_videos: dict[int, VideoTrack] = {}  # entry index → the run in progress
        self.tracking: TrackingOptions | None = TRACKED  # how videos are tracked (None: not); lines per video:
        self.setups = VideoSetups()  # each video's counting lines and zones, saved with its folder

    # ----- model ---------------------------------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        return self.model_info.names if self.model_info else ()

    @property
    def choice(self) -> DetectorChoice | None:
        """The loaded model and how it runs (the settings store keeps it); None before any model is loaded."""
        return DetectorChoice(self.model, self.settings) if self.model is not None else None

    def begin_model_load(self, choice: DetectorChoice) -> int:
        """A new model (or size, precision, resize, tiles) was asked for; returns the request id to send the
        worker. Until it is ready the previous one (if any) stays, and no new image is handed out."""
        self._next_request += 1
        self._model_request = self._next_request
        self._pending = choice
        self.model_state = "loading"
        return self._model_request

    def model_ready(self, request_id: int, info: ModelInfo) -> list[int] | None:
        """Accept a loaded model; None when the request is stale. Returns the images queued again (a new model
        or input size detects every finished image again; old results stay shown until replaced)."""
        if request_id != self._model_request or self._pending is None:
            return None
        previous = self.model_info
        self.model, self.model_info, self.model_state = self._pending.model, info, "ready"
        self.settings = replace(self._pending.settings.with_selection(self.settings), size=info.input_size)
        if self.settings.classes is not None:
            self.settings = self.settings.with_classes(self.settings.classes & set(info.names) or None)
        return self._rerun_finished() if previous is not None and previous.identity != info.identity else []

    def model_failed(self, request_id: int) -> bool:
        if request_id != self._model_request:
            return False
        self.model_state = "ready" if self.model_info is not None else "failed"
        return True

    def _rerun_finished(self) -> list[int]:
        self._new_batch_if_idle()
        changed = []
        for index, entry in enumerate(self.entries):
            if entry.status is Status.DONE:
                entry.status = Status.QUEUED
                self._enqueue(index)
                changed.append(index)
        return changed

    # ----- adding images -------------------------------------------------------------------------------------
    def add_scanned(self, items: Sequence[InputFile], problems: Sequence[InputProblem]) -> range:
        """Images found by a scan join the queue; inputs that could not be listed are shown as failed."""
        self._new_batch_if_idle()
        first = len(self.entries)
        for item in items:
            self.entries.append(Entry(item))
            self._never_ran.add(len(self.entries) - 1)
            self._enqueue(len(self.entries) - 1)
        for problem in problems:
            # Never exported (failed), so its output name does not matter; the path is what the user sees.
            self.entries.append(
                Entry(InputFile(problem.path, "", os.path.basename(problem.path)), Status.FAILED, error=problem.reason)
            )
        return range(first, len(self.entries))

    def retry(self, indices: Iterable[int] | None = None) -> list[int]:
        """Queue failed images again (all of them by default), e.g. after the files were fixed."""
        self._new_batch_if_idle()
        changed = []
        for index in indices if indices is not None else range(len(self.entries)):
            entry = self.entries[index]
            if entry.status is Status.FAILED:
                self._set_shown(entry, None)
                entry.status, entry.error, entry.raw = Status.QUEUED, None, None
                self._enqueue(index)
                changed.append(index)
        return changed

    # ----- running -------------------------------------------------------------------------------------------
    def _enqueue(self, index: int) -> None:
        if index not in self._queued:
            self._queue.append(index)
            self._queued.add(index)
            self._batch.total += 1

    def _new_batch_if_idle(self) -> None:
        if not self._queue and not self._in_flight:
            self._batch = _Batch()

    def next_orders(self) -> list[DetectOrder]:
        """Images to hand to the worker now (none while a model loads), keeping MAX_IN_FLIGHT in flight."""
        if self.model_state == "loading" or self.model_info is None:
            return []
        orders = []
        while self._queue and len(self._in_flight) < self.max_in_flight:
            index = self._queue.popleft()
            self._queued.discard(index)
            self._next_request += 1
            order = DetectOrder(self._next_request, index, self.entries[index].path, self._batch.cancel, self.settings)
            self._in_flight[order.request_id] = order
            orders.append(order)
        return orders

    def index_for(self, request_id: int) -> int | None:
        """The image an order still in flight is for; None once it is stale (cancelled or superseded)."""
        order = self._in_flight.get(request_id)
        return order.index if order is not None else None

    def started(self, request_id: int) -> int | None:
        index = self.index_for(request_id)
        if index is not None:
            self.entries[index].status = Status.RUNNING
        return index

    def finished(self, request_id: int, result: ImageResult) -> int | None:
        """A result arrived, selected at its order's settings; None when it is stale (its batch was cancelled or
        superseded). Shown as it is, unless the thresholds or classes changed since it was ordered."""
        order = self._in_flight.pop(request_id, None)
        if order is None:
            return None
        index = order.index
        entry = self.entries[index]
        entry.raw = result
        self._never_ran.discard(index)
        if result.ok:
            entry.status, entry.error = Status.DONE, None
            same = order.settings.selection == self.settings.selection
            self._set_shown(entry, result if same else refilter(result, self.settings, self.names))
        else:
            entry.status, entry.error = Status.FAILED, result.error
            self._set_shown(entry, None)
        self._batch.done += 1
        return index

    def cancel(self) -> list[int]:
        """Stop the batch: the image in the network finishes (≤ one image), the rest go back to 'queued'; a
        running video is dropped. Returns the entries that changed (videos among them)."""
        self._batch.cancel.set()
        changed = self._drop_running_videos()
        for index in list(self._queue) + [order.index for order in self._in_flight.values()]:
            entry = self.entries[index]
            if entry.status in (Status.QUEUED, Status.RUNNING):
                entry.status = Status.QUEUED if entry.raw is None else Status.DONE
                if index not in changed:
                    changed.append(index)
        self._queue.clear()
        self._queued.clear()
        self._in_flight.clear()
        done, total = self._batch.done, self._batch.total
        self._batch = _Batch(total=total, done=done)  # progress keeps saying how far it got
        return changed

    @property
    def has_unprocessed(self) -> bool:
        """Images added that never ran and are not queued (what Resume would queue)."""
        return len(self._never_ran) > len(self._queued) + len(self._in_flight)

    def resume(self) -> None:
        """Queue everything that never ran (after a cancel)."""
        self._new_batch_if_idle()
        in_flight = {order.index for order in self._in_flight.values()}
        for index in sorted(self._never_ran):
            if index not in in_flight:
                self._enqueue(index)

    @property
    def running(self) -> bool:
        return bool(self._queue or self._in_flight)

    def progress(self) -> Progress:
        batch = self._batch
        elapsed = time.perf_counter() - batch.started
        rate = batch.done / elapsed if batch.done and elapsed > 0 else 0.0
        eta = (batch.total - batch.done) / rate if rate > 0 and self.running else None
        return Progress(batch.done, batch.total, rate, eta, self.running)

    # ----- videos --------------------------------------------------------------------------------------------
    def video_opened(self, request_id: int, info: VideoInfo) -> int | None:
        """A video order started; returns its entry (None when stale). Run again (a new model), its finished
        frames stay on screen until the new run has all of them."""
        index = self.index_for(request_id)
        if index is None:
            return None
        self._running_videos[index] = VideoTrack.open(info, self.names)
        self.videos.setdefault(index, self._running_videos[index])
        self.setups.load(index, self.entries[index].path, (info.width, info.height))
        self.entries[index].note = self._running_videos[index].note
        return index

    def video_frames(
        self, request_id: int, frames: Iterable[tuple[int, float, Candidates]], frames_read: int
    ) -> int | None:
        """Processed frames of a running video arrived; returns its entry (None when stale)."""
        index = self.index_for(request_id)
        if index is None or index not in self._running_videos:
            return None
        track = self._running_videos[index]
        track.add(frames, frames_read)
        self.entries[index].note = track.note
        return index

    def video_done(self, request_id: int, end: VideoEnd) -> int | None:
        """A video order ended; returns its entry (None when stale). Its frames become the ones shown, and the
        entry is done (its frame size kept as a result without detections: the table, counts and exports read
        its frames from ``videos``), or failed with the reason it could not be opened."""
        index = self.index_for(request_id)
        if index is None:
            return None
        if index in self._running_videos:
            track = self._running_videos.pop(index)
            track.finish(end.problem)
            self.videos[index] = track
        path = self.entries[index].path
        if end.error is not None:
            self.finished(request_id, ImageResult(path=path, error=end.error))
        else:
            self.finished(request_id, ImageResult(path=path, width=end.width, height=end.height))
        if index in self.videos:
            self.entries[index].note = self.videos[index].note
        return index

    def video(self, index: int) -> VideoTrack | None:
        """The frames of the video at ``index`` to show: the finished run, else the one in progress."""
        return self.videos.get(index)

    def tracking_options(self, index: int) -> TrackingOptions | None:
        """How the video at ``index`` is tracked (its counting lines and zones included); None: not tracked."""
        if self.tracking is None:
            return None
        setups = self.setups
        return replace(self.tracking, lines=setups.lines.get(index, ()), zones=setups.zones.get(index, ()))

    def set_video_lines(self, index: int, lines: Sequence[CountLine]) -> TrackingOptions | None:
        """The counting lines drawn on the video at ``index`` (its tracks are recomputed with them; saved with its
        folder for its camera size)."""
        self.setups.lines[index] = tuple(lines)
        self.setups.save(index, [e.path for e in self.entries], self._size)
        return self.tracking_options(index)

    def set_video_zones(self, index: int, zones: Sequence[Zone]) -> TrackingOptions | None:
        """The zones drawn on the video at ``index`` (as for lines)."""
        self.setups.zones[index] = tuple(zones)
        self.setups.save(index, [e.path for e in self.entries], self._size)
        return self.tracking_options(index)

    def _size(self, index: int) -> tuple[int, int] | None:
        track = self.videos.get(index) or self._running_videos.get(index)
        return (track.info.width, track.info.height) if track is not None else None

    def _drop_running_videos(self) -> list[int]:
        """A cancelled video goes back to how it was, like an image: a first run cut short shows nothing, a
        re-run keeps the earlier finished frames."""
        dropped = list(self._running_videos)
        for index in dropped:
            del self._running_videos[index]
            if index in self.videos and not self.videos[index].finished:
                del self.videos[index]
            self.entries[index].note = self.videos[index].note if index in self.videos else ""
        return dropped

    # ----- thresholds ----------------------------------------------------------------------------------------
    def set_settings(self, settings: DetectorSettings) -> list[int]:
        """New thresholds / class filter: the image on screen is re-filtered now (returned), the others by
        ``refilter_some`` a few at a time."""
        if settings == self.settings:
            return []
        self.settings = settings
        changed = [self.current] if self._refilter(self.current) else []
        self._refilter_pending = deque(
            i for i, e in enumerate(self.entries) if e.raw is not None and e.raw.ok and i != self.current
        )
        return changed

    @property
    def refiltering(self) -> bool:
        return bool(self._refilter_pending)

    def refilter_some(self, budget_s: float) -> list[int]:
        """Re-filter pending images for at most ``budget_s`` seconds; returns those that changed."""
        deadline = time.perf_counter() + budget_s
        changed = []
        while self._refilter_pending and time.perf_counter() < deadline:
            index = self._refilter_pending.popleft()
            if self._refilter(index):
                changed.append(index)
        return changed

    def _refilter(self, index: int) -> bool:
        if not 0 <= index < len(self.entries):
            return False
        entry = self.entries[index]
        if entry.raw is None or not entry.raw.ok:
            return False
        self._set_shown(entry, refilter(entry.raw, self.settings, self.names))
        return True

    def _set_shown(self, entry: Entry, shown: ImageResult | None) -> None:
        """Replace what an image shows, keeping the batch counts right (subtract the old, add the new)."""
        if entry.shown is not None:
            self.counts.subtract(entry.shown.detections.labels)
        entry.shown = shown
        if shown is not None:
            self.counts.update(shown.detections.labels)
        self.counts = +self.counts  # drop classes counted down to zero

    # ----- views for summaries and exports -------------------------------------------------------------------
    def all_counts(self) -> Counter[str]:
        """Detections per class over every photo and every processed video (its kept frames at the thresholds on
        screen): the counts panel's *All* column and its chart."""
        counts = Counter(self.counts)
        for track in self.videos.values():
            if len(track.store):
                counts.update(track.store.totals(self.settings))
        return counts

    def finished_entries(self) -> list[Entry]:
        return [e for e in self.entries if e.status is Status.DONE and e.shown is not None]

    def failed_entries(self) -> list[tuple[int, Entry]]:
        return [(i, e) for i, e in enumerate(self.entries) if e.status is Status.FAILED]

    def export_snapshot(self) -> list[ExportItem]:
        """Every image's current result, frozen now: the export reads this, never the live entries."""
        return [ExportItem(e.item, e.shown, e.error) for e in self.entries]
