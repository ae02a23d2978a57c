"""Where a folder's labels live: chosen once per photo folder, remembered.

By default, the standard place of a YOLO dataset beside the photos — ``labels/`` next to ``images/`` (a dataset
root; or a folder under ``images/`` whose dataset already has ``labels/``: Ultralytics' rule replaces the last
``images`` of the path by ``labels``; or a root of splits, ``train/images/`` beside ``train/labels/``, as Roboflow
exports), else a ``.txt`` beside each photo, like labelImg. (A folder merely named
``images`` somewhere in the path does not make a dataset: no ``labels/`` is created beside it.)

When that place cannot be written (a read-only share, a card), the user picks a folder; that choice is the only
one to remember, in a small per-user index (``label-places.json`` in the app's data folder: photo folder → labels
folder), because nothing can be written beside the photos. The labels folder itself holds the rest:
``classes.txt``, the review state and the lock.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..atomic import write_text

DATASET, SPLITS, BESIDE, CHOSEN = "dataset", "splits", "beside", "chosen"


@dataclass(frozen=True)
class Place:
    photos: Path  # the photos' root: photo paths are relative to it
    labels: Path  # the labels' root: a photo's label file is its relative path with ``.txt``
    # DATASET (labels/ next to images/), SPLITS (train/images/ and train/labels/ …, as Roboflow exports),
    # BESIDE (.txt beside each photo) or CHOSEN (picked by the user)
    layout: str

    def __post_init__(self) -> None:
        for name in ("photos", "labels"):
            object.__setattr__(self, name, Path(os.path.abspath(getattr(self, name))))

    @property
    def dataset_root(self) -> Path:
        """Where a data.yaml of this dataset would be: the folder holding ``images/`` and ``labels/``."""
        if self.layout != DATASET:
            return self.photos
        parts = self.photos.parts
        return Path(*parts[: len(parts) - 1 - parts[::-1].index("images")])

    def holds(self, rel: str, kind: str = "images") -> bool:
        """Whether a photo (or, with ``kind`` "labels", a label file) found under the root is one of this place's:
        in SPLITS, only those under an ``images/`` (``labels/``) folder are."""
        return self.layout != SPLITS or kind in PurePosixPath(rel).parts[:-1]

    def label_rel(self, rel: str) -> str:
        """The photo's label file relative to the labels' root, POSIX style."""
        parts = PurePosixPath(rel).with_suffix(".txt").parts
        if self.layout == SPLITS:  # Ultralytics' rule: the last images/ of the path becomes labels/
            last = len(parts) - 2 - parts[-2::-1].index("images")
            parts = (*parts[:last], "labels", *parts[last + 1 :])
        return "/".join(parts)

    def label_path(self, rel: str) -> Path:
        return self.labels.joinpath(*PurePosixPath(self.label_rel(rel)).parts)

    def writable(self) -> bool:
        """Whether labels can be written here: the labels folder, or the nearest folder that exists above it."""
        folder = self.labels
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def default_place(folder: str | os.PathLike[str]) -> Place:
    root = Path(os.path.abspath(folder))
    if (root / "images").is_dir():
        return Place(root / "images", root / "labels", DATASET)
    if any((split / "images").is_dir() and (split / "labels").is_dir() for split in _subfolders(root)):
        return Place(root, root, SPLITS)
    parts = root.parts
    if "images" in parts:
        last = len(parts) - 1 - parts[::-1].index("images")
        if Path(*parts[:last], "labels").is_dir():
            return Place(root, Path(*parts[:last], "labels", *parts[last + 1 :]), DATASET)
    return Place(root, root, BESIDE)


class PlaceMemory:
    """The per-user index of labels folders the user picked (photo folder → labels folder)."""

    def __init__(self, index: Path | None = None) -> None:
        if index is None:
            from platformdirs import user_data_dir

            index = Path(user_data_dir("yolo-desktop", appauthor=False)) / "label-places.json"
        self.index = index

    def _read(self) -> dict[str, str]:
        try:
            entries = json.loads(self.index.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # no index yet, or a damaged one: every folder falls back to its default place
        return entries if isinstance(entries, dict) else {}

    def place(self, folder: str | os.PathLike[str]) -> Place:
        """The remembered choice for ``folder``, else its default place."""
        photos = Path(os.path.abspath(folder))
        chosen = self._read().get(_key(photos))
        return Place(photos, Path(chosen), CHOSEN) if chosen else default_place(photos)

    def remember(self, folder: str | os.PathLike[str], labels: str | os.PathLike[str]) -> Place:
        entries = self._read()
        photos = Path(os.path.abspath(folder))
        entries[_key(photos)] = os.path.abspath(labels)
        write_text(self.index, json.dumps(entries, indent=1, ensure_ascii=False) + "\n")
        return Place(photos, Path(os.path.abspath(labels)), CHOSEN)

    def forget(self, folder: str | os.PathLike[str]) -> None:
        entries = self._read()
        if entries.pop(_key(Path(os.path.abspath(folder))), None) is not None:
            write_text(self.index, json.dumps(entries, indent=1, ensure_ascii=False) + "\n")


def _subfolders(root: Path) -> list[Path]:
    try:
        return [entry for entry in root.iterdir() if entry.is_dir() and not entry.name.startswith(".")]
    except OSError:
        return []


def _key(folder: Path) -> str:
    return os.path.normcase(os.path.realpath(folder))
