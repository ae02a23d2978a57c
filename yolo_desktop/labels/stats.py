"""What a ``LabelSet`` holds, counted: photos per state, boxes per class, background photos, problems."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .dataset import LabelSet
from .states import STATES


@dataclass(frozen=True)
class LabelStats:
    photos: int
    states: dict[str, int]  # every state of store.STATES, in that order
    boxes: dict[str, int]  # class → boxes, in class order (classes without boxes: 0)
    background: int  # labelled photos with no objects


def label_stats(labels: LabelSet) -> LabelStats:
    states = Counter(photo.state for photo in labels.photos)
    boxes = Counter(label for photo in labels.photos if photo.labels for label in photo.labels.boxes.labels)
    background = sum(1 for photo in labels.photos if photo.labels is not None and not photo.labels.boxes)
    return LabelStats(
        len(labels.photos),
        {state: states[state] for state in STATES},
        {name: boxes[name] for name in labels.names},
        background,
    )
