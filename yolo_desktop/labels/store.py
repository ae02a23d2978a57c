"""A folder's labels as the window edits them: read a photo's boxes, save each change (write-behind, atomic), mark
photos reviewed, add and rename classes; one window at a time (``lock.py``).

Labels are YOLO ``.txt`` files at the folder's ``Place`` (``place.py``), so Ultralytics, Darknet and labelImg read
them as they are; the class list is ``classes.txt`` and the review state ``.yolo-desktop-labels.json``, both in the
labels folder. Each photo is *unlabelled* (no file), *labelled* (a file; empty = no objects), *reviewed* (a person
marked it so) or a *problem* (its file could not be read: left exactly as it is, never saved over).

Every method is meant for one thread (the window's GUI thread); the writer thread only writes.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from ..atomic import remove_leftovers
from .boxes import PhotoLabels, box_problem
from .folder import LOCK_FILE, NAMES_FILE, STATE_FILE, LabelFolder, Photo, state_text
from .lock import FolderLock
from .names import names_text
from .place import Place, PlaceMemory
from .problems import LabelFileError, LabelProblem, LabelsUnavailable
from .states import LABELLED, PROBLEM, REVIEWED, UNLABELLED
from .write_behind import FLUSH_INTERVAL, WriteBehind
from .yolo import yolo_text


class LabelStore:
    def __init__(
        self,
        place: Place,
        *,
        readonly: bool = False,
        flush_interval: float = FLUSH_INTERVAL,
        on_error: Callable[[LabelProblem], None] | None = None,
        on_saved: Callable[[int], None] | None = None,
    ) -> None:
        """Open the labels of ``place`` (``open_labels`` finds it for a photo folder). Writable unless ``readonly``:
        then the folder is locked for this process, or ``LabelsUnavailable`` says who holds it or why it cannot be
        written. ``on_error``/``on_saved``: see ``WriteBehind`` (called on its thread)."""
        if not place.photos.is_dir():
            raise LabelsUnavailable(f"{place.photos}: not a folder of photos (missing, or cannot be listed)")
        self.place = place
        self.readonly = readonly
        self._lock: FolderLock | None = None
        self._writer: WriteBehind | None = None
        if not readonly:
            if not place.writable():
                raise LabelsUnavailable(f"{place.labels}: labels cannot be written here; choose another labels folder")
            self._lock = FolderLock(place.labels / LOCK_FILE)
            self._lock.acquire()
            remove_leftovers(place.labels)  # temp files of writes a killed window never finished; none is ours
        try:
            self._folder = LabelFolder(place)
            self._by_rel = {photo.rel: photo for photo in self._folder.photos}
            self._unreadable: dict[str, list[LabelProblem]] = {}  # rel → why its label file was left alone
            self._checked: set[str] = set()  # rels whose file was read without problems (or written) this session
            self._removed: set[str] = set()  # rels made unlabelled again this session (their file removed)
            if not readonly and self._folder.names_unreadable is not None:
                raise LabelsUnavailable(f"{self._folder.names_unreadable}: fix or remove it to edit these labels")
            try:
                self._reviewed = self._folder.read_reviewed()
            except LabelFileError as exc:
                if not readonly:  # saving review marks would overwrite a state file that held more
                    raise LabelsUnavailable(f"{exc}: fix or remove it to edit these labels") from None
                self._folder.problems += exc.problems
                self._reviewed = set()
            if not readonly:
                self._writer = WriteBehind(flush_interval, on_error, on_saved)
        except BaseException:
            if self._lock is not None:
                self._lock.release()
            raise

    # ----- what is there -----------------------------------------------------------------------------------------

    @property
    def photos(self) -> list[Photo]:
        return self._folder.photos

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._folder.names)

    @property
    def problems(self) -> list[LabelProblem]:
        """Every problem met so far: the folder's (class list, shared or orphan files) and each photo's read."""
        return self._folder.problems + [p for found in self._unreadable.values() for p in found]

    def state(self, rel: str) -> str:
        if rel in self._unreadable or rel in self._folder.shared:
            return PROBLEM
        if rel in self._reviewed and rel in self._folder.labelled:
            return REVIEWED
        return LABELLED if rel in self._folder.labelled else UNLABELLED

    def counts(self) -> Counter[str]:
        """Photos per state ("312 of 1,000 reviewed")."""
        return Counter(self.state(photo.rel) for photo in self.photos)

    def label_path(self, rel: str) -> Path:
        return self._folder.label_path(rel)

    # ----- one photo -------------------------------------------------------------------------------------------

    def read(self, rel: str) -> PhotoLabels | None:
        """The photo's labels as saved (or about to be); None when unlabelled. A file that cannot be read raises
        ``LabelFileError`` and the photo becomes a *problem*: left as it is, and ``save`` refuses it."""
        photo = self._photo(rel)
        if rel in self._removed:
            return None
        try:
            labels = self._folder.read(photo, self._pending(rel))  # what is about to be written wins
        except LabelFileError as exc:
            self._unreadable[rel] = exc.problems
            raise
        self._unreadable.pop(rel, None)
        self._checked.add(rel)
        return labels

    def photo_size(self, rel: str) -> tuple[int, int]:
        """The photo's upright (width, height), from its header; ``LabelFileError`` when it is gone or unreadable."""
        return self._folder.photo_size(self._photo(rel))

    def save(self, rel: str, labels: PhotoLabels) -> None:
        """Save the photo's labels (written within ``flush_interval``). Refused — ``LabelFileError`` — for a photo
        whose file could not be read, so a file is never replaced by less than it held; ``ValueError`` for a box
        that could not be read back (outside the photo, no area) or a class this store does not have."""
        photo = self._may_write(rel)
        names = labels.boxes.names
        if tuple(names) != self.names[: len(names)]:
            raise ValueError(f"labels of {photo.rel} name classes {list(names)}, the store has {list(self.names)}")
        for row in labels.boxes:
            reason = box_problem(row.box, labels.width, labels.height)
            if reason is not None:
                raise ValueError(f"{photo.rel}: {reason}")
        self._put_label(rel, yolo_text(labels))

    def unlabel(self, rel: str) -> None:
        """Make the photo *unlabelled* again: its label file is removed (with the write-behind) and its review mark
        dropped — undoing the first box drawn on a photo must not leave a "no objects" file behind. Refused like
        ``save``."""
        self._may_write(rel)
        assert self._writer is not None
        self._writer.put(self.label_path(rel), None)
        self._folder.labelled.discard(rel)
        self._removed.add(rel)
        if rel in self._reviewed:
            self.set_reviewed(rel, False)

    def box_counts(self) -> dict[str, int]:
        """Boxes per labelled photo, counted as lines of its label file (not checked: a bad file's photo is a
        problem when read). Reads every label file: call it where waiting does not matter (off the GUI thread)."""
        counts = {}
        for rel in self._folder.labelled:
            text = self._pending(rel)
            if text is None:
                try:
                    text = self.label_path(rel).read_text(encoding="utf-8-sig")
                except (OSError, UnicodeDecodeError):
                    continue
            counts[rel] = sum(1 for line in text.splitlines() if line.strip())
        return counts

    def set_reviewed(self, rel: str, reviewed: bool = True) -> None:
        """Mark the photo reviewed (or not). Reviewing a photo without labels says it has no objects: its label
        file is written empty."""
        self._writable()
        self._photo(rel)
        if reviewed and self.state(rel) == PROBLEM:
            raise LabelFileError(self._problems_of(rel))
        if reviewed and rel not in self._folder.labelled:
            self._put_label(rel, "")
        (self._reviewed.add if reviewed else self._reviewed.discard)(rel)
        assert self._writer is not None
        self._writer.put(self.place.labels / STATE_FILE, state_text(self._reviewed), last=True)

    # ----- classes ---------------------------------------------------------------------------------------------

    def add_class(self, name: str) -> int:
        """Add a class (or find it); returns its index. Written to ``classes.txt``."""
        self._writable()
        name = _checked_name(name)
        self._number_classes()
        if name in self._folder.names:
            return self._folder.names.index(name)
        self._folder.names.append(name)
        self._save_names()
        return len(self._folder.names) - 1

    def rename_class(self, index: int, name: str) -> None:
        """Rename a class; its boxes keep it (files store the index)."""
        self._writable()
        name = _checked_name(name)
        self._number_classes()
        if name in self._folder.names and self._folder.names.index(name) != index:
            raise ValueError(f"there is already a class {name!r}")
        self._folder.names[index] = name
        self._save_names()

    def _number_classes(self) -> None:
        """Files without a class list name classes by number as they are read; before a first list is written,
        every number in use is named, so no file's class ends up beyond the list."""
        if not self._folder.named:
            self._folder.name_every_class_by_number()
            self._folder.named = True

    def _save_names(self) -> None:
        assert self._writer is not None
        self._writer.put(self.place.labels / NAMES_FILE, names_text(self._folder.names))

    # ----- saving --------------------------------------------------------------------------------------------

    def flush(self) -> list[LabelProblem]:
        """Write every change now (a folder switch, a quit); returns the files that could not be written."""
        return self._writer.flush() if self._writer is not None else []

    def close(self) -> list[LabelProblem]:
        failures = self._writer.close() if self._writer is not None else []
        self._writer = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        return failures

    def __enter__(self) -> LabelStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _may_write(self, rel: str) -> Photo:
        """The photo, if its label file may be written: never over a file that could not be read."""
        self._writable()
        photo = self._photo(rel)
        if rel not in self._checked and rel in self._folder.labelled:
            self.read(rel)  # raises for a file that cannot be read: it is not saved over
        if rel in self._folder.shared:
            raise LabelFileError(self._problems_of(rel))
        return photo

    def _put_label(self, rel: str, text: str) -> None:
        assert self._writer is not None
        self._writer.put(self.label_path(rel), text)
        self._folder.labelled.add(rel)
        self._checked.add(rel)
        self._removed.discard(rel)

    def _problems_of(self, rel: str) -> list[LabelProblem]:
        path = str(self.label_path(rel))
        return self._unreadable.get(rel) or [p for p in self._folder.problems if p.path == path]

    def _pending(self, rel: str) -> str | None:
        return self._writer.pending(self.label_path(rel)) if self._writer is not None else None

    def _photo(self, rel: str) -> Photo:
        try:
            return self._by_rel[rel]
        except KeyError:
            raise KeyError(f"{rel}: not a photo of {self.place.photos}") from None

    def _writable(self) -> None:
        if self._writer is None:
            raise LabelsUnavailable(f"{self.place.labels}: opened read-only" if self.readonly else "store closed")


def open_labels(
    folder: str | os.PathLike[str],
    memory: PlaceMemory | None = None,
    **options: object,
) -> LabelStore:
    """The labels of a photo folder at its remembered or default place (``LabelStore`` for the options)."""
    return LabelStore((memory or PlaceMemory()).place(folder), **options)  # type: ignore[arg-type]


def _checked_name(name: str) -> str:
    name = name.strip()
    if not name or "\n" in name or "\r" in name:
        raise ValueError("a class name must be one line of text")
    return name
