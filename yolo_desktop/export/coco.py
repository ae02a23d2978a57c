"""COCO detection JSON (images, annotations with score, categories) for the whole batch; a training set's
ground truth (``scores=False``) has no score."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

from ..atomic import write_text
from ..results import ImageResult

# Darknet's 80 COCO classes in order → the official COCO category ids (the dataset skips some numbers), so an
# export of the default model can be scored directly against COCO ground truth.
COCO80_TO_91 = (
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    13,
    14,
    15,
    16,
    17,
    18,
    19,
    20,
    21,
    22,
    23,
    24,
    25,
    27,
    28,
    31,
    32,
    33,
    34,
    35,
    36,
    37,
    38,
    39,
    40,
    41,
    42,
    43,
    44,
    46,
    47,
    48,
    49,
    50,
    51,
    52,
    53,
    54,
    55,
    56,
    57,
    58,
    59,
    60,
    61,
    62,
    63,
    64,
    65,
    67,
    70,
    72,
    73,
    74,
    75,
    76,
    77,
    78,
    79,
    80,
    81,
    82,
    84,
    85,
    86,
    87,
    88,
    89,
    90,
)


def category_ids(names: Sequence[str]) -> list[int]:
    if len(names) == 80 and names[0] == "person" and names[-1] == "toothbrush":
        return list(COCO80_TO_91)
    return [i + 1 for i in range(len(names))]


def coco_document(
    items: Iterable[tuple[ImageResult, str]], names: Sequence[str], scores: bool = True
) -> dict[str, Any]:
    """``items``: (result, file name relative to the export folder). Failed images are left out."""
    ids = category_ids(names)
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for image_id, (result, file_name) in enumerate(((r, f) for r, f in items if r.ok), start=1):
        images.append({"id": image_id, "file_name": file_name, "width": result.width, "height": result.height})
        for d in result.detections:
            w, h = d.width, d.height
            annotation = {
                "id": len(annotations) + 1,
                "image_id": image_id,
                "category_id": ids[d.class_id],
                "bbox": [round(d.x1, 2), round(d.y1, 2), round(w, 2), round(h, 2)],
                "area": round(w * h, 2),
                "iscrowd": 0,
            }
            if scores:
                annotation["score"] = round(d.score, 4)
            annotations.append(annotation)
    return {
        "info": {"description": f"{'Detections' if scores else 'Labels'} exported by yolo-desktop"},
        "images": images,
        "annotations": annotations,
        "categories": [{"id": ids[i], "name": name, "supercategory": ""} for i, name in enumerate(names)],
    }


def write_coco(
    path: str | os.PathLike[str], items: Iterable[tuple[ImageResult, str]], names: Sequence[str], scores: bool = True
) -> None:
    write_text(path, json.dumps(coco_document(items, names, scores), ensure_ascii=False) + "\n")
