"""Draw detections onto an image copy, and the one class palette shared with the GUI overlay."""

from __future__ import annotations

import colorsys
from collections.abc import Iterable

import cv2
import numpy as np

from .results import Detection


def _distinct_palette(count: int = 80) -> tuple[tuple[int, int, int], ...]:
    """``count`` vivid colours chosen greedily, each as far as possible (CIELAB) from all chosen before it, so
    the first classes (person, bicycle, car… in COCO) get the most distinct colours and none repeat."""
    hues = np.arange(36) / 36.0
    candidates = np.array(
        [colorsys.hsv_to_rgb(h, s, v) for h in hues for s in (0.6, 0.8, 0.95) for v in (0.8, 1.0)], dtype=np.float32
    )
    lab = cv2.cvtColor(candidates.reshape(1, -1, 3), cv2.COLOR_RGB2Lab).reshape(-1, 3)
    chosen = [3]  # hue 0, saturation 0.8, value 1.0: a clear red for class 0 (person in COCO)
    nearest = np.linalg.norm(lab - lab[chosen[0]], axis=1)
    while len(chosen) < count:
        pick = int(np.argmax(nearest))
        chosen.append(pick)
        nearest = np.minimum(nearest, np.linalg.norm(lab - lab[pick], axis=1))
    rgb = (np.round(candidates[chosen] * 255)).astype(int)
    return tuple((int(r), int(g), int(b)) for r, g, b in rgb)


PALETTE = _distinct_palette()


def class_color(class_id: int) -> tuple[int, int, int]:
    """The colour of a class (RGB), the same in the overlay, the exports, the table and the chart."""
    return PALETTE[class_id % len(PALETTE)]


def text_color_on(background: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white, whichever reads better on ``background`` (ITU-R BT.601 luma)."""
    r, g, b = background
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 150 else (255, 255, 255)


def label_text(detection: Detection, show_label: bool = True, show_score: bool = True) -> str:
    parts = []
    if show_label:
        parts.append(detection.label)
    if show_score:
        parts.append(f"{detection.score:.2f}")
    return " ".join(parts)


def draw_detections(
    image: np.ndarray,
    detections: Iterable[Detection],
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
