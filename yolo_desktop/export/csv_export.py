"""``detections.csv``: one row per detection, pixel boxes of the original (EXIF-rotated) image."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable

from ..atomic import atomic_open
from ..results import ImageResult

COLUMNS = (
    "path",
    "image_width",
    "image_height",
    "class_id",
    "label",
    "score",
    "x1",
    "y1",
    "x2",
    "y2",
    "width",
    "height",
)


def write_csv(path: str | os.PathLike[str], results: Iterable[ImageResult]) -> None:
    # utf-8-sig: spreadsheet programs then read non-ASCII file names and labels correctly.
    with atomic_open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for result in results:
            for d in result.detections:
                writer.writerow(
                    [
                        result.path,
                        result.width,
                        result.height,
                        d.class_id,
                        d.label,
                        f"{d.score:.4f}",
                        f"{d.x1:.2f}",
                        f"{d.y1:.2f}",
                        f"{d.x2:.2f}",
                        f"{d.y2:.2f}",
                        f"{d.width:.2f}",
                        f"{d.height:.2f}",
                    ]
                )
