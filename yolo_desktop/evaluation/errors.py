"""The mistakes at a score threshold, one photo at a time, and the confusion matrix they add up to.

From the matching at IoU 0.5 (``matching.py``), cut at the threshold: a detection matched to an object of its class
is right (the matrix's diagonal). The rest are paired once more, ignoring classes: an unmatched detection that
overlaps an unmatched object of another class by IoU ≥ 0.5 (the largest overlap, best score first) is a
*confusion* (true class → found class); any other unmatched detection is a *false positive* (background → found
class); any other unmatched object is *missed* (true class → background). So each class's false positives are its
column of the matrix and its missed objects its row, as ``thresholds.at_threshold`` counts them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..geometry import iou
from .matching import IOU_THRESHOLDS, Found, PhotoMatch, Truth

FALSE_POSITIVE, MISSED, CONFUSED = "false positive", "missed", "confused"
KINDS = (FALSE_POSITIVE, MISSED, CONFUSED)
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Error:
    photo: int  # index into the evaluated photos
    kind: str  # FALSE_POSITIVE, MISSED or CONFUSED
    score: float  # the detection's; for a missed object, the best score of a detection of its class on it (or 0)
    box: Box  # the detection's box; for a missed object, the object's
    found_class: int  # -1 for a missed object
    true_class: int  # -1 for a false positive
    truth_box: Box | None = None  # a confusion's object


def photo_errors(
    photo: int, truth: Truth, found: Found, match: PhotoMatch, conf: float, classes: int
) -> tuple[list[Error], np.ndarray]:
    """One photo's errors at ``conf`` and its confusion counts, (classes + 1, classes + 1): rows the true class,
    columns the found class, the last of each "background"."""
    matrix = np.zeros((classes + 1, classes + 1), np.int64)
    background = classes
    above = match.scores >= conf
    right = above & match.matched[0]
    np.add.at(matrix, (truth.classes[match.truth_at_50[right]], match.classes[right]), 1)
    wrong = np.flatnonzero(above & ~match.matched[0] & ~match.ignored[0])  # best first within a class
    wrong = wrong[np.argsort(-match.scores[wrong], kind="stable")]
    open_truth = np.ones(len(truth.classes), bool)
    open_truth[truth.crowd] = False
    open_truth[match.truth_at_50[right]] = False
    overlap = iou(found.boxes[match.detection[wrong]], truth.boxes)  # (W, G)
    errors = []
    for k, d in enumerate(wrong):
        candidates = np.where(open_truth & (truth.classes != match.classes[d]), overlap[k], -1.0)
        box = _box(found.boxes[match.detection[d]])
        score, found_class = float(match.scores[d]), int(match.classes[d])
        g = int(np.argmax(candidates)) if len(candidates) else -1
        if g >= 0 and candidates[g] >= IOU_THRESHOLDS[0]:
            open_truth[g] = False
            true_class = int(truth.classes[g])
            matrix[true_class, found_class] += 1
            errors.append(Error(photo, CONFUSED, score, box, found_class, true_class, _box(truth.boxes[g])))
        else:
            matrix[background, found_class] += 1
            errors.append(Error(photo, FALSE_POSITIVE, score, box, found_class, -1))
    missed = np.flatnonzero(open_truth)
    if len(missed):
        # How close each came: the best detection of its class on it, below the threshold.
        on_it = iou(truth.boxes[missed], found.boxes) >= IOU_THRESHOLDS[0]  # (M, D)
        same = truth.classes[missed][:, None] == found.classes[None, :]
        near = np.where(on_it & same, found.scores[None, :], 0.0).max(axis=1, initial=0.0)
        for g, score in zip(missed.tolist(), near.tolist()):
            matrix[truth.classes[g], background] += 1
            errors.append(Error(photo, MISSED, score, _box(truth.boxes[g]), -1, int(truth.classes[g])))
    return errors, matrix


def _box(values: np.ndarray) -> Box:
    x1, y1, x2, y2 = (float(v) for v in values)
    return (x1, y1, x2, y2)
