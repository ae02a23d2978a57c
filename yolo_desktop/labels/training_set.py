"""A ``LabelSet`` written as a training set that Ultralytics, Darknet or any COCO / VOC tool reads as it is.

Layouts (one per format; the per-file encodings are ``export/``'s, without scores):
- ``yolo``: ``images/{train,val,test}/``, ``labels/{train,val,test}/*.txt`` (empty: a background photo),
  ``data.yaml`` (``train``/``val``/``test`` relative to it, ``nc``, ``names``);
- ``coco``: ``{train,val,test}/`` photos, ``annotations/instances_{split}.json`` (official category ids when the
  classes are COCO's 80);
- ``voc``: ``JPEGImages/``, ``Annotations/*.xml``, ``ImageSets/Main/{train,val,test,trainval}.txt``, and
  ``classes.txt`` (class order, and classes without boxes, survive a round trip).

Photos are copied or hard-linked, never moved or changed (EXIF orientation and all: boxes are in the upright
photo's coordinates, as Ultralytics reads them). Only labelled photos go in (an unlabelled photo is not a
background photo), and with ``reviewed_only`` only reviewed ones. The split is deterministic: photos in natural
order, shuffled by ``random.Random(seed)``, cut by the ratios.
"""

from __future__ import annotations

import os
import random
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath

from ..atomic import commit, discard, temp_path_for, write_text
from ..export.coco import write_coco
from ..export.voc import write_voc
from ..export.yolo_txt import write_data_yaml
from ..pipeline.inputs import UsageError, check_output_dir, natural_key
from .dataset import LabelledPhoto, LabelSet
from .folder import NAMES_FILE
from .names import write_names_file
from .store import LABELLED, PROBLEM, REVIEWED, UNLABELLED
from .yolo import yolo_text

FORMATS = ("yolo", "coco", "voc")
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class ExportOptions:
    format: str  # one of FORMATS
    split: tuple[float, ...] = (0.8, 0.2)  # train, val[, test]; sums to 1
    seed: int = 0
    reviewed_only: bool = False
    link: bool = False  # hard-link photos instead of copying them (copied where a link cannot be made)


@dataclass
class ExportReport:
    out: Path
    photos: dict[str, int] = field(default_factory=dict)  # split → photos written
    boxes: dict[str, Counter[str]] = field(default_factory=dict)  # split → boxes per class
    left_out: Counter[str] = field(default_factory=Counter)  # reason → photos
    copied_not_linked: int = 0  # with ``link``: photos on another disk than OUT
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)


def parse_split(text: str) -> tuple[float, ...]:
    """'0.8,0.2' or '0.7,0.2,0.1' → ratios; ``UsageError`` otherwise."""
    try:
        ratios = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise UsageError(f"--split {text!r}: ratios are numbers, e.g. 0.8,0.2 or 0.7,0.2,0.1") from None
    if not 1 <= len(ratios) <= 3 or any(r < 0 for r in ratios) or abs(sum(ratios) - 1) > 1e-6:
        raise UsageError(f"--split {text!r}: 1 to 3 ratios (train, val, test) ≥ 0 that add up to 1")
    return ratios


def assign_splits(rels: Sequence[str], ratios: Sequence[float], seed: int) -> dict[str, str]:
    """rel → split name; the same photos, ratios and seed give the same split on every machine."""
    order = sorted(rels, key=natural_key)
    random.Random(seed).shuffle(order)
    splits: dict[str, str] = {}
    start, total = 0, 0.0
    for name, ratio in zip(SPLITS, ratios):
        total += ratio
        end = len(order) if total >= 1 - 1e-9 else round(total * len(order))
        splits.update((rel, name) for rel in order[start:end])
        start = end
    return splits


def export_training_set(labels: LabelSet, out: str | os.PathLike[str], options: ExportOptions) -> ExportReport:
    """Write ``labels`` as a training set under ``out`` (a new or empty folder outside the photos)."""
    if options.format not in FORMATS:
        raise UsageError(f"unknown format {options.format!r} (yolo, coco or voc)")
    out = Path(out)
    check_output_dir(out, sorted({str(photo.path.parent) for photo in labels.photos}))
    if out.is_dir() and any(out.iterdir()):
        raise UsageError(f"{out} is not empty: a training set goes into a new or empty folder")
    if options.reviewed_only and not labels.reviewed_known:
        raise UsageError(f"--reviewed-only: {labels.where} keeps no review state (only the app's own labels do)")
    report = ExportReport(out)
    chosen = []
    for photo in labels.photos:
        wanted = (REVIEWED,) if options.reviewed_only else (LABELLED, REVIEWED)
        if photo.state in wanted and photo.labels is not None:
            chosen.append(photo)
        else:
            report.left_out[_why_left_out(photo.state, options.reviewed_only)] += 1
    splits = assign_splits([photo.rel for photo in chosen], options.split, options.seed)
    ids = _flat_ids([photo.rel for photo in chosen])
    used = [name for name, ratio in zip(SPLITS, options.split) if ratio > 0]
    by_split = {
        name: [p for p in sorted(chosen, key=lambda p: natural_key(p.rel)) if splits[p.rel] == name] for name in used
    }
    writer = {"yolo": _write_yolo, "coco": _write_coco, "voc": _write_voc}[options.format]
    writer(labels, by_split, ids, out, options, report)
    for name, photos in by_split.items():
        report.photos[name] = len(photos)
        report.boxes[name] = Counter(label for photo in photos if photo.labels for label in photo.labels.boxes.labels)
    return report


