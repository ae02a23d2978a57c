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

    xywh = np.column_stack([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]]).astype(np.float64)
    # OpenCV's own score threshold is strict, so it gets 0: callers have filtered inclusively.
    kept = cv2.dnn.NMSBoxesBatched(
        xywh,  # type: ignore[arg-type]  # OpenCV's stubs say Sequence; it takes arrays
        scores.astype(np.float64),  # type: ignore[arg-type]
        class_ids.astype(np.int32),  # type: ignore[arg-type]
        0.0,
        iou,
    )
    return np.asarray(kept, dtype=np.int64).reshape(-1)
