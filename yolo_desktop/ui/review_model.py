"""Review and correct, as plain state (no Qt): a folder's labels (``labels.store.LabelStore``), each photo's edits
with undo and redo, the model's detections as proposals to accept or reject, and review marks. The window's Qt
adapter (``ui/review.py``) turns mouse and keys into these calls and draws what they return; the tests drive them
without a window, as ``session_model.py`` is driven.

Every edit is saved at once through the store (write-behind: on disk within 0.5 s, atomically). Undo keeps whole
snapshots of a photo's boxes (a few dozen floats), so undo and redo are exact, and a rename of a class (files keep
indexes) never invalidates them. Everything here runs on one thread (the window's GUI thread).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..geometry import iou
from ..labels.place import BESIDE, CHOSEN, DATASET, SPLITS
from ..labels.problems import LabelProblem
from ..labels.states import PROBLEM, REVIEWED, UNLABELLED
from ..results import Detections

if TYPE_CHECKING:  # the labels' readers (Pillow, for photo headers) load with the first folder, off the GUI thread
    from ..labels.boxes import PhotoLabels
    from ..labels.store import LabelStore

UNDO_LEVELS = 1000  # per photo; a snapshot is a few hundred bytes
MIN_SIDE_PX = 1.0  # a box narrower than this (photo pixels) is not a box
SAME_BOX_IOU = 0.95  # a proposal this close to a label of its class is that label (accepted in an earlier session)

LAYOUT_TEXT = {
    DATASET: "labels/ next to images/",
    SPLITS: "labels/ beside each split's images/",
    BESIDE: "a .txt beside each photo",
    CHOSEN: "a folder you chose",
}

Box = tuple[float, float, float, float]
ProposalKey = tuple[str, int, int, int, int]  # class, corners in tenths of a pixel: stable for one model run


@dataclass(frozen=True)
class Snapshot:
    boxes: np.ndarray  # (N, 4) float32 x1, y1, x2, y2, pixels of the upright photo
    class_ids: np.ndarray  # (N,) int32 into the store's class list
    dismissed: frozenset[ProposalKey]  # proposals accepted or rejected on this photo
    labelled: bool  # False: the photo has no label file (unlabelled)


def proposal_key(label: str, box: Sequence[float]) -> ProposalKey:
    x1, y1, x2, y2 = (round(float(v) * 10) for v in box)
    return (label, x1, y1, x2, y2)


class PhotoReview:
    """One photo's labels as edited. Each change returns nothing and is saved; ``undo``/``redo`` step through
    whole snapshots."""

    def __init__(self, folder: FolderReview, rel: str, labels: PhotoLabels) -> None:
        self.folder = folder
        self.rel = rel
        self.width, self.height = labels.width, labels.height
        labelled = folder.store.state(rel) != UNLABELLED
        self.now = Snapshot(labels.boxes.boxes, labels.boxes.class_ids, frozenset(), labelled)
        self._undo: list[Snapshot] = []
        self._redo: list[Snapshot] = []
        self._merge: object = None  # the last change's merge key: a run of nudges of one box is one undo step

    # ----- what is there -----------------------------------------------------------------------------------------
    @property
    def store(self) -> LabelStore:
        return self.folder.store

    @property
    def boxes(self) -> Detections:
        """The labels now: boxes in photo pixels, score 1, the store's class names."""
        return Detections(self.now.boxes, np.ones(len(self.now.class_ids)), self.now.class_ids, self.store.names)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def proposals(self, predictions: Detections) -> list[int]:
        """The predictions still proposed: not accepted or rejected here, and not already a label of their class
        (a proposal accepted in an earlier session shows as its label only)."""
        labels = self.boxes
        overlap = iou(predictions.boxes, labels.boxes) if len(labels) else np.zeros((len(predictions), 0))
        names = labels.labels
        return [
            i
            for i, row in enumerate(predictions)
            if proposal_key(row.label, row.box) not in self.now.dismissed
            and not any(overlap[i, j] >= SAME_BOX_IOU and name == row.label for j, name in enumerate(names))
        ]

    # ----- changes -------------------------------------------------------------------------------------------
    def add(self, box: Sequence[float], class_name: str) -> int:
        """A new box of ``class_name`` (added to the classes if new); returns its index."""
        class_id = self.folder.use_class(class_name)
        boxes = np.vstack([self.now.boxes, [self._clipped(box)]])
        self._change(boxes, np.append(self.now.class_ids, class_id))
        return len(boxes) - 1

    def set_box(self, index: int, box: Sequence[float], merge: object = None) -> None:
        """Move or resize box ``index`` (clipped to the photo). Consecutive changes with the same ``merge`` key
        (arrow-key nudges of one box) are one undo step."""
        boxes = self.now.boxes.copy()
        boxes[index] = self._clipped(box)
        if not np.array_equal(boxes, self.now.boxes):
            self._change(boxes, self.now.class_ids, merge=merge)

    def nudge(self, indices: Iterable[int], dx: float, dy: float) -> None:
        """Move boxes by (dx, dy) pixels, kept whole inside the photo; a run of nudges is one undo step."""
        picked = sorted(set(indices))
        if not picked:
            return
        boxes = self.now.boxes.copy()
        for i in picked:
            x1, y1, x2, y2 = boxes[i]
            sx = min(max(dx, -x1), self.width - x2)
            sy = min(max(dy, -y1), self.height - y2)
            boxes[i] = (x1 + sx, y1 + sy, x2 + sx, y2 + sy)
        if not np.array_equal(boxes, self.now.boxes):
            self._change(boxes, self.now.class_ids, merge=("nudge", tuple(picked)))

    def delete(self, indices: Iterable[int]) -> None:
        keep = np.ones(len(self.now.class_ids), bool)
        keep[list(indices)] = False
        if not keep.all():
            self._change(self.now.boxes[keep], self.now.class_ids[keep])

    def set_class(self, indices: Iterable[int], class_name: str) -> None:
        class_ids = self.now.class_ids.copy()
        class_ids[list(indices)] = self.folder.use_class(class_name)
        if not np.array_equal(class_ids, self.now.class_ids):
            self._change(self.now.boxes, class_ids)

    def accept(self, predictions: Detections, indices: Iterable[int]) -> list[int]:
        """Predictions become labels (their class added if new); returns the new labels' indices."""
        rows = [predictions[i] for i in indices]
        if not rows:
            return []
        ids = [self.folder.use_class(row.label) for row in rows]
        boxes = np.vstack([self.now.boxes, [self._clipped(row.box) for row in rows]])
        dismissed = self.now.dismissed | {proposal_key(row.label, row.box) for row in rows}
        self._change(boxes, np.append(self.now.class_ids, ids), dismissed)
        return list(range(len(boxes) - len(rows), len(boxes)))

    def accept_above(self, predictions: Detections, score: float) -> list[int]:
        """Every proposal scoring at least ``score`` becomes a label (one undo step)."""
        return self.accept(predictions, [i for i in self.proposals(predictions) if predictions.scores[i] >= score])

    def reject(self, predictions: Detections, indices: Iterable[int]) -> None:
        keys = {proposal_key(predictions[i].label, predictions[i].box) for i in indices}
        if keys - self.now.dismissed:
            self._change(self.now.boxes, self.now.class_ids, self.now.dismissed | keys, touches_file=False)

    def undo(self) -> bool:
        return self._step(self._undo, self._redo)

    def redo(self) -> bool:
        return self._step(self._redo, self._undo)

    # ----- inside --------------------------------------------------------------------------------------------
    def _clipped(self, box: Sequence[float]) -> Box:
        x1, y1, x2, y2 = (float(v) for v in box)
        x1, x2 = sorted((x1, x2))
        y1, y2 = sorted((y1, y2))
        x1, y1 = min(max(x1, 0.0), self.width - MIN_SIDE_PX), min(max(y1, 0.0), self.height - MIN_SIDE_PX)
        x2, y2 = min(max(x2, x1 + MIN_SIDE_PX), float(self.width)), min(max(y2, y1 + MIN_SIDE_PX), float(self.height))
        return (x1, y1, x2, y2)

    def _change(
        self,
        boxes: np.ndarray,
        class_ids: np.ndarray,
        dismissed: frozenset[ProposalKey] | None = None,
        merge: object = None,
        touches_file: bool = True,
    ) -> None:
        new = Snapshot(
            np.asarray(boxes, np.float32).reshape(-1, 4),
            np.asarray(class_ids, np.int32).reshape(-1),
            self.now.dismissed if dismissed is None else dismissed,
            self.now.labelled or touches_file,
        )
        self._apply(new)  # saved first: a refused save (a read-only folder) changes nothing here
        if merge is None or merge != self._merge or not self._undo:
            self._undo.append(self.now)
            del self._undo[:-UNDO_LEVELS]
        self._redo.clear()
        self._merge = merge
        self.now = new

    def _step(self, source: list[Snapshot], target: list[Snapshot]) -> bool:
        if not source:
            return False
        self._apply(source[-1])
        target.append(self.now)
        self.now = source.pop()
        self._merge = None
        return True

    def _apply(self, snapshot: Snapshot) -> None:
        """Save ``snapshot`` (the store writes it within 0.5 s), unless only dismissed proposals changed."""
        same = np.array_equal(snapshot.boxes, self.now.boxes) and np.array_equal(snapshot.class_ids, self.now.class_ids)
        if same and snapshot.labelled == self.now.labelled:
            return
        before = self.store.state(self.rel)
        if snapshot.labelled:
            from ..labels.boxes import PhotoLabels

            labels = Detections(snapshot.boxes, np.ones(len(snapshot.class_ids)), snapshot.class_ids, self.store.names)
            self.store.save(self.rel, PhotoLabels(self.width, self.height, labels))
        else:
            self.store.unlabel(self.rel)
        if snapshot.labelled:
            self.folder.counts[self.rel] = len(snapshot.class_ids)
        else:
            self.folder.counts.pop(self.rel, None)
        self.folder.recount(self.rel, before)


