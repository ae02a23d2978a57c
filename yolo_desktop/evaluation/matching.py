"""One photo's detections matched to its labelled objects, the way COCO's evaluation matches them (pycocotools'
``COCOeval.evaluateImg``, bounding boxes, every area), at each IoU threshold 0.50, 0.55 … 0.95 at once.

Per class, detections are taken best score first (at most ``MAX_DETECTIONS``); each takes the unmatched labelled
object of its class it overlaps most, at IoU ≥ the threshold; a detection on a crowd region (COCO ``iscrowd``)
is ignored — neither right nor wrong — and a crowd region may absorb any number of them. Everything the report
says (AP, precision and recall at a threshold, the errors, the confusion matrix) is read from this matching, so
the window and the command line count the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..geometry import areas, intersections, iou

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)  # COCO's; index 0 is IoU 0.5
MAX_DETECTIONS = 100  # per photo and class, as COCO's maxDets=100


@dataclass(frozen=True)
class Truth:
    """One photo's labelled objects, classes as indexes into the evaluation's class list."""

    boxes: np.ndarray  # (G, 4) float64 x1, y1, x2, y2, pixels of the upright photo
    classes: np.ndarray  # (G,) int64
    crowd: np.ndarray  # (G,) bool: a COCO crowd region, a place to ignore rather than an object

    @classmethod
    def of(cls, boxes: object, classes: object, crowd: object = None) -> Truth:
        class_array = np.asarray(classes, np.int64).reshape(-1)
        crowd_array = np.zeros(len(class_array), bool) if crowd is None else np.asarray(crowd, bool).reshape(-1)
        return cls(np.asarray(boxes, np.float64).reshape(-1, 4), class_array, crowd_array)

    def objects(self, classes: int) -> np.ndarray:
        """(classes,) labelled objects per class, crowd regions left out."""
        return np.bincount(self.classes[~self.crowd], minlength=classes)


@dataclass(frozen=True)
class Found:
    """One photo's detections, classes as indexes into the evaluation's class list (a model's class the labels do
    not have is left out before: see ``classes.ClassMap``)."""

    boxes: np.ndarray  # (D, 4) float64
    scores: np.ndarray  # (D,) float64
    classes: np.ndarray  # (D,) int64

    @classmethod
    def of(cls, boxes: object, scores: object, classes: object) -> Found:
        return cls(
            np.asarray(boxes, np.float64).reshape(-1, 4),
            np.asarray(scores, np.float64).reshape(-1),
            np.asarray(classes, np.int64).reshape(-1),
        )

    @classmethod
    def empty(cls) -> Found:
        return cls.of(np.zeros((0, 4)), [], [])

    def __len__(self) -> int:
        return len(self.scores)


@dataclass(frozen=True)
class PhotoMatch:
    """The matching of one photo's detections (those COCO counts: each class's best ``MAX_DETECTIONS``), in
    class order, then best score first."""

    detection: np.ndarray  # (D,) int64: index into the photo's ``Found``
    scores: np.ndarray  # (D,) float64
    classes: np.ndarray  # (D,) int64
    matched: np.ndarray  # (T, D) bool: matched a labelled object (not a crowd region) at IoU_THRESHOLDS[t]
    ignored: np.ndarray  # (T, D) bool: matched a crowd region at IoU_THRESHOLDS[t]
    truth_at_50: np.ndarray  # (D,) int64: the labelled object (index into ``Truth``) matched at IoU 0.5, or -1
    objects: np.ndarray  # (C,) labelled objects per class (crowd regions left out)

    @property
    def true_at_50(self) -> np.ndarray:
        return self.matched[0]

    @property
    def false_at_50(self) -> np.ndarray:
        return ~self.matched[0] & ~self.ignored[0]


def match_photo(truth: Truth, found: Found, classes: int, max_detections: int = MAX_DETECTIONS) -> PhotoMatch:
    """COCO's matching of ``found`` against ``truth`` for every class and IoU threshold (see the module)."""
    parts = []
    for c in np.union1d(np.unique(found.classes), np.unique(truth.classes)):
        mine = np.flatnonzero(found.classes == c)
        # best first; of equal scores the one listed first (pycocotools sorts with mergesort, a stable sort)
        mine = mine[np.argsort(-found.scores[mine], kind="stable")][:max_detections]
        if len(mine):
            parts.append((mine, *_match_class(found.boxes[mine], truth, np.flatnonzero(truth.classes == c))))
    if not parts:
        nothing = np.zeros(0, np.int64)
        none = np.zeros((len(IOU_THRESHOLDS), 0), bool)
        return PhotoMatch(nothing, np.zeros(0), nothing, none, none, nothing, truth.objects(classes))
    detection = np.concatenate([p[0] for p in parts])
    return PhotoMatch(
        detection,
        found.scores[detection],
        found.classes[detection],
        np.concatenate([p[1] for p in parts], axis=1),
        np.concatenate([p[2] for p in parts], axis=1),
        np.concatenate([p[3] for p in parts]),
        truth.objects(classes),
    )


def _match_class(boxes: np.ndarray, truth: Truth, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One class: ``boxes`` (D, 4) best first against the labelled objects ``truth[indices]``. Returns matched
    (T, D), ignored (T, D) and the object matched at IoU 0.5 (D,)."""
    t_count, d_count = len(IOU_THRESHOLDS), len(boxes)
    matched = np.zeros((t_count, d_count), bool)
    ignored = np.zeros((t_count, d_count), bool)
    truth_at_50 = np.full(d_count, -1, np.int64)
    if not len(indices):
        return matched, ignored, truth_at_50
    crowd = truth.crowd[indices]
    objects, regions = indices[~crowd], indices[crowd]
    # Overlap with an object is IoU; with a crowd region, the share of the detection inside it (COCO's rule).
    with_objects = iou(boxes, truth.boxes[objects])  # (D, O)
    with_regions = intersections(boxes, truth.boxes[regions]) / np.maximum(areas(boxes), 1e-12)[:, None]  # (D, R)
    # COCO starts each search at min(t, 1 - 1e-10) and takes an overlap not below it.
    floors = np.minimum(IOU_THRESHOLDS, 1 - 1e-10)  # (T,)
    taken = np.zeros((t_count, len(objects)), bool)
    rows = np.arange(t_count)
    region_best = with_regions.max(axis=1) if len(regions) else np.full(d_count, -1.0)
    for d in range(d_count):
        hit = np.zeros(t_count, bool)
        if len(objects):
            # Unmatched objects only; of equal overlaps pycocotools keeps the last one listed.
            overlap = np.where(taken, -1.0, with_objects[d][None, :])  # (T, O)
            best = overlap.shape[1] - 1 - np.argmax(overlap[:, ::-1], axis=1)  # (T,)
            hit = overlap[rows, best] >= floors
            taken[rows[hit], best[hit]] = True
            matched[hit, d] = True
            if hit[0]:
                truth_at_50[d] = objects[best[0]]
        # No object left to match: a crowd region it lies in makes it ignored (pycocotools looks at them last).
        ignored[:, d] = ~hit & (region_best[d] >= floors)
        if ignored[0, d]:
            truth_at_50[d] = regions[len(regions) - 1 - int(np.argmax(with_regions[d][::-1]))]
    return matched, ignored, truth_at_50
