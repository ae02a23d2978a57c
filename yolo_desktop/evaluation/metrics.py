"""Agreement between two sets of detections (e.g. the int8 model against the float32 one)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..results import Detection


def iou(a: Detection, b: Detection) -> float:
    ix = max(0.0, min(a.x2, b.x2) - max(a.x1, b.x1))
    iy = max(0.0, min(a.y2, b.y2) - max(a.y1, b.y1))
    inter = ix * iy
    union = a.width * a.height + b.width * b.height - inter
    return inter / union if union > 0 else 0.0


def matched_pairs(found: Sequence[Detection], reference: Sequence[Detection], threshold: float = 0.5) -> int:
    """Greedy one-to-one matching, best score first: same class and IoU ≥ threshold."""
    used: set[int] = set()
    matched = 0
    for det in sorted(found, key=lambda d: -d.score):
        best, best_iou = -1, threshold
        for j, ref in enumerate(reference):
            if j in used or ref.class_id != det.class_id:
                continue
            overlap = iou(det, ref)
            if overlap >= best_iou:
                best, best_iou = j, overlap
        if best >= 0:
            used.add(best)
            matched += 1
    return matched


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


def agreement(pairs: Iterable[tuple[Sequence[Detection], Sequence[Detection]]], threshold: float = 0.5) -> Agreement:
    """Pooled over images: F1 = 2·matched / (found + reference)."""
    matched = found = reference = 0
    for mine, theirs in pairs:
        matched += matched_pairs(mine, theirs, threshold)
        found += len(mine)
        reference += len(theirs)
    return Agreement(matched, found, reference)
