"""A model's classes matched to the labels' classes by name.

Names are compared without case, spaces, ``_`` or ``-`` (``potted plant`` = ``pottedplant`` = ``Potted_Plant``),
and COCO's classes under Darknet's spellings are COCO's (``motorbike`` = ``motorcycle``, ``aeroplane`` =
``airplane``, ``sofa`` = ``couch``, ``tvmonitor`` = ``tv``): the Darknet models' ``coco.names`` and COCO's own
instances files name the same 80 classes. A model class the labels lack is reported (its detections are counted
there, not silently dropped); a label class the model lacks is shown as one the model cannot predict, left out of
its mAP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..results import Detections
from .matching import Found

# Darknet's coco.names → COCO's category names, where they differ beyond case and spacing.
COCO_SPELLINGS = {"motorbike": "motorcycle", "aeroplane": "airplane", "sofa": "couch", "tvmonitor": "tv"}


def name_key(name: str) -> str:
    key = "".join(ch for ch in name.casefold() if ch not in " _-")
    return COCO_SPELLINGS.get(key, key)


@dataclass(frozen=True)
class ClassMap:
    labels: tuple[str, ...]  # the labels' classes: the evaluation's class list
    model: tuple[str, ...]  # the model's classes
    to_labels: np.ndarray  # (M,) int64: model class → labels' class, -1 when the labels have no such class

    @classmethod
    def of(cls, labels: Sequence[str], model: Sequence[str]) -> ClassMap:
        index: dict[str, int] = {}
        for i, name in enumerate(labels):
            index.setdefault(name_key(name), i)
        to_labels = np.array([index.get(name_key(name), -1) for name in model], np.int64)
        return cls(tuple(labels), tuple(model), to_labels)

    @property
    def predictable(self) -> np.ndarray:
        """(C,) bool: the labels' classes the model can predict."""
        found = np.zeros(len(self.labels), bool)
        found[self.to_labels[self.to_labels >= 0]] = True
        return found

    @property
    def model_only(self) -> tuple[str, ...]:
        """The model's classes the labels do not have."""
        return tuple(name for name, c in zip(self.model, self.to_labels.tolist()) if c < 0)

    @property
    def labels_only(self) -> tuple[str, ...]:
        """The labels' classes the model cannot predict."""
        return tuple(name for name, known in zip(self.labels, self.predictable.tolist()) if not known)

    @property
    def renamed(self) -> tuple[tuple[str, str], ...]:
        """(model's name, labels' name) of the classes matched under another spelling."""
        return tuple(
            (name, self.labels[c])
            for name, c in zip(self.model, self.to_labels.tolist())
            if c >= 0 and name != self.labels[c]
        )

    def found(self, detections: Detections) -> tuple[Found, Detections]:
        """The detections of classes the labels have, in the labels' classes (what is scored), and those of the
        model's other classes (what is reported apart)."""
        mapped = self.to_labels[detections.class_ids] if len(detections) else np.zeros(0, np.int64)
        known = mapped >= 0
        found = Found.of(detections.boxes[known], detections.scores[known], mapped[known])
        return found, detections.take(~known)


def class_lines(label: str, classes: ClassMap) -> list[str]:
    """What a model's classes and the labels' do not share, for the report before a run (empty: they match)."""
    lines = []
    if not classes.predictable.any():
        lines.append(f"{label}: none of its {len(classes.model)} classes matches a class of the labels")
        return lines
    if classes.labels_only:
        lines.append(f"{label}: cannot predict the labels' {_names(classes.labels_only)} (shown as such, not scored)")
    if classes.model_only:
        lines.append(
            f"{label}: {len(classes.model_only)} of its classes are not in the labels (their detections are "
            f"counted apart): {_names(classes.model_only)}"
        )
    return lines


def _names(names: Sequence[str], shown: int = 8) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more
