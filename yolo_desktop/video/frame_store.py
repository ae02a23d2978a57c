"""Every processed frame's candidates, kept compactly so a whole video can be re-thresholded without the network.

Layout: flat, append-only columns instead of one object per frame (an ``ImageResult`` with its ``Candidates``
costs ~1 KB of Python objects before any candidate):

    per frame      index int32, time float64, first candidate int64             20 bytes
    per candidate  box float32 ×4, score float32, class uint8/uint16, kept bool    22–23 bytes
                   and, for tiled frames, the run that found it (int16)          +2 bytes

Candidates are the exact float32 values the detector produced (no rounding), so the detections of a frame for
any settings are ``decode.select`` on them: the same function, the same result as a fresh network run.

Only candidates scoring at least ``VIDEO_CANDIDATE_FLOOR`` are kept (photos keep everything from 0.005). That is
exact for every confidence threshold at or above it — NMS at threshold c only ever looks at candidates ≥ c — and
below it the floor applies. Measured (``bench/bench_video_memory.py``, YOLOv3-tiny 416): 143 candidates ≥ 0.005 per
frame of a 720p clip, 19 of them ≥ 0.05; 161 / 29 on busy COCO photos. Per hour at 30 fps that is 327–367 MB with
the 0.005 floor and 44–68 MB with 0.05.

Re-thresholding the whole video at once (the timeline) uses one property of greedy NMS: raising the confidence
threshold only removes a score-ordered suffix of the candidates, so boxes kept by NMS at the floor are exactly
the boxes kept at any higher threshold, intersected with ``score ≥ conf``; per-class NMS makes the class filter
another mask. So for the current NMS IoU each frame's NMS runs once (``kept``), and every confidence or class
change afterwards is a few vectorised masks over all frames. A new IoU recomputes ``kept``, a slice at a time.
Tiled frames keep the property: the merge across tiles (``nms.keep``) is greedy in score order too, with a pairwise
rule that does not depend on the threshold (tests/video/test_frame_store.py checks it on tiled frames).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..geometry import clip, empty
from ..inference.decode import select
from ..inference.nms import keep as nms_keep
from ..results import Candidates, Detections
from ..settings import DetectorSettings

VIDEO_CANDIDATE_FLOOR = 0.05  # lowest score kept per video frame; lower thresholds show what this one shows


class Column:
    """A growable numpy array (amortised O(1) appends; ``view`` is the filled part)."""

    def __init__(self, dtype: type | np.dtype, width: int = 0) -> None:
        self.width = width
        self._data = np.zeros((16, width) if width else 16, dtype=dtype)
        self.size = 0

    def extend(self, values: np.ndarray) -> None:
        needed = self.size + len(values)
        if needed > len(self._data):
            grown = np.zeros((max(needed, len(self._data) * 3 // 2), *self._data.shape[1:]), dtype=self._data.dtype)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        self._data[self.size : needed] = values
        self.size = needed

    @property
    def view(self) -> np.ndarray:
        return self._data[: self.size]

    def trim(self) -> None:
        """Give back the spare capacity (once the video is finished)."""
        self._data = self._data[: self.size].copy()

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)


@dataclass(frozen=True)
class SecondCounts:
    """Per-class counts per second of video: ``counts[s, j]`` is the most objects of class ``class_ids[j]`` seen at
    once in one processed frame during second ``s``."""

    counts: np.ndarray  # (seconds, classes) int32
    class_ids: np.ndarray  # (classes,) int: model class ids, most detections first

    @property
    def seconds(self) -> int:
        return int(self.counts.shape[0])


class FrameStore:
    """The processed frames of one video, appended in frame order as they finish."""

    def __init__(
        self,
        name: str,
        width: int,
        height: int,
        fps: float,
        names: Sequence[str],
        floor: float = VIDEO_CANDIDATE_FLOOR,
    ) -> None:
        self.name = name
        self.width, self.height, self.fps = width, height, fps
        self.names = tuple(names)
        self.floor = floor
        self._index = Column(np.int32)
        self._time = Column(np.float64)
        self._first = Column(np.int64)
        self._boxes = Column(np.float32, 4)
        self._scores = Column(np.float32)
        self._classes = Column(np.uint8 if len(names) <= 256 else np.uint16)
        self._kept = Column(np.bool_)  # kept by NMS at the floor for ``_kept_iou``; valid for frames < _kept_upto
        self._sources: Column | None = None  # which run found each candidate, once a tiled frame came
        self._kept_iou = -1.0
        self._kept_upto = 0
        self.nms = True  # False for an end-to-end model (its rows are final): set by the first frame

    # ----- filling -------------------------------------------------------------------------------------------
    def append(self, index: int, time_s: float, candidates: Candidates) -> None:
        if len(self) and index <= int(self._index.view[-1]):
            raise ValueError(f"frame {index} comes after frame {int(self._index.view[-1])}: frames arrive in order")
        if candidates.floor > self.floor:
            raise ValueError(f"candidates kept from {candidates.floor}, the store needs them from {self.floor}")
        keep = candidates.scores >= self.floor
        if not len(self):
            self.nms = candidates.nms
        self._index.extend(np.array([index], np.int32))
        self._time.extend(np.array([time_s], np.float64))
        self._first.extend(np.array([self._scores.size], np.int64))
        self._boxes.extend(candidates.boxes[keep])
        self._scores.extend(candidates.scores[keep])
        self._classes.extend(candidates.class_ids[keep])
        self._kept.extend(np.zeros(int(keep.sum()), np.bool_))
        if candidates.sources is not None and self._sources is None:  # the first tiled frame: earlier ones, one run
            self._sources = Column(np.int16)
            self._sources.extend(np.zeros(self._scores.size - int(keep.sum()), np.int16))
        if self._sources is not None:
            sources = candidates.sources[keep] if candidates.sources is not None else np.zeros(int(keep.sum()))
            self._sources.extend(sources.astype(np.int16))

    def _columns(self) -> list[Column]:
        columns = [self._index, self._time, self._first, self._boxes, self._scores, self._classes, self._kept]
        return columns + ([self._sources] if self._sources is not None else [])

    def finish(self) -> None:
        for column in self._columns():
            column.trim()

    def __len__(self) -> int:
        return self._index.size

    @property
    def nbytes(self) -> int:
        """Memory held, in bytes (arrays, including spare capacity until ``finish``)."""
        return sum(c.nbytes for c in self._columns())

    @property
    def frame_indexes(self) -> np.ndarray:
        return self._index.view

    @property
    def times(self) -> np.ndarray:
        return self._time.view

    # ----- one frame -----------------------------------------------------------------------------------------
    def position_of(self, frame: int) -> int | None:
        """The processed frame shown at ``frame``: itself, or the last processed one before it (a stride's frames
        keep its boxes). None before the first processed frame."""
        position = int(np.searchsorted(self._index.view, frame, side="right")) - 1
        return position if position >= 0 else None

    def _span(self, position: int) -> slice:
        first = self._first.view
        end = int(first[position + 1]) if position + 1 < len(self) else self._scores.size
        return slice(int(first[position]), end)

    def candidates(self, position: int) -> Candidates:
        span = self._span(position)
        return Candidates(
            self._boxes.view[span],
            self._scores.view[span],
            self._classes.view[span].astype(np.int32),
            self.floor,
            self.nms,
            sources=self._sources.view[span] if self._sources is not None else None,
        )

    def applied(self, settings: DetectorSettings) -> DetectorSettings:
        """``settings`` as this store can apply them: a confidence below its floor acts as the floor."""
        return settings if settings.conf >= self.floor else replace(settings, conf=self.floor)

    def detections(self, position: int, settings: DetectorSettings) -> Detections:
        """What a fresh network run on that frame gives with ``settings`` (``applied``)."""
        return select(self.candidates(position), self.applied(settings), self.names, self.width, self.height)

    # ----- the whole video -----------------------------------------------------------------------------------
    @property
    def nms_ready(self) -> bool:
        return self._kept_upto == len(self)

    def prepare_nms(self, iou: float, budget_s: float | None = None) -> bool:
        """Run each frame's NMS at the floor for ``iou`` (resuming where the last call stopped) for at most
        ``budget_s`` seconds; True once every frame is done."""
        if iou != self._kept_iou:
            self._kept_iou, self._kept_upto = iou, 0
        deadline = None if budget_s is None else time.perf_counter() + budget_s
        boxes, scores, classes, kept = self._boxes.view, self._scores.view, self._classes.view, self._kept.view
        sources = self._sources.view if self._sources is not None else None
        while self._kept_upto < len(self):
            span = self._span(self._kept_upto)
            kept[span] = False
            if span.stop > span.start:
                runs = sources[span] if sources is not None else None
                kept[span.start + nms_keep(boxes[span], scores[span], classes[span], runs, iou, self.nms)] = True
            self._kept_upto += 1
            if deadline is not None and time.perf_counter() > deadline:
                break
        return self.nms_ready

    def shown_mask(self, settings: DetectorSettings) -> np.ndarray:
        """(candidates,) bool: which candidates are detections with ``settings`` (``prepare_nms`` done first)."""
        settings = self.applied(settings)
        if not self.nms_ready or settings.iou != self._kept_iou:
            self.prepare_nms(settings.iou)
        mask = self._kept.view & (self._scores.view >= settings.conf)
        if settings.classes is not None:
            allowed = np.array([name in settings.classes for name in self.names], dtype=bool)
            mask &= allowed[self._classes.view]
        # As select(): boxes clipped to the frame; one entirely outside it is no detection.
        mask &= ~empty(clip(self._boxes.view, self.width, self.height))
        # At most max_detections per frame, best first (candidates are stored best first within a frame).
        running = np.cumsum(mask)
        before_frame = np.concatenate([[0], running])[self._first.view]
        rank = running - np.repeat(before_frame, np.diff(np.append(self._first.view, len(mask))))
        return mask & (rank <= settings.max_detections)

    def totals(self, settings: DetectorSettings) -> dict[str, int]:
        """Detections per class label over every frame kept, at ``settings``: the video's counts."""
        counts = np.bincount(self._classes.view[self.shown_mask(settings)], minlength=len(self.names))
        return {self.names[k]: int(c) for k, c in enumerate(counts) if c}

    def counts_per_frame(self, settings: DetectorSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sparse per-frame counts: (frame positions, class ids, counts), one entry per class present in a frame."""
        mask = self.shown_mask(settings)
        frame_of = np.repeat(np.arange(len(self)), np.diff(np.append(self._first.view, len(mask))))
        keys = frame_of[mask].astype(np.int64) * 65536 + self._classes.view[mask]
        unique, counts = np.unique(keys, return_counts=True)
        return unique // 65536, unique % 65536, counts

    def counts_per_second(self, settings: DetectorSettings, duration: float | None = None) -> SecondCounts:
        """Per second of video and per class, the most objects seen at once in one processed frame."""
        positions, class_ids, counts = self.counts_per_frame(settings)
        last_time = float(self._time.view[-1]) if len(self) else 0.0
        seconds = max(1, int(np.ceil(max(duration or 0.0, last_time + 1e-9))))
        present, column = np.unique(class_ids, return_inverse=True)
        table = np.zeros((seconds, len(present)), np.int32)
        if len(positions):
            second = np.minimum(self._time.view[positions].astype(np.int64), seconds - 1)
            np.maximum.at(table, (second, column), counts.astype(np.int32))
        order = np.argsort(-table.sum(axis=0), kind="stable")
        return SecondCounts(table[:, order], present[order])
