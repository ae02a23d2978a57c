"""Per-class greedy NMS, the one call both a single image's selection and a video's whole-video masks use.

OpenCV's ``NMSBoxesBatched`` does the work; it is imported on the first call, so modules that only *may* filter
(the window's session, a video's frame store) do not load OpenCV at start-up.
"""

from __future__ import annotations

import numpy as np


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
