"""Box geometry, the one implementation: overlap (IoU, IoS), areas, clipping, centres.

Boxes are ``(N, 4)`` arrays of ``x1, y1, x2, y2`` in pixels (any float dtype; results are float32 unless said). NMS
(``inference/nms.py``), the tile merge, the tracker (``video/tracking.py``) and the metrics
(``evaluation/metrics.py``) all measure overlap here, so "the same box" means the same thing everywhere.
"""

from __future__ import annotations

import numpy as np


def as_boxes(boxes: object) -> np.ndarray:
    """Anything box-like (a list of 4-tuples, an (N, 4) array, one box) → (N, 4) float64."""
    return np.asarray(boxes, dtype=np.float64).reshape(-1, 4)


def areas(boxes: np.ndarray) -> np.ndarray:
    """(N, 4) → (N,) width × height; an inverted or empty box has area 0."""
    return np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)


def intersections(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(A, 4), (B, 4) → (A, B) area shared by each pair."""
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    return np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(A, 4), (B, 4) → (A, B) intersection over union; 0 where the union is empty."""
    inter = intersections(a, b)
    union = areas(a)[:, None] + areas(b)[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def ios(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(A, 4), (B, 4) → (A, B) intersection over the smaller box's area; 0 where either box is empty. Near 1 when
    one box lies inside the other (a tile's part of an object inside the whole object's box)."""
    inter = intersections(a, b)
    smaller = np.minimum(areas(a)[:, None], areas(b)[None, :])
    return np.divide(inter, smaller, out=np.zeros_like(inter), where=smaller > 0)


def box_iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Two single boxes → their IoU (a scalar convenience over ``iou``)."""
    return float(iou(as_boxes(a), as_boxes(b))[0, 0])


def clip(boxes: np.ndarray, width: float, height: float) -> np.ndarray:
    """(N, 4) → (N, 4) clipped to the image ``[0, width] × [0, height]``, same dtype."""
    limits = np.array([width, height, width, height], dtype=boxes.dtype)
    return np.clip(boxes, np.zeros(4, dtype=boxes.dtype), limits)


def empty(boxes: np.ndarray) -> np.ndarray:
    """(N, 4) → (N,) bool: the box has no area (x2 ≤ x1 or y2 ≤ y1); once clipped, one entirely outside the image."""
    return (boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1])


def centres(boxes: np.ndarray) -> np.ndarray:
    """(N, 4) → (N, 2) x, y of each box's centre."""
    return np.column_stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2])
