"""The one result type, read by the GUI, the CLI and every exporter.

Frozen dataclasses only: a result is never changed after it is made; re-filtering with new thresholds makes a new
``ImageResult`` from the kept candidates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import overload

import numpy as np


@dataclass(frozen=True, slots=True)
class Detection:
    class_id: int
    label: str
    score: float  # objectness × class probability, 0..1
    x1: float  # original-image pixels (after EXIF rotation), clipped to the image
    y1: float
    x2: float
    y2: float
    # A video's tracked object (``video/tracking.py``); None for photos, untracked videos and objects not yet
    # confirmed. Not part of any photo output: only the video files that track write it.
    track_id: int | None = None

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (self.x1, self.y1, self.x2, self.y2)


def _frozen_array(values: np.ndarray, dtype: type) -> np.ndarray:
    array: np.ndarray = np.array(values, dtype=dtype, copy=True)
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class Detections:
    """The objects in one image or video frame — a model's after selection, or a person's own boxes — as arrays,
    row i one object. The tracker, NMS and the metrics read the arrays; the table, the exporters and the replies
    read rows: iterating (or indexing) gives ``Detection`` rows, made once and kept.

    Boxes are in pixels of the upright image (EXIF orientation applied), x1 ≤ x2, y1 ≤ y2.
    """

    boxes: np.ndarray  # (N, 4) float32 x1, y1, x2, y2
    scores: np.ndarray  # (N,) float32 in 0..1 (objectness × class probability; a person's own box: 1)
    class_ids: np.ndarray  # (N,) int32, indexes ``names``
    names: tuple[str, ...] = ()  # class id → label
    track_ids: np.ndarray | None = None  # (N,) int32: a video's tracked object, -1 not (yet) confirmed; None: untracked

    def __post_init__(self) -> None:
        object.__setattr__(self, "boxes", _frozen_array(self.boxes, np.float32).reshape(-1, 4))
        object.__setattr__(self, "scores", _frozen_array(self.scores, np.float32).reshape(-1))
        object.__setattr__(self, "class_ids", _frozen_array(self.class_ids, np.int32).reshape(-1))
        object.__setattr__(self, "names", tuple(self.names))
        count = len(self.boxes)
        if len(self.scores) != count or len(self.class_ids) != count:
            raise ValueError(f"{count} boxes but {len(self.scores)} scores and {len(self.class_ids)} class ids")
        if count and (int(self.class_ids.min()) < 0 or int(self.class_ids.max()) >= len(self.names)):
            raise ValueError(f"class ids {sorted(set(self.class_ids.tolist()))} outside the {len(self.names)} names")
        self._set_track_ids(self.track_ids)

    def _set_track_ids(self, track_ids: np.ndarray | None) -> None:
        if track_ids is not None:
            track_ids = _frozen_array(track_ids, np.int32).reshape(-1)
            if len(track_ids) != len(self.boxes):
                raise ValueError(f"{len(self.boxes)} boxes but {len(track_ids)} track ids")
        object.__setattr__(self, "track_ids", track_ids)

    @classmethod
    def empty(cls, names: Sequence[str] = ()) -> Detections:
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int32), tuple(names))

    @classmethod
    def from_rows(cls, rows: Iterable[Detection], names: Sequence[str] | None = None) -> Detections:
        """Rows → arrays. ``names`` by default from the rows' own labels (ids they do not use are named "")."""
        rows = list(rows)
        if names is None:
            table = [""] * (max((d.class_id for d in rows), default=-1) + 1)
            for d in rows:
                table[d.class_id] = d.label
            names = table
        tracked = any(d.track_id is not None for d in rows)
        return cls(
            np.array([d.box for d in rows], np.float32).reshape(-1, 4),
            np.array([d.score for d in rows], np.float32),
            np.array([d.class_id for d in rows], np.int32),
            tuple(names),
            np.array([-1 if d.track_id is None else d.track_id for d in rows], np.int32) if tracked else None,
        )

    @cached_property
    def rows(self) -> tuple[Detection, ...]:
        """One ``Detection`` per object (Python floats), in array order."""
        tracks = self.track_ids.tolist() if self.track_ids is not None else None
        return tuple(
            Detection(
                class_id,
                self.names[class_id],
                score,
                x1,
                y1,
                x2,
                y2,
                None if tracks is None or tracks[i] < 0 else tracks[i],
            )
            for i, (class_id, score, (x1, y1, x2, y2)) in enumerate(
                zip(self.class_ids.tolist(), self.scores.tolist(), self.boxes.tolist())
            )
        )

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.names[i] for i in self.class_ids.tolist())

    @property
    def tracked(self) -> bool:
        return self.track_ids is not None

    def __len__(self) -> int:
        return int(self.boxes.shape[0])

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator[Detection]:
        return iter(self.rows)

    @overload
    def __getitem__(self, index: int) -> Detection: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Detection, ...]: ...

    def __getitem__(self, index: int | slice) -> Detection | tuple[Detection, ...]:
        return self.rows[index]

    def take(self, indices: np.ndarray | Sequence[int]) -> Detections:
        """The objects at ``indices`` (int positions or a bool mask), in that order."""
        picked = np.asarray(indices)
        if picked.dtype != bool:
            picked = picked.astype(np.int64).reshape(-1)
        return Detections(
            self.boxes[picked],
            self.scores[picked],
            self.class_ids[picked],
            self.names,
            None if self.track_ids is None else self.track_ids[picked],
        )

    def with_track_ids(self, track_ids: np.ndarray | None) -> Detections:
        """The same objects with ``track_ids`` (a tracker's answer for a frame), sharing these read-only arrays."""
        tracked = object.__new__(Detections)
        for name in ("boxes", "scores", "class_ids", "names"):
            object.__setattr__(tracked, name, getattr(self, name))
        tracked._set_track_ids(track_ids)
        return tracked

    def counts(self) -> dict[str, int]:
        """Objects per class label, most frequent first (ties in first-seen order)."""
        return dict(Counter(self.labels).most_common())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Detections):
            return (
                self.names == other.names
                and np.array_equal(self.boxes, other.boxes)
                and np.array_equal(self.scores, other.scores)
                and np.array_equal(self.class_ids, other.class_ids)
                and _same_tracks(self.track_ids, other.track_ids)
            )
        if isinstance(other, (tuple, list)):
            return self.rows == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal by value, and holds arrays

    def __repr__(self) -> str:
        shown = ", ".join(f"{d.label} {d.score:.2f}" for d in self.rows[:5])
        return f"Detections({len(self)}: {shown}{'…' if len(self) > 5 else ''})"


