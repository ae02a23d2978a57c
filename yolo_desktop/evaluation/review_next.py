""" "Review next": the evaluated photos not yet reviewed, ranked by how much a review is likely to change them, so
the first hour of review goes where it matters. A photo's priority adds up, per model run at its own threshold:

- its errors (false positives, missed objects, confusions): each is either a model's mistake or a label's — the
  photo is worth a look either way;
- its detections scored near the threshold (within ``NEAR`` of it): a small change of threshold or labels flips them;
- when two runs were evaluated (two models, or one tiled and untiled), the boxes they disagree on at their
  thresholds (``metrics.matched_pairs``: same class, IoU ≥ 0.5), counted twice: disagreement is the best hint
  that a photo is hard.

Errors and near scores are averaged over the runs. Reviewed photos are left out (their labels were checked).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..labels.states import REVIEWED
from .errors import Error
from .inputs import EvalPhoto
from .metrics import matched_pairs
from .scoring import ModelScore

NEAR = 0.1  # score distance to the threshold that counts as "near"
DISAGREEMENT_WEIGHT = 2.0


@dataclass(frozen=True)
class Ranked:
    photo: int  # index into the evaluated photos
    priority: float
    errors: float  # mean over the runs
    near: float  # mean over the runs
    disagreements: int  # boxes the first two runs do not share

    def reasons(self) -> str:
        parts = [f"{self.errors:g} error(s)", f"{self.near:g} near the threshold"]
        if self.disagreements:
            parts.append(f"{self.disagreements} box(es) the two runs disagree on")
        return ", ".join(parts)


def rank(photos: Sequence[EvalPhoto], runs: Sequence[tuple[ModelScore, float, Sequence[Error]]]) -> list[Ranked]:
    """``runs``: (a scored run, its threshold, its errors at that threshold). Highest priority first; photos with
    nothing to look at are left out."""
    count = len(photos)
    errors = np.zeros(count)
    near = np.zeros(count)
    for _score, _conf, mistakes in runs:
        np.add.at(errors, [e.photo for e in mistakes], 1)
    for score, conf, _mistakes in runs:
        for i, found in enumerate(score.run.found):
            if found is not None:
                near[i] += int((np.abs(found.scores - conf) <= NEAR).sum())
    errors /= max(len(runs), 1)
    near /= max(len(runs), 1)
    disagree = np.zeros(count, np.int64)
    if len(runs) >= 2:
        (first, first_conf, _), (second, second_conf, _) = runs[0], runs[1]
        for i, (a, b) in enumerate(zip(first.run.found, second.run.found)):
            if a is None or b is None:
                continue
            a, b = a.take(a.scores >= first_conf), b.take(b.scores >= second_conf)
            disagree[i] = len(a) + len(b) - 2 * matched_pairs(a, b)
    ranked = []
    for i in range(count):
        priority = errors[i] + near[i] + DISAGREEMENT_WEIGHT * disagree[i]
        if photos[i].state != REVIEWED and priority > 0:
            ranked.append(Ranked(i, float(priority), float(errors[i]), float(near[i]), int(disagree[i])))
    ranked.sort(key=lambda r: (-r.priority, r.photo))
    return ranked
