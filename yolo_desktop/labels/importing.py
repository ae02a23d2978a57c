"""Labels from elsewhere into a folder's store: a ``LabelSet`` read from Pascal VOC, COCO, the app's
``detections.json`` (or YOLO files kept somewhere else), and a model's proposals (``detect --save-labels``).

Nothing the store already holds is replaced: a photo that has labels (or whose label file could not be read) keeps
them, and the report names it. Classes are matched by name; names the store does not have are added, in the
source's order (so a COCO source keeps COCO's order, which the COCO export turns back into official ids).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..results import Detections
from .boxes import PhotoLabels
from .dataset import LabelSet
from .problems import LabelFileError, LabelProblem
from .store import UNLABELLED, LabelStore


@dataclass
class ImportReport:
    imported: int = 0  # photos whose labels were saved into the store
    boxes: int = 0
    saved: dict[str, int] = field(default_factory=dict)  # rel → boxes, of the photos saved
    kept: list[str] = field(default_factory=list)  # photos that already had labels: left as they were
    outside: list[str] = field(default_factory=list)  # labelled photos of the source that are not the store's
    problems: list[LabelProblem] = field(default_factory=list)  # the source's (those photos left out) and refusals


def import_label_set(store: LabelStore, source: LabelSet) -> ImportReport:
    """Save every labelled photo of ``source`` that is a photo of ``store`` and has no labels there yet."""
    report = ImportReport(problems=list(source.problems))
    rels = store_rels(store)
    for name in source.names:
        store.add_class(name)
    for photo in source.photos:
        if photo.labels is None:
            continue  # unlabelled, or a problem (reported by the source)
        rel = rels.get(_key(photo.path))
        if rel is None:
            report.outside.append(str(photo.path))
            continue
        boxes = photo.labels.boxes
        if _save_new(store, rel, photo.labels.width, photo.labels.height, boxes.boxes, boxes.labels, report):
            report.imported += 1
            report.boxes += len(boxes)
    return report


def save_proposals(
    store: LabelStore, rel: str, width: int, height: int, detections: Detections, report: ImportReport
) -> bool:
    """A model's detections as the labels of an unlabelled photo (pre-labelling); False when it kept its own."""
    return _save_new(store, rel, width, height, detections.boxes, detections.labels, report)


def store_rels(store: LabelStore) -> dict[str, str]:
    """A photo's real path (as ``_key`` spells it) → its name in the store."""
    return {_key(photo.path): photo.rel for photo in store.photos}


def _save_new(
    store: LabelStore,
    rel: str,
    width: int,
    height: int,
    boxes: np.ndarray,
    labels: Sequence[str],
    report: ImportReport,
) -> bool:
    if store.state(rel) != UNLABELLED:
        report.kept.append(rel)
        return False
    report.saved[rel] = len(labels)
    class_ids = np.array([store.add_class(name) for name in labels], np.int32)
    try:
        store.save(rel, PhotoLabels(width, height, Detections(boxes, np.ones(len(class_ids)), class_ids, store.names)))
    except LabelFileError as exc:
        report.problems += exc.problems
    except ValueError as exc:  # a box the store could not read back (outside the photo, no area)
        report.problems.append(LabelProblem(str(store.label_path(rel)), str(exc)))
    else:
        return True
    del report.saved[rel]
    return False


def _key(path: str | os.PathLike[str] | Path) -> str:
    return os.path.normcase(os.path.realpath(path))


class ProposalLabels:
    """``detect --save-labels``: each photo's detections saved as its labels in the store of the folder it was
    given in (a file given alone: its own folder), for the window to open and review. Photos that have labels keep
    them; photos where nothing was found stay unlabelled (the model not finding anything is not a person saying
    "no objects"). Every store is opened (and locked) before the batch starts, so a refusal comes first."""

    def __init__(self, inputs: Sequence[str | os.PathLike[str]]) -> None:
        from .store import open_labels

        self.stores: list[tuple[LabelStore, dict[str, str]]] = []
        self.report = ImportReport()
        self.nothing_found = 0
        folders: dict[str, Path] = {}
        for given in inputs:
            folder = Path(given) if os.path.isdir(given) else Path(given).parent
            folders.setdefault(_key(folder), folder)
        try:
            for folder in folders.values():
                store = open_labels(folder)
                self.stores.append((store, store_rels(store)))
        except BaseException:
            self.close()
            raise

    def add(self, path: str, width: int, height: int, detections: Detections) -> None:
        key = _key(path)
        for store, rels in self.stores:
            rel = rels.get(key)
            if rel is None:
                continue
            if not detections:
                self.nothing_found += 1
            elif save_proposals(store, rel, width, height, detections, self.report):
                self.report.imported += 1
                self.report.boxes += len(detections)
            return

    @property
    def where(self) -> list[Path]:
        return [store.place.labels for store, _rels in self.stores]

    def close(self) -> list[LabelProblem]:
        """Write everything and release the folders; returns the files that could not be written."""
        failures = [problem for store, _rels in self.stores for problem in store.close()]
        self.stores = []
        return failures
