"""A photo's labels as the app holds them, and the checks every reader applies to a box and a declared size.

Boxes are ``results.Detections`` (pixels of the upright photo, EXIF orientation applied; score 1: a person's box)
with the photo's upright size beside them, which YOLO's normalised coordinates and VOC/COCO headers need.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..imaging.header import Header
from ..results import Detections, ImageResult

# A box may overshoot the photo by this much (pixels) and is clipped: other tools round, and VOC writers disagree
# on 0- or 1-based corners. Further out it is refused as made for another photo.
EDGE_TOLERANCE_PX = 1.0


@dataclass(frozen=True)
class PhotoLabels:
    width: int  # the upright photo's, pixels
    height: int
    boxes: Detections  # (N, 4) x1, y1, x2, y2 in pixels of the upright photo; scores 1

    @classmethod
    def of(
        cls,
        width: int,
        height: int,
        boxes: Sequence[tuple[float, float, float, float]],
        class_ids: Sequence[int],
        names: Sequence[str],
    ) -> PhotoLabels:
        count = len(class_ids)
        return cls(
            width,
            height,
            Detections(
                np.asarray(boxes, np.float32).reshape(-1, 4),
                np.ones(count, np.float32),
                np.asarray(class_ids, np.int32),
                tuple(names),
            ),
        )

    def as_result(self, path: str) -> ImageResult:
        """The shape the per-file encoders (``export/``) write."""
        return ImageResult(path, self.width, self.height, self.boxes)


def box_problem(box: Sequence[float], width: int, height: int) -> str | None:
    """Why a box (x1, y1, x2, y2 in pixels) cannot be a label of a ``width`` × ``height`` photo, or None."""
    x1, y1, x2, y2 = box
    shown = f"({x1:.1f}, {y1:.1f}, {x2:.1f}, {y2:.1f})"
    if not all(math.isfinite(v) for v in box):
        return f"box {shown} is not made of finite numbers"
    tol = EDGE_TOLERANCE_PX
    if x1 < -tol or y1 < -tol or x2 > width + tol or y2 > height + tol:
        return f"box {shown} is outside the {width}×{height} photo"
    if min(x2, width) - max(x1, 0) <= 0 or min(y2, height) - max(y1, 0) <= 0:
        return f"box {shown} has no area (zero width or height)"
    return None


def clip_box(box: Sequence[float], width: int, height: int) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = box
    return (max(x1, 0.0), max(y1, 0.0), min(x2, float(width)), min(y2, float(height)))


def size_problem(declared: tuple[int, int], header: Header, photo: str) -> str | None:
    """Why labels made for a ``declared`` (width, height) photo do not fit this one, or None."""
    upright = header.upright_size
    if tuple(declared) == upright:
        return None
    if header.turned and tuple(declared) == (header.width, header.height):
        return (
            f"made for {photo} as stored ({declared[0]}×{declared[1]}), without its EXIF orientation: the photo is "
            f"shown {upright[0]}×{upright[1]}, and labels are in the coordinates of the photo as shown"
        )
    return f"made for another photo: it says {declared[0]}×{declared[1]}, {photo} is {upright[0]}×{upright[1]}"
