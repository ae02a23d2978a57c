"""What a score threshold keeps, from the same matching at IoU 0.5: per class the true positives (a detection
matched to a labelled object of its class), false positives (not matched; on a crowd region: neither) and missed
objects; and the threshold with the best F1. Greedy matching goes best score first, so the matching of the
detections at or above a threshold is the matching of all of them, cut there: no threshold needs a second
matching.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .average_precision import Pooled

ROUND = 1000  # the F1-best threshold is given to 3 decimals where that keeps the same detections


@dataclass(frozen=True)
class Counts:
    true: int
    false: int
    missed: int

    @property
    def precision(self) -> float | None:
        found = self.true + self.false
        return self.true / found if found else None

    @property
    def recall(self) -> float | None:
        objects = self.true + self.missed
        return self.true / objects if objects else None

    @property
    def f1(self) -> float | None:
        total = 2 * self.true + self.false + self.missed
        return 2 * self.true / total if total else None


@dataclass(frozen=True)
class AtThreshold:
    conf: float
    true: np.ndarray  # (C,) int64
    false: np.ndarray  # (C,) int64
    missed: np.ndarray  # (C,) int64

    def of_class(self, c: int) -> Counts:
        return Counts(int(self.true[c]), int(self.false[c]), int(self.missed[c]))

    def pooled(self, counted: np.ndarray) -> Counts:
        """Every class in ``counted`` (bool, (C,)) together."""
        return Counts(int(self.true[counted].sum()), int(self.false[counted].sum()), int(self.missed[counted].sum()))


@dataclass(frozen=True)
class Best:
    conf: float  # a threshold that keeps exactly these detections (3 decimals where one does)
    counts: Counts


def at_threshold(pooled: Pooled, conf: float) -> AtThreshold:
    classes = len(pooled.objects)
    above = pooled.scores >= conf
    true = np.bincount(pooled.classes[above & pooled.matched[0]], minlength=classes)
    false = np.bincount(pooled.classes[above & ~pooled.matched[0] & ~pooled.ignored[0]], minlength=classes)
    return AtThreshold(conf, true, false, pooled.objects - true)


def best_f1(pooled: Pooled, counted: np.ndarray, floor: float = 0.0) -> Best | None:
    """The score threshold (≥ ``floor``) whose detections of the ``counted`` classes give the best F1, pooled over
    those classes; None without labelled objects or detections. Of equal F1, the higher threshold."""
    keep = counted[pooled.classes] & ~pooled.ignored[0] & (pooled.scores >= floor)
    scores, true = pooled.scores[keep], pooled.matched[0][keep]
    objects = int(pooled.objects[counted].sum())
    if not len(scores) or not objects:
        return None
    order = np.argsort(-scores, kind="stable")
    scores, true = scores[order], true[order]
    tp = np.cumsum(true)
    fp = np.cumsum(~true)
    # A threshold keeps every detection of its score: only the last of equal scores is a possible cut.
    ends = np.flatnonzero(np.append(scores[1:] != scores[:-1], True))
    f1 = 2 * tp[ends] / (tp[ends] + fp[ends] + objects)
    best = ends[int(np.argmax(f1))]
    # Any threshold above the next lower score keeps the same detections: a round one (3 decimals, what the
    # window's threshold shows) where there is one, so applying it keeps exactly these counts.
    below = float(scores[best + 1]) if best + 1 < len(scores) else floor
    cut = float(scores[best])
    rounded = np.floor(cut * ROUND) / ROUND
    conf = float(rounded) if rounded > below else cut
    return Best(conf, Counts(int(tp[best]), int(fp[best]), objects - int(tp[best])))
