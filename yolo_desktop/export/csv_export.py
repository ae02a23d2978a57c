"""``detections.csv``: one row per detection, pixel boxes of the original (EXIF-rotated) image."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable

from ..atomic import atomic_open
from ..records import DETECTION_CSV_COLUMNS, detection_csv_values
from ..results import ImageResult

COLUMNS = ("path", "image_width", "image_height", *DETECTION_CSV_COLUMNS)


def write_csv(path: str | os.PathLike[str], results: Iterable[ImageResult]) -> None:
    # utf-8-sig: spreadsheet programs then read non-ASCII file names and labels correctly.
    with atomic_open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for result in results:
            for d in result.detections:
                writer.writerow([result.path, result.width, result.height, *detection_csv_values(d)])
