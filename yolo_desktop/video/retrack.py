"""The window's tracks of a processed video: the tracker (``tracking.py``) run again over the kept candidates of
every frame (``FrameStore.detections`` at the thresholds on screen, in frame order), so a new threshold, class
filter or counting line never runs the network. Resumable in slices (``advance(budget)``), so the GUI thread does
a few milliseconds at a time, and it follows a video still being processed (frames appended meanwhile).

Memory: per tracked frame its first detection's place (int64, 8 bytes) and per shown detection its id (int32, 4
bytes; -1: not confirmed yet) — next to the store's 20 bytes per frame and 22–23 per candidate, and with far fewer
detections than candidates (the store keeps every candidate ≥ 0.05).
"""

from __future__ import annotations

import time

import numpy as np

from ..results import Detections
from ..settings import DetectorSettings
from .frame_store import Column, FrameStore
from .heatmap import Heatmap
from .tracking import Tracker, TrackingOptions, line_counts, zone_counts


def settings_key(store: FrameStore, settings: DetectorSettings) -> tuple:
    """What decides a frame's detections (the rest of the settings — size, precision — do not)."""
    applied = store.applied(settings)
    return (applied.conf, applied.iou, applied.classes, applied.max_detections)


class StoreTracks:
    def __init__(self, store: FrameStore, settings: DetectorSettings, options: TrackingOptions) -> None:
        self.store, self.settings, self.options = store, settings, options
        self.key = (settings_key(store, settings), options)
        self.tracker = Tracker(options)
        self.heatmap = Heatmap(store.width, store.height, options.anchor)  # where the tracked objects were
        self._first = Column(np.int64)  # per tracked frame: where its ids start in ``_ids``
        self._ids = Column(np.int32)

    @property
    def done(self) -> int:
        """Frames tracked so far (from the first)."""
        return self._first.size

    @property
    def complete(self) -> bool:
        return self.done == len(self.store)

    @property
    def nbytes(self) -> int:
        return self._first.nbytes + self._ids.nbytes

    def advance(self, budget_s: float | None = None) -> bool:
        """Track the next frames for at most ``budget_s`` seconds (None: all); True once every frame is done."""
        deadline = None if budget_s is None else time.perf_counter() + budget_s
        store = self.store
        while self.done < len(store):
            position = self.done
            index, seconds = int(store.frame_indexes[position]), float(store.times[position])
            tracked = self.tracker.update(index, seconds, store.detections(position, self.settings))
            step = seconds - float(store.times[position - 1]) if position else 1 / store.fps
            self.heatmap.add(tracked, min(step, 1.0))
            self._first.extend(np.array([self._ids.size], np.int64))
            assert tracked.track_ids is not None
            self._ids.extend(tracked.track_ids)
            if deadline is not None and time.perf_counter() > deadline:
                break
        return self.complete

    def detections(self, position: int) -> Detections | None:
        """The frame's detections with their track ids; None while the tracker has not reached it."""
        if position >= self.done:
            return None
        first = self._first.view
        end = int(first[position + 1]) if position + 1 < self.done else self._ids.size
        return self.store.detections(position, self.settings).with_track_ids(self._ids.view[int(first[position]) : end])

    def line_counts(self) -> list[dict]:
        return line_counts(self.options.lines, self.tracker.crossings)

    def zone_counts(self) -> list[dict]:
        return zone_counts(self.tracker)
