"""Pascal VOC XML read back: one file per photo, boxes in the devkit's 1-based inclusive pixel indices (what
``export/voc.py`` writes), the photo's size in ``<size>``, which must be the upright photo's."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from .problems import LabelProblem


@dataclass(frozen=True)
class VocFile:
    path: Path
    filename: str  # <filename>: the photo it was made for ("" when absent)
    size: tuple[int, int]  # <size> width, height
    objects: tuple[tuple[str, tuple[float, float, float, float]], ...]  # (class name, x1, y1, x2, y2 in pixels)


def read_voc(path: Path) -> tuple[VocFile | None, list[LabelProblem]]:
    """The file's photo name, size and boxes; None and the problems when it cannot be used as a whole (not XML,
    no ``<size>``, a box that is not four numbers). ``xml.etree`` reads no external entities or DTDs."""
    where = str(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        return None, [
            # "mismatched tag: line 3, column 2": the line goes in its own place
            LabelProblem(where, f"not valid XML ({str(exc).split(':')[0]})", exc.position[0])
        ]
    except OSError as exc:
        return None, [LabelProblem(where, f"cannot read: {exc.strerror or exc}")]
    if root.tag != "annotation":
        return None, [LabelProblem(where, f"not a Pascal VOC file (root element <{root.tag}>, not <annotation>)")]
    size = root.find("size")
    try:
        if size is None:
            raise ValueError
        width, height = (int(float(_text(size, key))) for key in ("width", "height"))
    except ValueError:
        return None, [LabelProblem(where, "has no <size> with <width> and <height>: cannot tell which photo it is for")]
    objects = []
    problems = []
    for number, obj in enumerate(root.iter("object"), start=1):
        name = _text(obj, "name")
        box = obj.find("bndbox")
        try:
            if not name or box is None:
                raise ValueError
            xmin, ymin, xmax, ymax = (float(_text(box, key)) for key in ("xmin", "ymin", "xmax", "ymax"))
        except ValueError:
            problems.append(LabelProblem(where, f"object {number}: needs <name> and a <bndbox> of four numbers"))
            continue
        objects.append((name, (xmin - 1, ymin - 1, xmax, ymax)))  # 1-based inclusive → continuous x1 ≤ x < x2
    if problems:
        return None, problems
    return VocFile(path, _text(root, "filename"), (width, height), tuple(objects)), []


def _text(element: ET.Element, key: str) -> str:
    found = element.find(key)
    return (found.text or "").strip() if found is not None else ""
