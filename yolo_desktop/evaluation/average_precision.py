"""Average precision per class from the photos' matchings, as COCO computes it (pycocotools'
``COCOeval.accumulate``): each class's detections over every photo, best score first; precision made monotone
from the right; sampled at 101 recall points 0, 0.01 … 1 (the first detection reaching each recall; 0 beyond the
last); AP the mean of those 101 values. mAP@0.5 averages the classes' AP at IoU 0.5, mAP@0.5:0.95 at the ten
thresholds too. A class without labelled objects has no AP (it is left out of the means, as COCO leaves it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .matching import IOU_THRESHOLDS, PhotoMatch

RECALL_POINTS = np.linspace(0.0, 1.0, 101)


@dataclass(frozen=True)
class Pooled:
    """Every photo's counted detections in one list, grouped by class, best score first within a class (of equal
    scores, in photo order, as pycocotools orders them)."""

    scores: np.ndarray  # (N,) float64
    classes: np.ndarray  # (N,) int64
    matched: np.ndarray  # (T, N) bool
    ignored: np.ndarray  # (T, N) bool
    photo: np.ndarray  # (N,) int64: which photo
    detection: np.ndarray  # (N,) int64: which detection of that photo (index into its ``Found``)
    truth_at_50: np.ndarray  # (N,) int64
    objects: np.ndarray  # (C,) labelled objects per class
    starts: np.ndarray  # (C + 1,): class c's detections are [starts[c], starts[c + 1])

    @classmethod
    def of(cls, matches: Sequence[PhotoMatch], classes: int) -> Pooled:
        t_count = len(IOU_THRESHOLDS)
        objects = np.zeros(classes, np.int64)
        for match in matches:
            objects += match.objects
        if not any(len(m.scores) for m in matches):
            empty = np.zeros(0, np.int64)
            none = np.zeros((t_count, 0), bool)
            return cls(np.zeros(0), empty, none, none, empty, empty, empty, objects, np.zeros(classes + 1, np.int64))
        scores = np.concatenate([m.scores for m in matches])
        class_ids = np.concatenate([m.classes for m in matches])
        order = np.lexsort((-scores, class_ids))  # a stable sort: ties keep photo order
        photo = np.concatenate([np.full(len(m.scores), i, np.int64) for i, m in enumerate(matches)])
        return cls(
            scores[order],
            class_ids[order],
            np.concatenate([m.matched for m in matches], axis=1)[:, order],
            np.concatenate([m.ignored for m in matches], axis=1)[:, order],
            photo[order],
            np.concatenate([m.detection for m in matches])[order],
            np.concatenate([m.truth_at_50 for m in matches])[order],
            objects,
            np.searchsorted(class_ids[order], np.arange(classes + 1)),
        )

    def of_class(self, c: int) -> slice:
        return slice(int(self.starts[c]), int(self.starts[c + 1]))


@dataclass(frozen=True)
class Precision:
    ap: np.ndarray  # (T, C) average precision per IoU threshold and class, 0..1; NaN: no labelled objects
    curves: np.ndarray  # (C, 101) precision at RECALL_POINTS at IoU 0.5 (what AP@0.5 averages); NaN: no objects
    recall: np.ndarray  # (C,) the highest recall reached at IoU 0.5 (every detection counted); NaN: no objects

    def map(self, counted: np.ndarray) -> tuple[float | None, float | None]:
        """(mAP@0.5, mAP@0.5:0.95) over the classes ``counted`` (bool, (C,)) that have labelled objects; None
        when there is none."""
        picked = counted & ~np.isnan(self.ap[0])
        if not picked.any():
            return None, None
        return float(self.ap[0, picked].mean()), float(self.ap[:, picked].mean())


def average_precision(pooled: Pooled) -> Precision:
    classes = len(pooled.objects)
    t_count = len(IOU_THRESHOLDS)
    ap = np.full((t_count, classes), np.nan)
    curves = np.full((classes, len(RECALL_POINTS)), np.nan)
    recall = np.full(classes, np.nan)
    for c in np.flatnonzero(pooled.objects).tolist():
        part = pooled.of_class(c)
        matched, ignored = pooled.matched[:, part], pooled.ignored[:, part]
        true = np.cumsum(matched, axis=1, dtype=np.float64)  # (T, n)
        false = np.cumsum(~matched & ~ignored, axis=1, dtype=np.float64)
        rc = true / pooled.objects[c]
        pr = true / (true + false + np.spacing(1))
        pr = np.maximum.accumulate(pr[:, ::-1], axis=1)[:, ::-1]  # the best precision at this recall or more
        sampled = np.zeros((t_count, len(RECALL_POINTS)))
        for t in range(t_count):
            at = np.searchsorted(rc[t], RECALL_POINTS, side="left")
            inside = at < rc.shape[1]
            sampled[t, inside] = pr[t, at[inside]]
        ap[:, c] = sampled.mean(axis=1)
        curves[c] = sampled[0]
        recall[c] = rc[0, -1] if rc.shape[1] else 0.0
    return Precision(ap, curves, recall)
