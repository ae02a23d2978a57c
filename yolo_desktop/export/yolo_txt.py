"""YOLO label files: ``class cx cy w h`` normalised to 0..1, one ``.txt`` per image (empty when nothing was
found, so training tools see the image as a negative), and ``data.yaml`` with the class names."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

from ..atomic import write_text
from ..results import ImageResult


def yolo_lines(result: ImageResult) -> str:
    lines = []
    for d in result.detections:
        cx = (d.x1 + d.x2) / 2 / result.width
        cy = (d.y1 + d.y2) / 2 / result.height
        lines.append(f"{d.class_id} {cx:.6f} {cy:.6f} {d.width / result.width:.6f} {d.height / result.height:.6f}")
    return "".join(line + "\n" for line in lines)


def write_yolo_txt(path: str | os.PathLike[str], result: ImageResult) -> None:
    write_text(path, yolo_lines(result))


def data_yaml_text(names: Sequence[str], entries: Sequence[tuple[str, str]] = ()) -> str:
    """``entries`` (key, value) first — a training set's ``train: images/train`` … —, then ``nc`` and ``names``.
    JSON strings are valid YAML scalars, so labels with ':' or quotes need no YAML library."""
    head = "".join(f"{key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in entries)
    listed = ", ".join(json.dumps(name, ensure_ascii=False) for name in names)
    return f"{head}nc: {len(names)}\nnames: [{listed}]\n"


def write_data_yaml(
    path: str | os.PathLike[str], names: Sequence[str], entries: Sequence[tuple[str, str]] = ()
) -> None:
    write_text(path, data_yaml_text(names, entries))