class FolderReview:
    """One labels store (a folder the user opened) and the photos edited in it this session."""

    def __init__(self, store: LabelStore, counts: dict[str, int] | None = None) -> None:
        """Made where waiting does not matter (off the GUI thread): it keys every photo by its path."""
        self.store = store
        self.counts = counts if counts is not None else {}  # rel → boxes, for the photo list
        self.by_key = {path_key(photo.path): photo.rel for photo in store.photos}
        self.states = store.counts()  # photos per state, kept up to date by ``recount`` (no walk per change)
        self.photos: dict[str, PhotoReview] = {}
        self.recent: list[str] = []  # classes used, the last first (the class chooser's order)

    @property
    def where(self) -> str:
        """Where the labels live, for the window: the folder and the rule that put them there."""
        place = self.store.place
        access = " (read-only)" if self.store.readonly else ""
        return f"{place.labels} — {LAYOUT_TEXT.get(place.layout, place.layout)}{access}"

    def photo(self, rel: str) -> PhotoReview:
        """The photo's labels to edit, read once per session. Raises ``LabelFileError`` for a label file that could
        not be read (it is left as it is: never edited, never saved over)."""
        if rel not in self.photos:
            before = self.store.state(rel)
            try:
                labels = self.store.read(rel)
            finally:
                self.recount(rel, before)  # a file found unreadable: a problem photo
            if labels is None:
                from ..labels.boxes import PhotoLabels

                width, height = self.store.photo_size(rel)
                labels = PhotoLabels.of(width, height, [], [], self.store.names)
            self.photos[rel] = PhotoReview(self, rel, labels)
        return self.photos[rel]

    def use_class(self, name: str) -> int:
        """The class's index (added to the store's classes if new), remembered as the last used."""
        index = self.store.add_class(name)
        name = self.store.names[index]
        self.recent = [name] + [n for n in self.recent if n != name]
        return index

    def class_choices(self, model_names: Sequence[str] = ()) -> list[str]:
        """The class chooser's list: the last used first, then the labels' classes, then the model's."""
        ordered = [*self.recent, *self.store.names, *model_names]
        return list(dict.fromkeys(ordered))

    def counts_by_state(self) -> Counter[str]:
        return self.states

    def recount(self, rel: str, before: str) -> None:
        """The photo was ``before`` a change: count it in its state now."""
        after = self.store.state(rel)
        if after != before:
            self.states[before] -= 1
            self.states[after] += 1


