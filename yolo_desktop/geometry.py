"""Box geometry, the one implementation: overlap (IoU, IoS), areas, clipping, centres; and polygons (zones).

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


# ----- polygons (zones) -----------------------------------------------------------------------------------------
# A polygon is an (M, 2) array of x, y vertices in pixels (y down), closed implicitly (the last vertex joins the
# first). Zones (``video/zones.py``) are checked and tested here: area and orientation, self-intersection, and which
# points lie inside — a point on an edge counts as inside, so a zone drawn along the frame's border holds an object
# whose box touches that border.

EDGE_TOLERANCE = 1e-6  # pixels: a point this close to an edge is on it


def polygon_area(polygon: np.ndarray) -> float:
    """Signed area (shoelace), pixels²: positive when the vertices go clockwise on screen (y down), negative
    counter-clockwise; 0 for a degenerate polygon (all vertices on one line)."""
    x, y = polygon[:, 0], polygon[:, 1]
    return float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y)) / 2


def _orientation(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """> 0, < 0 or 0 as c lies on one side of a→b, the other, or on its line (a cross product, pixels²)."""
    return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))


def _on_segment(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> bool:
    """c, known to be on the line a–b, lies between a and b."""
    return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])


def segments_meet(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> bool:
    """Whether segments a–b and c–d share a point (crossing, touching or overlapping)."""
    o1, o2, o3, o4 = _orientation(a, b, c), _orientation(a, b, d), _orientation(c, d, a), _orientation(c, d, b)
    if ((o1 > 0) != (o2 > 0) and o1 != 0 and o2 != 0) and ((o3 > 0) != (o4 > 0) and o3 != 0 and o4 != 0):
        return True
    return (
        (o1 == 0 and _on_segment(a, b, c))
        or (o2 == 0 and _on_segment(a, b, d))
        or (o3 == 0 and _on_segment(c, d, a))
        or (o4 == 0 and _on_segment(c, d, b))
    )


def self_intersection(polygon: np.ndarray) -> tuple[int, int] | None:
    """The first two edges (by index: edge i joins vertex i to i + 1) that meet other than at their shared vertex,
    or None for a simple polygon. O(M²): zones have a handful of vertices."""
    count = len(polygon)
    for i in range(count):
        a, b = polygon[i], polygon[(i + 1) % count]
        for j in range(i + 1, count):
            if j == i + 1 or (i == 0 and j == count - 1):  # neighbours share a vertex: meet only there, or fold back
                c, d = polygon[j], polygon[(j + 1) % count]
                shared, far = (b, d) if j == i + 1 else (a, c)
                other = a if j == i + 1 else b
                # Two neighbouring edges overlap when the far ends lie on the same ray from the shared vertex.
                if _orientation(shared, other, far) == 0 and np.dot(other - shared, far - shared) > 0:
                    return i, j
                continue
            if segments_meet(a, b, polygon[j], polygon[(j + 1) % count]):
                return i, j
    return None


def in_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """(N, 2) points, (M, 2) polygon → (N,) bool: inside, or on an edge (within ``EDGE_TOLERANCE``). Even-odd rule
    (a ray to the right crosses the edges an odd number of times), vectorised over points × edges."""
    if not len(points):
        return np.zeros(0, bool)
    x, y = points[:, 0:1], points[:, 1:2]  # (N, 1)
    x1, y1 = polygon[:, 0][None, :], polygon[:, 1][None, :]  # (1, M): edge starts
    x2, y2 = np.roll(polygon[:, 0], -1)[None, :], np.roll(polygon[:, 1], -1)[None, :]  # edge ends
    # Crossing number: edges that straddle the point's row (half-open, so a vertex on the row counts once).
    straddles = (y1 > y) != (y2 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_at = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
    inside = np.count_nonzero(straddles & (x < x_at), axis=1) % 2 == 1
    # On an edge: distance to the segment within the tolerance.
    dx, dy = x2 - x1, y2 - y1
    length2 = dx * dx + dy * dy
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.clip(np.where(length2 > 0, ((x - x1) * dx + (y - y1) * dy) / length2, 0.0), 0.0, 1.0)
    distance2 = (x - (x1 + t * dx)) ** 2 + (y - (y1 + t * dy)) ** 2
    return inside | np.any(distance2 <= EDGE_TOLERANCE**2, axis=1)
