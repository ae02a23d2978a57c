"""What an evaluation runs on: the labelled photos of a ``LabelSet`` (any format ``labels`` reads: YOLO, VOC,
COCO, the app's own store, a ``detections.json``), each one's labelled objects as a ``Truth``, and — counted before
anything runs — what does not match: photos without labels, labels without a photo, labels that cannot be read.
(Classes that match nothing are a model's business: ``classes.ClassMap``.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..labels.dataset import LabelledPhoto, LabelSet
from ..labels.problems import MISSING_PHOTO, LabelProblem
from ..labels.states import LABELLED, REVIEWED, UNLABELLED
from .matching import Truth


@dataclass(frozen=True)
class EvalPhoto:
    path: Path
    rel: str  # the photo's name in the labels (POSIX, relative to their photo folder)
    state: str  # LABELLED or REVIEWED
    width: int  # the upright photo's, pixels
    height: int
    truth: Truth


@dataclass(frozen=True)
class Inputs:
    where: str  # the labels read, for messages
    format: str  # labels.dataset's YOLO, VOC, COCO or APP_JSON
    names: tuple[str, ...]  # the labels' classes: the evaluation's class list
    photos: tuple[EvalPhoto, ...]
    unlabelled: tuple[str, ...]  # photos without labels (left out)
    not_reviewed: tuple[str, ...]  # labelled photos not marked reviewed, left out when only reviewed ones count
    without_photo: tuple[LabelProblem, ...]  # labels whose photo is missing
    unreadable: tuple[LabelProblem, ...]  # every other problem: those photos' labels cannot be used
    crowd: int  # COCO crowd regions among the photos' labels (detections on them are ignored, as COCO does)

    @property
    def mismatched(self) -> int:
        """Photos and label files that do not pair up, or cannot be read: what a user is asked about first."""
        return len(self.unlabelled) + len(self.without_photo) + len(self.unreadable)

    def lines(self) -> list[str]:
        """What does not match, one line each (empty when everything does)."""
        lines = []
        if self.unlabelled:
            lines.append(f"{len(self.unlabelled)} photo(s) without labels: {_some(self.unlabelled)}")
        if self.without_photo:
            lines.append(f"{len(self.without_photo)} label(s) without a photo: {_some(self.without_photo)}")
        if self.unreadable:
            lines.append(f"{len(self.unreadable)} label problem(s): {_some(self.unreadable)}")
        if self.not_reviewed:
            lines.append(f"{len(self.not_reviewed)} labelled photo(s) not reviewed yet (left out: reviewed only)")
        return lines


def inputs_of(
    labels: LabelSet, reviewed_only: bool = False, wanted: Callable[[LabelledPhoto], bool] | None = None
) -> Inputs:
    """The photos to evaluate: labelled ones (or only reviewed ones), each with its boxes and crowd regions;
    ``wanted`` keeps only some photos (the window: those in its list; the label set's problems all stay). Raises
    ``ValueError`` for ``reviewed_only`` with labels that keep no review state."""
    if reviewed_only and not labels.reviewed_known:
        raise ValueError(f"{labels.where}: {labels.format} labels keep no review state (only the app's own do)")
    photos, unlabelled, not_reviewed = [], [], []
    crowd = 0
    for photo in labels.photos:
        if wanted is not None and not wanted(photo):
            continue
        if photo.state == UNLABELLED:
            unlabelled.append(photo.rel)
        elif photo.state in (LABELLED, REVIEWED) and photo.labels is not None:
            if reviewed_only and photo.state != REVIEWED:
                not_reviewed.append(photo.rel)
                continue
            boxes = photo.labels.boxes
            regions = [box for _c, box in photo.crowd]
            crowd += len(regions)
            truth = Truth.of(
                [*boxes.boxes.tolist(), *regions],
                [*boxes.class_ids.tolist(), *(c for c, _box in photo.crowd)],
                [False] * len(boxes) + [True] * len(regions),
            )
            photos.append(EvalPhoto(photo.path, photo.rel, photo.state, photo.labels.width, photo.labels.height, truth))
    problems = labels.problems
    return Inputs(
        labels.where,
        labels.format,
        labels.names,
        tuple(photos),
        tuple(unlabelled),
        tuple(not_reviewed),
        tuple(p for p in problems if p.kind == MISSING_PHOTO),
        tuple(p for p in problems if p.kind != MISSING_PHOTO),
        crowd,
    )


def _some(items: tuple[object, ...], shown: int = 3) -> str:
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(str(item) for item in items[:shown]) + more
