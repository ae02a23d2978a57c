"""Any folder's labels, whatever their format, as one ``LabelSet``: the photos, each one's boxes (pixels of the
upright photo) and state, the class list, and every problem met — for ``dataset stats``, ``dataset export`` and
importing into the window.

Formats are found by what is there (or named with ``labels``): YOLO ``.txt`` at the folder's place (``place.py``;
with ``classes.txt`` or ``data.yaml``), Pascal VOC (``Annotations/`` + ``JPEGImages/``, or ``.xml`` beside the
photos), COCO instances JSON, and the app's own ``detections.json``. A photo whose labels cannot be used is a
*problem*: reported (file, line, reason) and left out; the rest of the folder still reads.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from ..filetypes import is_image_name
from ..imaging.header import ImageError, probe_file
from .boxes import PhotoLabels, box_problem, clip_box, size_problem
from .coco import CocoFile, CocoImage, read_coco
from .folder import NAMES_FILE, walk_files
from .names import read_names_file
from .place import BESIDE, CHOSEN, DATASET, SPLITS, Place, PlaceMemory
from .problems import MISSING_PHOTO, LabelFileError, LabelProblem, LabelsUnavailable
from .store import LABELLED, PROBLEM, UNLABELLED, LabelStore
from .voc import VocFile, read_voc

YOLO, VOC, COCO, APP_JSON = "yolo", "voc", "coco", "detections.json"


@dataclass(frozen=True)
class LabelledPhoto:
    path: Path
    rel: str  # POSIX, relative to the source's photo root: unique, and the photo's name in an export
    state: str  # store.STATES
    labels: PhotoLabels | None = None  # None: unlabelled, or a problem
    # COCO crowd regions (class, (x1, y1, x2, y2) photo pixels): not objects; an evaluation ignores detections on them
    crowd: tuple[tuple[int, tuple[float, float, float, float]], ...] = ()


@dataclass
class LabelSet:
    format: str
    where: str  # the labels read: a folder or file(s), for messages
    names: tuple[str, ...]
    photos: list[LabelledPhoto]
    problems: list[LabelProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # not problems: crowd regions left out, classes named by number
    reviewed_known: bool = False  # the source keeps review state (the app's own labels)


def read_labels(
    source: str | os.PathLike[str], labels: str | os.PathLike[str] | None = None, memory: PlaceMemory | None = None
) -> LabelSet:
    """Read the labels of a photo folder (or dataset root). ``labels``: a label folder or file, when they are
    not where the format puts them. Raises ``LabelsUnavailable`` for a source that is not there or whose labels
    cannot be read at all (an unreadable COCO file); per-photo problems are in the set."""
    src = Path(os.path.abspath(source))
    if src.is_file() and src.suffix.lower() == ".json":
        src, labels = src.parent, src
    if not src.is_dir():
        raise LabelsUnavailable(f"{source}: no such folder")
    if labels is not None:
        given = Path(os.path.abspath(labels))
        if given.is_file():
            return _read_json_files(src, [given])
        if not given.is_dir():
            raise LabelsUnavailable(f"{labels}: no such file or folder")
        if any(name.endswith(".xml") for name in walk_files(given)):
            return _read_voc(src, given)
        return _read_yolo(Place(src, given, CHOSEN))
    place = (memory or PlaceMemory()).place(src)
    if place.layout in (DATASET, SPLITS, CHOSEN) and place.labels.is_dir():
        return _read_yolo(place)
    if (src / "Annotations").is_dir():
        return _read_voc(src / "JPEGImages" if (src / "JPEGImages").is_dir() else src, src / "Annotations")
    candidates = sorted([*src.glob("*.json"), *src.glob("annotations/*.json")])
    documents = [path for path in candidates if not path.name.startswith(".") and _looks_like_labels(path)]
    if documents:
        return _read_json_files(src, documents)
    suffixes = {os.path.splitext(name)[1] for name in walk_files(src)}
    if ".xml" in suffixes and ".txt" not in suffixes:  # labelImg's VOC mode: an .xml beside each photo
        return _read_voc(src, src)
    return _read_yolo(place)


def _looks_like_labels(path: Path) -> bool:
    # The first few KB tell a COCO file or a detections.json from any other JSON (a config, a model's metadata).
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return any(f'"{key}"' in head for key in ("images", "annotations", "categories"))


# ----- YOLO --------------------------------------------------------------------------------------------------------


def _read_yolo(place: Place) -> LabelSet:
    store = LabelStore(place, readonly=True)
    photos = []
    for photo in store.photos:
        state = store.state(photo.rel)
        labels = None
        if state != UNLABELLED:
            try:
                labels = store.read(photo.rel)
            except LabelFileError:
                state = PROBLEM
        photos.append(LabelledPhoto(photo.path, photo.rel, state, labels))
    notes = []
    if photos and not (place.labels / NAMES_FILE).is_file() and not (place.dataset_root / "data.yaml").is_file():
        notes.append(f"no class list ({NAMES_FILE} or data.yaml): classes are named by their number")
    where = f"{place.labels} (beside the photos)" if place.layout == BESIDE else str(place.labels)
    return LabelSet(YOLO, where, store.names, photos, store.problems, notes, reviewed_known=True)


# ----- Pascal VOC --------------------------------------------------------------------------------------------------


def _read_voc(photos_root: Path, annotations: Path) -> LabelSet:
    """Each photo's ``.xml`` is found by its stem (VOC's image id), under ``annotations``."""
    files: dict[str, VocFile] = {}
    problems: list[LabelProblem] = []
    bad: set[str] = set()
    for rel in walk_files(annotations):
        if rel.endswith(".xml"):
            parsed, found = read_voc(annotations / rel)
            stem = rel[:-4]
            if parsed is None:
                problems += found
                bad.add(stem)
            else:
                files[stem] = parsed
    names, notes = _voc_names([photos_root, annotations, photos_root.parent], files.values())
    index = {name: i for i, name in enumerate(names)}
    photos = []
    seen: set[str] = set()
    for rel in _photo_rels(photos_root):
        stem = str(PurePosixPath(rel).with_suffix(""))
        path = photos_root.joinpath(*PurePosixPath(rel).parts)
        seen.add(stem)
        if stem in bad:
            photos.append(LabelledPhoto(path, rel, PROBLEM))
        elif stem not in files:
            photos.append(LabelledPhoto(path, rel, UNLABELLED))
        else:
            voc = files[stem]
            boxes = [(index[name], box) for name, box in voc.objects]
            photos.append(_checked(path, rel, voc.size, boxes, names, str(voc.path), problems))
    for stem in sorted(set(files) - seen):
        problems.append(LabelProblem(str(files[stem].path), f"no photo {stem}.* in {photos_root}", kind=MISSING_PHOTO))
    return LabelSet(VOC, str(annotations), names, photos, problems, notes)


def _voc_names(folders: Iterable[Path], files: Iterable[VocFile]) -> tuple[tuple[str, ...], list[str]]:
    """The class list: a ``classes.txt`` beside the files (this app's VOC export writes one, which keeps class
    order and classes without boxes), else every name used, sorted (VOC's own class order is alphabetical)."""
    used = sorted({name for voc in files for name, _box in voc.objects})
    for folder in folders:
        if (folder / NAMES_FILE).is_file():
            names, _problems = read_names_file(folder / NAMES_FILE)
            extra = [name for name in used if name not in names]
            notes = [f"classes not in {folder / NAMES_FILE} added: {', '.join(extra)}"] if extra else []
            return tuple(names + extra), notes
    return tuple(used), []


# ----- COCO and detections.json -----------------------------------------------------------------------------------


def _read_json_files(src: Path, paths: list[Path]) -> LabelSet:
    problems: list[LabelProblem] = []
    cocos: list[CocoFile] = []
    kinds = set()
    for path in paths:
        try:
            kind = _kind(path)
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(LabelProblem(str(path), f"cannot read: {getattr(exc, 'strerror', None) or exc}"))
            continue
        kinds.add(kind)
        if kind == APP_JSON:
            try:
                cocos.append(_from_app_json(path))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                problems.append(LabelProblem(str(path), f"not a detections.json the app wrote ({exc!r})"))
        else:
            coco, found = read_coco(path)
            problems += found
            if coco is not None:
                cocos.append(coco)
    if not cocos:
        raise LabelsUnavailable("; ".join(str(p) for p in problems) or f"{src}: no labels found")
    names: list[str] = []
    for coco in cocos:
        names += [name for name in coco.names if name not in names]
    photos: list[LabelledPhoto] = []
    listed: set[Path] = set()
    for coco in cocos:
        base = _image_base(src, coco)
        remap = [names.index(name) for name in coco.names]
        for image in coco.images:
            path = Path(os.path.normpath(base / image.file_name))
            rel = _rel(path, src)
            if path in listed:
                problems.append(LabelProblem(str(coco.path), f"image {image.file_name} is listed twice"))
                continue
            listed.add(path)
            if image.problems:
                problems += image.problems
                photos.append(LabelledPhoto(path, rel, PROBLEM))
                continue
            boxes = [(remap[class_id], box) for class_id, box in image.boxes]
            photo = _checked(path, rel, image.size, boxes, tuple(names), str(coco.path), problems)
            if image.crowd and photo.labels is not None:
                regions = tuple(
                    (remap[c], clip_box(box, photo.labels.width, photo.labels.height)) for c, box in image.crowd
                )
                photo = replace(photo, crowd=regions)
            photos.append(photo)
    for rel in _photo_rels(src):
        path = src.joinpath(*PurePosixPath(rel).parts)
        if path not in listed:
            photos.append(LabelledPhoto(path, rel, UNLABELLED))
    crowd = sum(coco.crowd for coco in cocos)
    notes = [f"{crowd} crowd regions (iscrowd) left out: they are not objects to train on"] if crowd else []
    return LabelSet(
        APP_JSON if kinds == {APP_JSON} else COCO,
        ", ".join(str(p) for p in paths),
        tuple(names),
        photos,
        problems,
        notes,
    )


def _kind(path: Path) -> str:
    with open(path, encoding="utf-8-sig") as handle:
        head = handle.read(4096)
    return APP_JSON if '"generator": "yolo-desktop' in head else COCO


def _image_base(src: Path, coco: CocoFile) -> Path:
    """The folder a COCO file's ``file_name``s are relative to: beside it, its ``images/``, or the split's folder
    of a COCO-style root (``annotations/instances_train.json`` → ``train/``)."""
    here = coco.path.parent
    split = coco.path.stem.removeprefix("instances_")
    candidates = [here, here / "images", here.parent / split, here.parent / "images" / split, here.parent, src]
    first = coco.images[0].file_name if coco.images else None
    for folder in candidates:
        if first is not None and (folder / first).exists():
            return folder
    return here


def _from_app_json(path: Path) -> CocoFile:
    """The app's detections.json as labels: every detection kept (the thresholds chose them), scores dropped.
    Photos by their recorded path (relative: to where ``detect`` ran, else beside the file). Raises ``ValueError``,
    ``KeyError`` or ``TypeError`` for a file that is not one."""
    document = json.loads(path.read_text(encoding="utf-8"))
    records = [r for r in document["images"] if not r.get("error")]
    by_id: dict[int, str] = {}
    for record in records:
        for d in record["detections"]:
            by_id.setdefault(int(d["class_id"]), str(d["label"]))
    names = tuple(by_id[i] for i in sorted(by_id))
    index = {name: i for i, name in enumerate(names)}
    images = []
    for number, record in enumerate(records, start=1):
        photo = Path(str(record["path"]))
        photo = Path(os.path.abspath(photo)) if photo.exists() else path.parent / photo.name
        image = CocoImage(number, str(photo), (int(record["width"]), int(record["height"])))
        for d in record["detections"]:
            x1, y1, x2, y2 = (float(v) for v in d["box"])
            image.boxes.append((index[str(d["label"])], (x1, y1, x2, y2)))
        images.append(image)
    return CocoFile(path, names, tuple(images), 0)


# ----- shared -------------------------------------------------------------------------------------------------------


def _checked(
    path: Path,
    rel: str,
    declared: tuple[int, int],
    boxes: list[tuple[int, tuple[float, float, float, float]]],
    names: tuple[str, ...],
    label_file: str,
    problems: list[LabelProblem],
) -> LabelledPhoto:
    """One photo's boxes from a format that states the photo's size: checked against the photo's header."""
    try:
        header = probe_file(path)
    except ImageError as exc:
        missing = exc.reason == "file not found"
        reason = "the photo is missing" if missing else exc.reason
        problems.append(LabelProblem(label_file, f"{path.name}: {reason}", kind=MISSING_PHOTO if missing else ""))
        return LabelledPhoto(path, rel, PROBLEM)
    found: list[LabelProblem] = []
    mismatch = size_problem(declared, header, path.name)
    if mismatch is not None:
        found.append(LabelProblem(label_file, mismatch))
    width, height = header.upright_size
    kept = []
    for class_id, box in boxes:
        problem = box_problem(box, width, height) if mismatch is None else None
        if problem is not None:
            found.append(LabelProblem(label_file, f"{path.name}: {names[class_id]} {problem}"))
        kept.append((class_id, clip_box(box, width, height)))
    if found:
        problems += found
        return LabelledPhoto(path, rel, PROBLEM)
    labels = PhotoLabels.of(width, height, [b for _c, b in kept], [c for c, _b in kept], names)
    return LabelledPhoto(path, rel, LABELLED, labels)


def _photo_rels(root: Path) -> list[str]:
    return [rel for rel in walk_files(root) if is_image_name(rel)]


def _rel(path: Path, root: Path) -> str:
    try:
        return PurePosixPath(*path.relative_to(root).parts).as_posix()
    except ValueError:
        return path.name  # a photo outside the source folder (an absolute path in a detections.json)
