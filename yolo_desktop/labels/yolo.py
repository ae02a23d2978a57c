"""YOLO label files: one ``class cx cy w h`` line per box, normalised to the upright photo's size (0..1); an empty
file is a photo with no objects, no file a photo not labelled yet. Written by ``export/yolo_txt.yolo_lines``."""

from __future__ import annotations

from collections.abc import Sequence

from ..export.yolo_txt import yolo_lines
from .boxes import PhotoLabels, box_problem, clip_box
from .problems import LabelProblem


def parse_yolo(
    text: str, path: str, width: int, height: int, names: Sequence[str]
) -> tuple[PhotoLabels, list[LabelProblem]]:
    """The boxes of a label file for a ``width`` × ``height`` photo, and one problem per line that is not a box
    of a known class inside the photo. A caller that gets problems must not save the file back."""
    boxes: list[tuple[float, float, float, float]] = []
    class_ids: list[int] = []
    problems: list[LabelProblem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        reason = None
        if len(fields) != 5:
            reason = f"{len(fields)} fields, expected 5 (class cx cy w h)"
        else:
            try:
                class_id = int(fields[0])
            except ValueError:
                reason = f"class {fields[0]!r} is not a whole number"
            else:
                try:
                    cx, cy, w, h = (float(v) for v in fields[1:])
                except ValueError:
                    bad = next(v for v in fields[1:] if not _is_number(v))
                    reason = f"{bad!r} is not a number"
                else:
                    if not 0 <= class_id < len(names):
                        reason = f"class {class_id} is beyond the {len(names)} class names"
                    else:
                        box = ((cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height)
                        reason = box_problem(box, width, height)
                        if reason is None:
                            boxes.append(clip_box(box, width, height))
                            class_ids.append(class_id)
        if reason is not None:
            problems.append(LabelProblem(path, reason, number))
    return PhotoLabels.of(width, height, boxes, class_ids, names), problems


def yolo_text(labels: PhotoLabels) -> str:
    return yolo_lines(labels.as_result(""))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
