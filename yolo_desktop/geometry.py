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


# np.maximum(x, 0) rather than np.clip(x, 0, None): the same values, a third of the cost on the few boxes of a frame.


def areas(boxes: np.ndarray) -> np.ndarray:
    """(N, 4) → (N,) width × height; an inverted or empty box has area 0."""
    return np.maximum(boxes[:, 2] - boxes[:, 0], 0) * np.maximum(boxes[:, 3] - boxes[:, 1], 0)


def intersections(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(A, 4), (B, 4) → (A, B) area shared by each pair."""
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    return np.maximum(x2 - x1, 0) * np.maximum(y2 - y1, 0)


def _ratio(inter: np.ndarray, whole: np.ndarray) -> np.ndarray:
    # The intersection never exceeds ``whole`` (a union, or the smaller area), so where ``whole`` is 0 so is the
    # intersection, and 0 / tiny gives the 0 wanted without a masked divide.
    return inter / np.maximum(whole, np.finfo(inter.dtype).tiny)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(A, 4), (B, 4) → (A, B) intersection over union; 0 where the union is empty."""
    inter = intersections(a, b)
    return _ratio(inter, areas(a)[:, None] + areas(b)[None, :] - inter)


def ios(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(A, 4), (B, 4) → (A, B) intersection over the smaller box's area; 0 where either box is empty. Near 1 when
    one box lies inside the other (a tile's part of an object inside the whole object's box)."""
    return _ratio(intersections(a, b), np.minimum(areas(a)[:, None], areas(b)[None, :]))


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