def _why_left_out(state: str, reviewed_only: bool) -> str:
    if state == PROBLEM:
        return "labels that could not be read"
    if state == UNLABELLED:
        return "not labelled"
    return "labelled, not reviewed" if reviewed_only else state


def _flat_ids(rels: Sequence[str]) -> dict[str, str]:
    """rel → a file stem unique in the set (case-insensitively): the stem itself, else the folders joined by '_'
    ('train/a.jpg' → 'train_a'), else numbered."""
    stems = Counter(PurePosixPath(rel).stem.casefold() for rel in rels)
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for rel in sorted(rels, key=natural_key):
        path = PurePosixPath(rel)
        candidate = path.stem if stems[path.stem.casefold()] == 1 else "_".join(path.with_suffix("").parts)
        unique, number = candidate, 2
        while unique.casefold() in taken:
            unique, number = f"{candidate}-{number}", number + 1
        taken.add(unique.casefold())
        ids[rel] = unique
    return ids


def _place_photo(photo: LabelledPhoto, target: Path, options: ExportOptions, report: ExportReport) -> None:
    tmp = temp_path_for(target, target.suffix)
    try:
        if options.link:
            try:
                os.unlink(tmp)
                os.link(photo.path, tmp)
                os.replace(tmp, target)
                return
            except OSError:  # another disk, or a file system without hard links
                report.copied_not_linked += 1
        shutil.copyfile(photo.path, tmp)
        commit(tmp, target)
    except OSError as exc:
        discard(tmp)
        report.failed.append((str(target), exc.strerror or str(exc)))


def _guarded(report: ExportReport, path: Path, action: Callable[[], None]) -> None:
    try:
        action()
    except OSError as exc:
        report.failed.append((str(path), exc.strerror or str(exc)))


Splits = dict[str, list[LabelledPhoto]]


def _write_yolo(
    labels: LabelSet, splits: Splits, ids: dict[str, str], out: Path, options: ExportOptions, report: ExportReport
) -> None:
    for name, photos in splits.items():
        for photo in photos:
            assert photo.labels is not None
            _place_photo(photo, out / "images" / name / f"{ids[photo.rel]}{photo.path.suffix}", options, report)
            target = out / "labels" / name / f"{ids[photo.rel]}.txt"
            _guarded(report, target, partial(write_text, target, yolo_text(photo.labels)))
    entries = [(name, f"images/{name}") for name in splits]
    _guarded(report, out / "data.yaml", lambda: write_data_yaml(out / "data.yaml", labels.names, entries))


def _write_coco(
    labels: LabelSet, splits: Splits, ids: dict[str, str], out: Path, options: ExportOptions, report: ExportReport
) -> None:
    for name, photos in splits.items():
        items = []
        for photo in photos:
            assert photo.labels is not None
            file_name = f"{ids[photo.rel]}{photo.path.suffix}"
            _place_photo(photo, out / name / file_name, options, report)
            items.append((photo.labels.as_result(str(out / name / file_name)), file_name))
        target = out / "annotations" / f"instances_{name}.json"
        _guarded(report, target, partial(write_coco, target, items, labels.names, scores=False))


def _write_voc(
    labels: LabelSet, splits: Splits, ids: dict[str, str], out: Path, options: ExportOptions, report: ExportReport
) -> None:
    for photos in splits.values():
        for photo in photos:
            assert photo.labels is not None
            image = out / "JPEGImages" / f"{ids[photo.rel]}{photo.path.suffix}"
            _place_photo(photo, image, options, report)
            target = out / "Annotations" / f"{ids[photo.rel]}.xml"
            result = photo.labels.as_result(str(image))
            _guarded(report, target, partial(write_voc, target, result, image.name, scores=False))
    lists = dict(splits)
    if "val" in splits:
        lists["trainval"] = splits.get("train", []) + splits["val"]
    for name, photos in lists.items():
        target = out / "ImageSets" / "Main" / f"{name}.txt"
        text = "".join(f"{ids[p.rel]}\n" for p in sorted(photos, key=lambda p: natural_key(ids[p.rel])))
        _guarded(report, target, partial(write_text, target, text))
    _guarded(report, out / NAMES_FILE, lambda: write_names_file(out / NAMES_FILE, labels.names))
