"""Agreement between two sets of detections (e.g. the int8 model against the float32 one)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..geometry import iou
from ..results import Detections


def matched_pairs(found: Detections, reference: Detections, threshold: float = 0.5) -> int:
    """Greedy one-to-one matching, best score first: same class and IoU ≥ threshold (of equal overlaps, the
    reference detection listed last)."""
    # (F, R) in float64: the float32 boxes' overlaps as Python floats would give them
    overlap = iou(found.boxes.astype(np.float64), reference.boxes.astype(np.float64))
    overlap[found.class_ids[:, None] != reference.class_ids[None, :]] = -1.0
    used = np.zeros(len(reference), bool)
    for i in np.argsort(-found.scores, kind="stable"):
        row = np.where(used, -1.0, overlap[i])[::-1]
        if row.size and row.max() >= threshold:
            used[len(row) - 1 - int(np.argmax(row))] = True
    return int(used.sum())


@dataclass(frozen=True)
class Agreement:
    matched: int
    found: int  # detections in the set being judged
    reference: int  # detections in the reference set

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.reference if self.reference else 1.0

    @property
    def f1(self) -> float:
        total = self.found + self.reference
        return 2 * self.matched / total if total else 1.0


def agreement(pairs: Iterable[tuple[Detections, Detections]], threshold: float = 0.5) -> Agreement:
    """Pooled over images: F1 = 2·matched / (found + reference)."""
    matched = found = reference = 0
    for mine, theirs in pairs:
        matched += matched_pairs(mine, theirs, threshold)
        found += len(mine)
        reference += len(theirs)
    return Agreement(matched, found, reference)
