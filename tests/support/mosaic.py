"""A 2496×1664 "large photo" of small objects: packaged photos shrunk to 260–300 px wide, pasted on a gray canvas.

Untiled, the network sees it shrunk 6× and finds only the person; with 416 px tiles (each seen 1:1) it finds every
object. The expected boxes were checked by hand against each photo detected on its own at its pasted size (YOLOv3-tiny
at 416: the cup at 0.50, the motorbikes at 0.35 and 0.31, the person at 0.36), moved to the canvas. The second cup
straddles the right edge of a 416 px tile (x = 1010) while lying whole inside its neighbour, so a naive merge would
report it twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from tests.conftest import read_rgb
from yolo_desktop import geometry

CANVAS = (1664, 2496)  # height, width
GRAY = 114
# (photo, pasted width, x, y)
PLACED = (
    ("coffee.png", 300, 100, 100),
    ("motorcycle_left.png", 300, 1300, 180),
    ("camera.png", 300, 400, 1200),
    ("coffee.png", 300, 855, 650),
    ("motorcycle_left.png", 260, 1900, 1100),
)


@dataclass(frozen=True)
class Expected:
    label: str
    box: tuple[float, float, float, float]  # canvas pixels, x1 y1 x2 y2


EXPECTED = (
    Expected("cup", (173, 110, 315, 255)),
    Expected("motorbike", (1316, 198, 1586, 369)),
    Expected("person", (402, 1207, 568, 1500)),
    Expected("cup", (928, 660, 1070, 805)),  # across the edge of the 416 px tile [594, 1010)
    Expected("motorbike", (1913, 1115, 2148, 1263)),
)
ACROSS_AN_EDGE = EXPECTED[3]


def mosaic(data_dir: Path) -> np.ndarray:
    """The canvas, RGB (H, W, 3) uint8."""
    canvas = np.full((*CANVAS, 3), GRAY, np.uint8)
    for name, width, x, y in PLACED:
        photo = read_rgb(data_dir / name)
        height = round(photo.shape[0] * width / photo.shape[1])
        photo = cv2.resize(photo, (width, height), interpolation=cv2.INTER_AREA)
        canvas[y : y + height, x : x + width] = photo
    return canvas


def write_mosaic(path: Path, data_dir: Path) -> Path:
    """The canvas as a PNG (lossless: every front door reads the same pixels, none decodes it reduced)."""
    cv2.imwrite(str(path), cv2.cvtColor(mosaic(data_dir), cv2.COLOR_RGB2BGR))
    return path


def ios(a: Sequence[float], b: Sequence[float]) -> float:
    """Two single boxes → their intersection over the smaller one's area (``geometry.ios``)."""
    return float(geometry.ios(geometry.as_boxes(a), geometry.as_boxes(b))[0, 0])