class ReviewModel:
    """Every folder open for review, and which one holds each photo (by path)."""

    def __init__(self) -> None:
        self.folders: list[FolderReview] = []

    def add(self, folder: FolderReview) -> None:
        self.folders.append(folder)

    def covers(self, folder: str | os.PathLike[str]) -> bool:
        key = path_key(folder)
        return any(path_key(f.store.place.photos) == key for f in self.folders)

    def find(self, path: str) -> tuple[FolderReview, str] | None:
        key = path_key(path)
        for folder in self.folders:
            rel = folder.by_key.get(key)
            if rel is not None:
                return folder, rel
        return None

    def photo(self, path: str) -> PhotoReview | None:
        """The photo's labels to edit; None when no open folder holds it. Raises ``LabelFileError`` for a
        problem photo."""
        found = self.find(path)
        return found[0].photo(found[1]) if found is not None else None

    def state(self, path: str) -> str | None:
        found = self.find(path)
        return found[0].store.state(found[1]) if found is not None else None

    def box_count(self, path: str) -> int | None:
        found = self.find(path)
        return found[0].counts.get(found[1], 0) if found is not None else None

    def set_reviewed(self, path: str, reviewed: bool = True) -> None:
        found = self.find(path)
        if found is not None:
            folder, rel = found
            before = folder.store.state(rel)
            folder.store.set_reviewed(rel, reviewed)
            if reviewed and before == UNLABELLED:
                folder.counts[rel] = 0  # reviewed without boxes: "no objects"
            folder.recount(rel, before)

    def totals(self) -> tuple[int, int]:
        """(reviewed, photos) over every open folder: "312 of 1,000 reviewed"."""
        reviewed = total = 0
        for folder in self.folders:
            counts = folder.counts_by_state()
            reviewed += counts[REVIEWED]
            total += sum(counts.values())
        return reviewed, total

    def next_unreviewed(self, paths: Sequence[str], start: int) -> int | None:
        """The first position after ``start`` (wrapping) whose photo is open for review and not reviewed."""
        count = len(paths)
        for step in range(1, count + 1):
            position = (start + step) % count
            state = self.state(paths[position])
            if state is not None and state not in (REVIEWED, PROBLEM):
                return position
        return None

    def flush(self) -> list[LabelProblem]:
        return [problem for folder in self.folders for problem in folder.store.flush()]

    def close(self) -> list[LabelProblem]:
        failures = [problem for folder in self.folders for problem in folder.store.close()]
        self.folders = []
        return failures


def path_key(path: str | os.PathLike[str]) -> str:
    """How photo paths are compared: absolute, case-folded where the file system folds case (no symlink resolved:
    both sides name photos the way the user's folder does)."""
    return os.path.normcase(os.path.abspath(path))