def _same_tracks(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return np.array_equal(a, b)


@dataclass(frozen=True, eq=False)
class Candidates:
    """Every (box, class) pair of one image scoring at least the decode floor, highest score first.

    Kept so thresholds, NMS IoU and class filters can be re-applied without running the network. A tiled photo's
    candidates say which network run found each (``sources``), so selection can merge an object cut by a tile edge
    (``inference/nms.py``); None when the whole photo was one run.
    """

    boxes: np.ndarray  # (N, 4) float32 x1, y1, x2, y2 in original-image pixels, not clipped
    scores: np.ndarray  # (N,) float32
    class_ids: np.ndarray  # (N,) int32
    floor: float  # the lowest score kept; thresholds below it cannot be re-applied
    nms: bool = True  # False: the model's own output is final (an end-to-end export): no NMS when selecting
    sources: np.ndarray | None = None  # (N,) int16: 0 the whole photo, k ≥ 1 its k-th tile; None: not tiled

    def __post_init__(self) -> None:
        object.__setattr__(self, "boxes", _frozen_array(self.boxes, np.float32).reshape(-1, 4))
        object.__setattr__(self, "scores", _frozen_array(self.scores, np.float32).reshape(-1))
        object.__setattr__(self, "class_ids", _frozen_array(self.class_ids, np.int32).reshape(-1))
        if self.sources is not None:
            object.__setattr__(self, "sources", _frozen_array(self.sources, np.int16).reshape(-1))

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    @property
    def tiled(self) -> bool:
        return self.sources is not None

    @classmethod
    def empty(cls, floor: float, nms: bool = True) -> Candidates:
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int32), floor, nms)


@dataclass(frozen=True)
class ImageResult:
    path: str
    width: int = 0  # of the EXIF-rotated image, pixels
    height: int = 0
    detections: Detections = field(default_factory=Detections.empty)
    timings: Mapping[str, float] = field(default_factory=dict)  # stage → seconds
    error: str | None = None
    candidates: Candidates | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None

    def counts(self) -> dict[str, int]:
        """Detections per class label, most frequent first (the old service's object counter)."""
        return self.detections.counts()


@dataclass(frozen=True)
class BatchSummary:
    images: int
    failed: tuple[tuple[str, str], ...]  # (path, reason)
    counts: Mapping[str, int]  # detections per class over the whole batch
    seconds: float

    @property
    def succeeded(self) -> int:
        return self.images - len(self.failed)

    @property
    def detections(self) -> int:
        return sum(self.counts.values())

    @classmethod
    def of(cls, results: Iterable[ImageResult], seconds: float) -> BatchSummary:
        counter: Counter[str] = Counter()
        failed: list[tuple[str, str]] = []
        images = 0
        for result in results:
            images += 1
            if result.error is not None:
                failed.append((result.path, result.error))
            counter.update(result.detections.labels)
        return cls(images=images, failed=tuple(failed), counts=dict(counter.most_common()), seconds=seconds)
