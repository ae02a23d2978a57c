"""A deliberately plain average precision, written from the definition rather than from the app's code: loops,
Python floats. Per class and IoU threshold: each photo's detections (its best 100) best score first
each take the not-yet-taken labelled object of their class with the largest IoU ≥ the threshold; then over every
photo, best score first, precision and recall after each detection; the interpolated precision at recall r is the
largest precision at any recall ≥ r (0 if none); AP is its mean at r = 0, 0.01 … 1. No crowd regions here (the
photos given have none)."""

from __future__ import annotations

import numpy as np

# COCO's recall points exactly as pycocotools makes them: np.linspace's 0.29 is 0.29000000000000004, not 29 / 100,
# which decides whether a recall of exactly 29 % reaches that point. (The only numpy here.)
RECALL_POINTS = [float(r) for r in np.linspace(0.0, 1.0, 101)]


def plain_iou(a: list[float], b: list[float]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def plain_ap(
    truths: list[list[tuple[int, list[float]]]],
    found: list[list[tuple[int, float, list[float]]]],
    c: int,
    threshold: float,
) -> float | None:
    """``truths[photo]``: (class, box); ``found[photo]``: (class, score, box). None: no object of class ``c``."""
    objects = sum(1 for photo in truths for k, _box in photo if k == c)
    if objects == 0:
        return None
    outcomes = []  # (score, photo, order, right)
    for p, (photo_truth, photo_found) in enumerate(zip(truths, found)):
        mine = sorted([(s, i, box) for i, (k, s, box) in enumerate(photo_found) if k == c], key=lambda x: -x[0])
        mine = mine[:100]
        objs = [box for k, box in photo_truth if k == c]
        taken = [False] * len(objs)
        for order, (score, _i, box) in enumerate(mine):
            best, best_iou = -1, threshold
            for g, obj in enumerate(objs):
                overlap = plain_iou(box, obj)
                if not taken[g] and overlap >= best_iou:
                    best, best_iou = g, overlap
            if best >= 0:
                taken[best] = True
            outcomes.append((score, p, order, best >= 0))
    outcomes.sort(key=lambda x: (-x[0], x[1], x[2]))
    points = []  # (recall, precision)
    right = 0
    for n, (_score, _p, _order, ok) in enumerate(outcomes, start=1):
        right += ok
        points.append((right / objects, right / n))
    total = 0.0
    for r in RECALL_POINTS:
        total += max([precision for recall, precision in points if recall >= r], default=0.0)
    return total / 101
