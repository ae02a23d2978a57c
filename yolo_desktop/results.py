"""The one result type, read by the GUI, the CLI and every exporter.

Frozen dataclasses only: a result is never changed after it is made; re-filtering with new thresholds makes a new
``ImageResult`` from the kept candidates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

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
    detections: tuple[Detection, ...] = ()
    timings: Mapping[str, float] = field(default_factory=dict)  # stage → seconds
    error: str | None = None
    candidates: Candidates | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None

    def counts(self) -> dict[str, int]:
        """Detections per class label, most frequent first (the old service's object counter)."""
        return dict(Counter(d.label for d in self.detections).most_common())


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
            counter.update(d.label for d in result.detections)
        return cls(images=images, failed=tuple(failed), counts=dict(counter.most_common()), seconds=seconds)
