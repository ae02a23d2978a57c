"""Per-class greedy NMS, the one call both a single image's selection and a video's whole-video masks use; for a
tiled photo, the merge of an object found by two network runs (two tiles, or a tile and the whole photo).

OpenCV's ``NMSBoxesBatched`` does the IoU part; it is imported on the first call, so modules that only *may* filter
(the window's session, a video's frame store) do not load OpenCV at start-up.
"""

from __future__ import annotations

import numpy as np

from ..geometry import ios

# An object cut by a tile edge is found whole by one run (the neighbouring tile, whose overlap holds it, or the
# whole-photo pass) and in part by another. The two boxes' IoU is small, but the part lies inside the whole: their
# intersection over the smaller box (IoS) is near 1. A box whose IoS with a better box of the same class from
# another run passes this is the same object (SAHI's match metric and threshold; see bench/bench_tiling.py).
TILE_MERGE_IOS = 0.5
_MATRIX_LIMIT = 1024  # boxes of one class compared as one matrix up to this many (4 MB of float32), then by rows


def batched_nms(boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray, iou: float) -> np.ndarray:
    """boxes (N, 4) x1y1x2y2, scores (N,), class ids (N,) → indices kept (int64), best first. Boxes of
    different classes never suppress each other. Scores are not thresholded here (filter them first)."""
    import cv2

    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    # Each class in a band of its own, so boxes of different classes never overlap: OpenCV's NMSBoxesBatched
    # offsets by the largest coordinate only, which lets boxes reaching far below 0 (untrained or exported models
    # do that) suppress other classes' boxes; torchvision and Ultralytics offset by a fixed span instead.
    shifted = boxes.astype(np.float64) - float(boxes.min())
    span = float(shifted.max()) + 1.0
    shifted += (class_ids.astype(np.float64) * span)[:, None]
    xywh = np.column_stack([shifted[:, :2], shifted[:, 2:] - shifted[:, :2]])
    # OpenCV's own score threshold is strict, so it gets 0: callers have filtered inclusively.
    kept = cv2.dnn.NMSBoxes(
        xywh,  # type: ignore[arg-type]  # OpenCV's stubs say Sequence; it takes arrays
        scores.astype(np.float64),  # type: ignore[arg-type]
        0.0,
        iou,
    )
    return np.asarray(kept, dtype=np.int64).reshape(-1)


def keep(
    boxes: np.ndarray,
    scores: np.ndarray,
    class_ids: np.ndarray,
    sources: np.ndarray | None,
    iou: float,
    nms: bool = True,
) -> np.ndarray:
    """Indices kept (int64), best first: per-class NMS at ``iou`` (unless ``nms`` is False: an end-to-end model's
    rows are final), then, for a tiled photo (``sources``), the merge across runs (``across_runs``). Both are greedy
    in score order with a pairwise rule that does not depend on the threshold, so what is kept at confidence c is
    what is kept at any lower one, restricted to scores ≥ c (the property a video's whole-timeline masks rely on)."""
    kept = batched_nms(boxes, scores, class_ids, iou) if nms else np.arange(len(boxes), dtype=np.int64)
    # OpenCV returns them best first; re-sort stably anyway so the order never depends on its version.
    kept = kept[np.argsort(-scores[kept], kind="stable")]
    if sources is not None and kept.size > 1:
        kept = kept[across_runs(boxes[kept], class_ids[kept], sources[kept])]
    return kept


def across_runs(
    boxes: np.ndarray, class_ids: np.ndarray, sources: np.ndarray, threshold: float = TILE_MERGE_IOS
) -> np.ndarray:
    """boxes (M, 4) best first, their classes and runs (M,) → (M,) bool: kept. Greedy: a box is dropped when a
    better kept box of its class from another run covers it (IoS > ``threshold``)."""
    kept = np.ones(len(boxes), dtype=bool)
    for class_id in np.unique(class_ids):
        members = np.flatnonzero(class_ids == class_id)
        if members.size > 1:
            kept[members] = _greedy(boxes[members], sources[members], threshold)
    return kept


def _greedy(boxes: np.ndarray, sources: np.ndarray, threshold: float) -> np.ndarray:
    count = len(boxes)
    alive = np.ones(count, dtype=bool)
    if count <= _MATRIX_LIMIT:
        covers = (ios(boxes, boxes) > threshold) & (sources[:, None] != sources[None, :])
        for i in range(count):
            if alive[i]:
                alive[i + 1 :] &= ~covers[i, i + 1 :]
        return alive
    for i in range(count):
        if alive[i]:
            later = slice(i + 1, count)
            alive[later] &= ~((ios(boxes[i : i + 1], boxes[later])[0] > threshold) & (sources[later] != sources[i]))
    return alive
