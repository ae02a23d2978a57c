"""The one class palette (overlay, exports, video, the table and the chart) and label text. No OpenCV: the
window draws its overlay with Qt and imports this at start-up.
"""

from __future__ import annotations

from ..results import Detection

# 80 vivid colours (RGB), chosen greedily: each as far as possible in CIELAB from all chosen before it (from 36
# hues × saturation 0.6/0.8/0.95 × value 0.8/1.0, starting with a clear red for class 0), so the first classes
# (person, bicycle, car… in COCO) get the most distinct colours and none repeat. Written out rather than computed
# at import (the computation needs OpenCV's Lab conversion); tests/core/test_palette.py recomputes it.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (255, 51, 51),
    (13, 255, 13),
    (13, 13, 255),
    (13, 215, 255),
    (255, 215, 13),
    (204, 82, 184),
    (102, 255, 178),
    (13, 134, 255),
    (204, 143, 82),
    (255, 13, 255),
    (139, 204, 10),
    (204, 82, 102),
    (122, 41, 204),
    (255, 134, 13),
    (255, 13, 134),
    (82, 143, 204),
    (82, 204, 184),
    (10, 204, 75),
    (204, 204, 82),
    (13, 94, 255),
    (255, 128, 102),
    (230, 102, 255),
    (174, 13, 255),
    (215, 255, 13),
    (204, 75, 10),
    (204, 139, 10),
    (102, 82, 204),
    (255, 51, 187),
    (255, 204, 102),
    (13, 255, 255),
    (255, 102, 178),
    (255, 13, 94),
    (153, 255, 102),
    (230, 255, 102),
    (10, 10, 204),
    (122, 204, 82),
    (13, 255, 94),
    (204, 172, 10),
    (153, 102, 255),
    (41, 204, 150),
    (204, 10, 204),
    (134, 255, 13),
    (75, 204, 10),
    (204, 204, 10),
    (13, 255, 215),
    (51, 187, 255),
    (255, 174, 13),
    (204, 41, 122),
    (255, 94, 13),
    (163, 82, 204),
    (204, 41, 68),
    (13, 255, 134),
    (255, 102, 230),
    (82, 102, 204),
    (255, 255, 51),
    (204, 107, 10),
    (255, 13, 215),
    (82, 184, 204),
    (119, 51, 255),
    (204, 10, 172),
    (82, 122, 204),
    (204, 102, 82),
    (255, 178, 102),
    (255, 102, 128),
    (204, 41, 41),
    (204, 41, 95),
    (10, 204, 107),
    (255, 230, 102),
    (82, 163, 204),
    (255, 153, 102),
    (204, 41, 150),
    (255, 13, 13),
    (163, 204, 82),
    (102, 153, 255),
    (255, 119, 51),
    (10, 42, 204),
    (204, 82, 143),
    (255, 102, 102),
    (13, 53, 255),
    (255, 102, 153),
)


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
    if detection.track_id is not None:  # a tracked object in a video: "person #3"
        parts.append(f"#{detection.track_id}")
    if show_score:
        parts.append(f"{detection.score:.2f}")
    return " ".join(parts)
