"""A model run scored against the labels: what the report, the window's panel and the error browser read.

Matching is per photo and kept, so when a label is fixed (the window's review) only that photo is matched again;
AP, the counts at a threshold and the errors are then read from the kept matchings (milliseconds for thousands of
photos). No Qt: the command line and the window use it alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..results import Detections
from .average_precision import Pooled, Precision, average_precision
from .classes import ClassMap
from .errors import Error, photo_errors
from .matching import Found, PhotoMatch, Truth, match_photo
from .run import ModelRun, Speed
from .thresholds import AtThreshold, Best, Counts, at_threshold, best_f1


@dataclass(frozen=True)
class ClassScore:
    name: str
    objects: int  # labelled objects (crowd regions left out)
    predictable: bool  # the model has this class
    ap50: float | None  # None: no labelled objects, or a class the model cannot predict
    ap50_95: float | None
    counts: Counts  # at the threshold
    best_conf: float | None  # the class's own F1-best threshold


@dataclass(frozen=True)
class Scores:
    """One model's numbers at one threshold."""

    label: str
    conf: float
    photos: int  # photos scored (failed ones left out)
    map50: float | None
    map50_95: float | None
    counts: Counts  # every class the model can predict, pooled
    best: Best | None  # the F1-best threshold
    classes: tuple[ClassScore, ...]
    confusion: np.ndarray  # (C + 1, C + 1) true class × found class, the last "background"
    errors: tuple[Error, ...]  # FP, confused and missed, best score first
    model_only: tuple[tuple[str, int], ...]  # (a model class the labels lack, its detections at the threshold)
    labels_only: tuple[str, ...]  # label classes the model cannot predict
    renamed: tuple[tuple[str, str], ...]  # (model's name, labels' name) matched under another spelling
    speed: Speed | None
    curves: np.ndarray  # (C, 101) precision at recall 0, 0.01 … 1, IoU 0.5; NaN rows: no labelled objects
    true_scores: np.ndarray  # (N,) scores of the detections right at IoU 0.5 (the classes the model predicts)
    false_scores: np.ndarray  # (M,) scores of the wrong ones (crowd regions' left out)


class ModelScore:
    def __init__(self, run: ModelRun, names: Sequence[str], truths: Sequence[Truth]) -> None:
        self.run = run
        self.truths = list(truths)
        self.set_names(names)

    def set_names(self, names: Sequence[str]) -> None:
        """The labels' classes (again: a class was added while labels were fixed); every photo matched anew."""
        self.classes = ClassMap.of(names, self.run.names)
        self.found: list[Found | None] = []
        self.other: list[Detections | None] = []  # detections of the model's classes the labels lack
        for detections in self.run.found:
            mine, other = self.classes.found(detections) if detections is not None else (None, None)
            self.found.append(mine)
            self.other.append(other)
        self.matches = [self._match(i) for i in range(len(self.truths))]
        self._pooled: Pooled | None = None
        self._precision: Precision | None = None

    def set_truth(self, photo: int, truth: Truth) -> None:
        """A photo's labels changed: match it again."""
        self.truths[photo] = truth
        self.matches[photo] = self._match(photo)
        self._pooled = self._precision = None

    def _match(self, photo: int) -> PhotoMatch | None:
        found = self.found[photo]
        return None if found is None else match_photo(self.truths[photo], found, len(self.classes.labels))

    @property
    def scored(self) -> list[int]:
        """The photos with detections (not failed, not left undone by a cancel)."""
        return [i for i, match in enumerate(self.matches) if match is not None]

    @property
    def pooled(self) -> Pooled:
        if self._pooled is None:
            self._pooled = Pooled.of([m for m in self.matches if m is not None], len(self.classes.labels))
        return self._pooled

    @property
    def precision(self) -> Precision:
        if self._precision is None:
            self._precision = average_precision(self.pooled)
        return self._precision

    def at(self, conf: float) -> AtThreshold:
        return at_threshold(self.pooled, conf)

    def errors(self, conf: float) -> tuple[list[Error], np.ndarray]:
        """Every photo's errors at ``conf`` (best score first) and the confusion matrix."""
        classes = len(self.classes.labels)
        matrix = np.zeros((classes + 1, classes + 1), np.int64)
        errors: list[Error] = []
        for i in self.scored:
            found, match = self.found[i], self.matches[i]
            assert found is not None and match is not None
            mine, counts = photo_errors(i, self.truths[i], found, match, conf, classes)
            errors += mine
            matrix += counts
        errors.sort(key=lambda e: -e.score)
        return errors, matrix

    def scores(self, conf: float) -> Scores:
        names, predictable = self.classes.labels, self.classes.predictable
        precision, at = self.precision, self.at(conf)
        map50, map50_95 = precision.map(predictable)
        rows = []
        for c, name in enumerate(names):
            best = best_f1(self.pooled, np.arange(len(names)) == c) if predictable[c] else None
            known = bool(predictable[c] and self.pooled.objects[c])
            rows.append(
                ClassScore(
                    name,
                    int(self.pooled.objects[c]),
                    bool(predictable[c]),
                    float(precision.ap[0, c]) if known else None,
                    float(precision.ap[:, c].mean()) if known else None,
                    at.of_class(c),
                    best.conf if best is not None else None,
                )
            )
        errors, confusion = self.errors(conf)
        other = [d for d in self.other if d is not None]
        extra = {
            name: sum(int(((d.class_ids == m) & (d.scores >= conf)).sum()) for d in other)
            for m, name in enumerate(self.run.names)
            if self.classes.to_labels[m] < 0
        }
        return Scores(
            self.run.label,
            conf,
            len(self.scored),
            map50,
            map50_95,
            at.pooled(predictable),
            best_f1(self.pooled, predictable),
            tuple(rows),
            confusion,
            tuple(errors),
            tuple(extra.items()),
            self.classes.labels_only,
            self.classes.renamed,
            self.run.speed,
            precision.curves,
            *self._scores_by_outcome(predictable),
        )

    def _scores_by_outcome(self, counted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pooled = self.pooled
        mine = counted[pooled.classes] & ~pooled.ignored[0]
        return pooled.scores[mine & pooled.matched[0]], pooled.scores[mine & ~pooled.matched[0]]
