"""A folder of photos and its YOLO label files at a ``Place``: which photos there are, which have a label file, the
class list, the review state, and one photo's labels read and checked.

Opening lists files only (two ``os.scandir`` walks, or one when labels sit beside the photos): no photo is opened,
so 10,000 photos open in a blink. A photo's header (its upright size, which YOLO's normalised boxes need) is read
when its labels are.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..filetypes import is_image_name
from ..imaging.header import ImageError, probe_file
from ..pipeline.inputs import natural_key
from .boxes import PhotoLabels
from .names import read_data_yaml, read_names_file
from .place import BESIDE, Place
from .problems import MISSING_PHOTO, LabelFileError, LabelProblem
from .yolo import parse_yolo

NAMES_FILE = "classes.txt"  # in the labels folder: labelImg's and Darknet's class list
STATE_FILE = ".yolo-desktop-labels.json"  # in the labels folder: which photos were reviewed
LOCK_FILE = ".yolo-desktop-labels.lock"  # in the labels folder: held by the window that edits it
STATE_FORMAT = "yolo-desktop labels 1"


@dataclass(frozen=True)
class Photo:
    rel: str  # POSIX path relative to the place's photos root: the photo's name in the store and in exports
    path: Path


class LabelFolder:
    def __init__(self, place: Place) -> None:
        self.place = place
        self.problems: list[LabelProblem] = []  # about the folder: class list, shared or orphan label files
        self.names_unreadable: LabelProblem | None = None
        photos, label_files = _scan(place)
        self.photos = [Photo(rel, place.photos.joinpath(*PurePosixPath(rel).parts)) for rel in photos]
        self.labelled: set[str] = set()  # rels whose label file exists
        by_label: dict[str, list[str]] = {}
        for rel in photos:
            by_label.setdefault(place.label_rel(rel), []).append(rel)
        self.shared: set[str] = set()  # photos that map to one label file (a.jpg and a.png): left alone
        for label, rels in by_label.items():
            if len(rels) > 1:
                self.shared.update(rels)
                self.problems.append(
                    LabelProblem(
                        str(place.labels / label),
                        f"is the label file of {len(rels)} photos ({', '.join(rels)}): rename all but one photo",
                    )
                )
            if label in label_files:
                self.labelled.update(rels)
        if place.layout != BESIDE:  # beside photos, other .txt files are the user's notes, not labels
            for label in sorted(label_files - set(by_label), key=natural_key):
                self.problems.append(
                    LabelProblem(str(place.labels / label), "no photo for this label file", kind=MISSING_PHOTO)
                )
        self.names, self.named = self._names()

    def _names(self) -> tuple[list[str], bool]:
        """The class list: ``classes.txt`` in the labels folder, else the dataset's ``data.yaml``, else none (then
        classes are named by their number as files use them)."""
        own = self.place.labels / NAMES_FILE
        if own.is_file():
            names, problems = read_names_file(own)
            # A class list that could not be read at all must not be saved over by a store adding a class.
            self.names_unreadable = next((p for p in problems if p.line is None), None)
        elif (self.place.dataset_root / "data.yaml").is_file():
            _scalars, names, problems = read_data_yaml(self.place.dataset_root / "data.yaml")
        else:
            return [], False
        self.problems += problems
        return names, True

    def label_path(self, rel: str) -> Path:
        return self.place.label_path(rel)

    def read(self, photo: Photo, text: str | None = None) -> PhotoLabels | None:
        """The photo's labels (from ``text`` when given: a file about to be written); None when it has no label
        file (not labelled). Raises ``LabelFileError`` when the file or the photo cannot be used — the file is then
        left as it is."""
        if photo.rel in self.shared:
            raise LabelFileError([p for p in self.problems if p.path == str(self.label_path(photo.rel))])
        width, height = self.photo_size(photo)
        path = self.label_path(photo.rel)
        try:
            if text is None:
                text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise LabelFileError([LabelProblem(str(path), f"cannot read: {why}")]) from None
        if not self.named:
            self._name_by_number(text)
        labels, problems = parse_yolo(text, str(path), width, height, self.names)
        if problems:
            raise LabelFileError(problems)
        return labels

    def photo_size(self, photo: Photo) -> tuple[int, int]:
        """The photo's upright size from its header (no pixel decoded); ``LabelFileError`` when it cannot be read."""
        try:
            return probe_file(photo.path).upright_size
        except ImageError as exc:
            gone = exc.reason == "file not found"
            reason = "the photo is gone (moved or deleted)" if gone else exc.reason
            raise LabelFileError([LabelProblem(str(photo.path), reason, kind=MISSING_PHOTO if gone else "")]) from None

    def name_every_class_by_number(self) -> None:
        """Every class number the label files use gets its name (files without a class list)."""
        for photo in self.photos:
            if photo.rel in self.labelled:
                try:
                    self._name_by_number(self.label_path(photo.rel).read_text(encoding="utf-8-sig"))
                except (OSError, UnicodeDecodeError):
                    pass  # reported when that photo is read

    def _name_by_number(self, text: str) -> None:
        ids = [int(f[0]) for f in (line.split() for line in text.splitlines()) if f and f[0].isdigit()]
        self.names += [str(i) for i in range(len(self.names), max(ids, default=-1) + 1)]

    def read_reviewed(self) -> set[str]:
        """The photos marked reviewed. Raises ``LabelFileError`` when the state file is damaged (left as it is)."""
        path = self.place.labels / STATE_FILE
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return set()
        except (OSError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            why = getattr(exc, "msg", None) or getattr(exc, "strerror", None) or str(exc)
            raise LabelFileError([LabelProblem(str(path), f"review state unreadable: {why}", line)]) from None
        if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
            raise LabelFileError([LabelProblem(str(path), f"not a review state file ({STATE_FORMAT!r})")])
        return {str(rel) for rel in document.get("reviewed", ())}


def state_text(reviewed: set[str]) -> str:
    return json.dumps({"format": STATE_FORMAT, "reviewed": sorted(reviewed, key=natural_key)}, indent=0) + "\n"


def _scan(place: Place) -> tuple[list[str], set[str]]:
    """(photo rels in natural order, label file rels). Hidden files and folders are skipped."""
    photos: list[str] = []
    labels: set[str] = set()
    together = place.labels == place.photos
    for rel in walk_files(place.photos):
        if is_image_name(rel):
            if place.holds(rel):
                photos.append(rel)
        elif together and rel.endswith(".txt") and rel != NAMES_FILE and place.holds(rel, "labels"):
            labels.add(rel)
    if not together:
        labels.update(rel for rel in walk_files(place.labels) if rel.endswith(".txt") and rel != NAMES_FILE)
    return photos, labels


def walk_files(root: Path, prefix: str = "") -> list[str]:
    """Every file under ``root`` as a POSIX path relative to it, natural order; hidden files and folders skipped."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: natural_key(e.name))
    except OSError:
        return []  # a labels folder not made yet; a photos folder that cannot be listed lists nothing
    found: list[str] = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            found += walk_files(Path(entry.path), f"{prefix}{entry.name}/")
        else:
            found.append(prefix + entry.name)
    return found
