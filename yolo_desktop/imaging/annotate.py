"""Draw detections onto an image (exports, the service, video); colours and label text from ``palette``."""

from __future__ import annotations

import cv2
import numpy as np

from ..results import Detections
from .palette import class_color, label_text, text_color_on


def draw_detections(
    image: np.ndarray,
    detections: Detections,
    show_label: bool = True,
    show_score: bool = True,
    *,
    bgr: bool = False,
    in_place: bool = False,
) -> np.ndarray:
    """Return a copy of RGB ``image`` (H, W, 3) uint8 with boxes and labels burned in.

    Line width and text size follow the image's short side, so labels stay readable from 300 px thumbnails to
    20 MP photos viewed scaled down. ``bgr``: the image is in OpenCV's order (video frames on their way to the
    encoder), so the palette is swapped to match. ``in_place``: draw on ``image`` itself (a frame nobody else
    reads), saving a full-frame copy.
    """
    canvas = image if in_place else np.ascontiguousarray(image).copy()
    height, width = canvas.shape[:2]
    short_side = min(width, height)
    thickness = max(1, round(short_side / 320))
    font_scale = max(0.4, short_side / 1100)
    font_thickness = max(1, round(font_scale * 1.6))
    font = cv2.FONT_HERSHEY_SIMPLEX
    for det in sorted(detections, key=lambda d: d.score):  # best drawn last, on top
        rgb_color = class_color(det.class_id)
        color = rgb_color[::-1] if bgr else rgb_color
        x1, y1 = int(round(det.x1)), int(round(det.y1))
        x2, y2 = int(round(det.x2)) - 1, int(round(det.y2)) - 1
        cv2.rectangle(canvas, (x1, y1), (max(x1, x2), max(y1, y2)), color, thickness, cv2.LINE_AA)
        text = label_text(det, show_label, show_score)
        if not text:
            continue
        (text_w, text_h), baseline = cv2.getTextSize(text, font, font_scale, font_thickness)
        pad = max(1, font_thickness)
        box_h = text_h + baseline + 2 * pad
        # Above the box when there is room, else just inside its top edge.
        top = y1 - box_h if y1 - box_h >= 0 else y1
        left = min(max(0, x1 - thickness // 2), max(0, width - text_w - 2 * pad))
        cv2.rectangle(canvas, (left, top), (left + text_w + 2 * pad, top + box_h), color, cv2.FILLED)
        cv2.putText(
            canvas,
            text,
            (left + pad, top + pad + text_h),
            font,
            font_scale,
            text_color_on(rgb_color),  # black or white: the same in either channel order
            font_thickness,
            cv2.LINE_AA,
        )
    return canvas
