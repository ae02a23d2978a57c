"""COCO instances JSON read back (what ``export/coco.py`` writes, and what COCO, CVAT, Label Studio and Roboflow
export): images, their boxes (``bbox`` x, y, width, height in pixels), categories. Crowd regions (``iscrowd`` 1)
are not objects to train on: they are kept apart, counted (an evaluation ignores detections on them, as COCO's
does). Classes are the categories in ascending id order (for COCO's own 80, the order of ``coco.names``)."""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .problems import LabelProblem


@dataclass
class CocoImage:
    id: int
    file_name: str
    size: tuple[int, int]  # width, height as the file says
    boxes: list[tuple[int, tuple[float, float, float, float]]] = field(default_factory=list)  # (class, x1, y1, x2, y2)
    crowd: list[tuple[int, tuple[float, float, float, float]]] = field(default_factory=list)  # crowd regions, as boxes
    problems: list[LabelProblem] = field(default_factory=list)  # any: the photo's labels are not used


@dataclass(frozen=True)
class CocoFile:
    path: Path
    names: tuple[str, ...]
    images: tuple[CocoImage, ...]
    crowd: int  # crowd regions: not objects (left out of training sets; an evaluation ignores detections on them)


def read_coco(path: Path) -> tuple[CocoFile | None, list[LabelProblem]]:
    """The file's images and boxes, and its problems; None when it cannot be used as a whole."""
    where = str(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        return None, [LabelProblem(where, f"not valid JSON ({exc.msg})", exc.lineno)]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [LabelProblem(where, f"cannot read: {getattr(exc, 'strerror', None) or exc}")]
    if not isinstance(document, dict) or not all(
        isinstance(document.get(key), list) for key in ("images", "annotations", "categories")
    ):
        return None, [LabelProblem(where, "not a COCO instances file (needs images, annotations and categories)")]
    problems: list[LabelProblem] = []
    categories = _categories(document["categories"], where, problems)
    if categories is None:
        return None, problems
    names = tuple(name for _id, name in categories)
    index = {category_id: i for i, (category_id, _name) in enumerate(categories)}
    images: dict[int, CocoImage] = {}
    duplicated: set[int] = set()
    counts = Counter(_get(entry, "id") for entry in document["images"])
    for number, entry in enumerate(document["images"], start=1):
        image = _image(entry, number, where, problems)
        if image is None:
            continue
        if counts[image.id] > 1:
            if image.id not in duplicated:
                problems.append(LabelProblem(where, f"image id {image.id} is used by {counts[image.id]} images"))
                duplicated.add(image.id)
            continue  # which one its annotations belong to cannot be told: none is used
        images[image.id] = image
    crowd = 0
    annotation_counts = Counter(_get(entry, "id") for entry in document["annotations"])
    for number, entry in enumerate(document["annotations"], start=1):
        name = f"annotation {_get(entry, 'id', f'#{number}')}"
        image = images.get(_get(entry, "image_id"))
        if image is None:
            if _get(entry, "image_id") not in duplicated:
                problems.append(LabelProblem(where, f"{name}: image id {_get(entry, 'image_id')!r} is not in images"))
            continue
        if _get(entry, "iscrowd", 0):
            crowd += 1
            region = _box(_get(entry, "bbox"))
            if region is not None and _get(entry, "category_id") in index:
                image.crowd.append((index[entry["category_id"]], region))
            continue
        reason = None
        if annotation_counts[_get(entry, "id")] > 1:
            reason = f"{name}: the id is used by {annotation_counts[_get(entry, 'id')]} annotations"
        elif _get(entry, "category_id") not in index:
            reason = f"{name}: category id {_get(entry, 'category_id')!r} is not in categories"
        else:
            box = _box(_get(entry, "bbox"))
            if box is None:
                reason = f"{name}: bbox {_get(entry, 'bbox')!r} is not [x, y, width, height]"
            else:
                image.boxes.append((index[entry["category_id"]], box))
        if reason is not None:
            image.problems.append(LabelProblem(where, reason))
    return CocoFile(path, names, tuple(images.values()), crowd), problems


def _get(entry: Any, key: str, default: Any = None) -> Any:
    return entry.get(key, default) if isinstance(entry, dict) else default


def _categories(entries: list[Any], where: str, problems: list[LabelProblem]) -> list[tuple[int, str]] | None:
    categories: dict[int, str] = {}
    for number, entry in enumerate(entries, start=1):
        category_id, name = _get(entry, "id"), _get(entry, "name")
        if not isinstance(category_id, int) or not isinstance(name, str) or not name.strip():
            problems.append(LabelProblem(where, f"category {number}: needs an integer id and a name"))
            return None
        if category_id in categories:
            problems.append(
                LabelProblem(where, f"category id {category_id} is used by {categories[category_id]!r} and {name!r}")
            )
            return None
        categories[category_id] = name.strip()
    return sorted(categories.items())


def _image(entry: Any, number: int, where: str, problems: list[LabelProblem]) -> CocoImage | None:
    image_id, file_name, width, height = (_get(entry, key) for key in ("id", "file_name", "width", "height"))
    if not isinstance(image_id, int) or not isinstance(file_name, str) or not file_name:
        problems.append(LabelProblem(where, f"image {number}: needs an integer id and a file_name"))
        return None
    if not isinstance(width, int) or not isinstance(height, int) or width <= 0 or height <= 0:
        problems.append(LabelProblem(where, f"image {file_name}: needs its width and height in pixels"))
        return None
    return CocoImage(image_id, file_name, (width, height))


def _box(bbox: Any) -> tuple[float, float, float, float] | None:
    if not isinstance(bbox, list) or len(bbox) != 4 or not all(isinstance(v, (int, float)) for v in bbox):
        return None
    x, y, w, h = (float(v) for v in bbox)
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        return None
    return (x, y, x + w, y + h)
