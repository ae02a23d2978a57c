"""The Evaluate panel's work off the GUI thread: reading the labels, running each model (its own detector, built
and used on this one thread), scoring, drawing the plots, loading a photo for the error browser. Each job's result
(or exception) comes back as ``finished(job, result)``; progress as ``progress(model, done, photos)``."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage, QImageReader

from ..evaluation.classes import ClassMap, class_lines
from ..evaluation.inputs import Inputs, inputs_of
from ..evaluation.matching import Truth
from ..evaluation.outcome import Outcome, outcome_of
from ..evaluation.plots import PlotData, render_all
from ..evaluation.report import model_scores
from ..evaluation.run import ModelRun, run_or_fail
from ..inference.model_spec import DetectorChoice, class_names

PROGRESS_EVERY_S = 0.05  # at most 20 progress signals a second, however fast the photos go


@dataclass(frozen=True)
class Checked:
    """The labels read and checked against the models, before anything runs."""

    inputs: Inputs
    lines: tuple[str, ...]  # what does not match, one line each
    mismatched: int  # photos, labels and models that do not match (0: everything does)
    runnable: tuple[bool, ...]  # per model: it shares at least one class with the labels


class EvaluateWork(QObject):
    progress = Signal(int, int, int)  # model index, photos done, photos
    finished = Signal(str, object)  # job name, its result or the exception it raised

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evaluate")
        self._plotter: ProcessPoolExecutor | None = None  # made when first drawing
        self.cancel = threading.Event()

    def submit(self, job: str, work: Any, *args: Any) -> Future:
        def call() -> Any:
            try:
                result = work(*args)
            except Exception as exc:  # shown in the panel, whatever it was
                result = exc
            self.finished.emit(job, result)
            return result

        return self._pool.submit(call)

    def check(self, source: str, labels: str | None, reviewed_only: bool, choices: Sequence[DetectorChoice]) -> Future:
        return self.submit("check", _check, source, labels, reviewed_only, list(choices))

    def run(self, checked: Checked, choices: Sequence[tuple[str, DetectorChoice]], confs: Sequence[float],
            reviewed_only: bool) -> Future:  # fmt: skip
        self.cancel.clear()
        return self.submit("run", self._run, checked, list(choices), list(confs), reviewed_only)

    def rescore(self, outcome: Outcome, confs: Sequence[float], reviewed_only: bool) -> Future:
        return self.submit("rescore", _rescore, outcome, list(confs), reviewed_only, self._draw)

    def relabel(self, outcome: Outcome, source: str, labels: str | None, confs: Sequence[float],
                reviewed_only: bool) -> Future:  # fmt: skip
        return self.submit("relabel", _relabel, outcome, source, labels, list(confs), reviewed_only, self._draw)

    def load_photo(self, path: str) -> Future:
        return self.submit("photo", _load_photo, path)

    def _run(self, checked: Checked, choices: list[tuple[str, DetectorChoice]], confs: list[float],
             reviewed_only: bool) -> Outcome:  # fmt: skip
        photos = checked.inputs.photos
        runs = []
        for m, ((label, choice), runnable) in enumerate(zip(choices, checked.runnable)):
            if self.cancel.is_set():
                break
            if not runnable:
                runs.append(ModelRun(label, choice, found=[None] * len(photos), failure="no class in common"))
                continue
            last = [0.0, 0]

            def on_photo(_index: int, _result: object, m: int = m, last: list = last) -> None:
                last[1] += 1
                now = time.monotonic()
                if now - last[0] >= PROGRESS_EVERY_S or last[1] == len(photos):
                    last[0] = now
                    self.progress.emit(m, last[1], len(photos))

            runs.append(run_or_fail(label, choice, photos, cancel=self.cancel, on_photo=on_photo))
        scored = model_scores(checked.inputs, runs)
        return outcome_of(checked.inputs, runs, scored, confs[: len(runs)], reviewed_only, self._draw)

    def _draw(self, data: list[PlotData | None]) -> list[dict[str, bytes]]:
        """The plots, drawn in a child process: matplotlib's C code holds the interpreter lock long enough (up to
        ~100 ms) to make the window late, were it drawn in this process."""
        if self._plotter is None:
            self._plotter = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        return self._plotter.submit(render_all, data).result()

    def shutdown(self) -> None:
        self.cancel.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._plotter is not None:
            self._plotter.shutdown(wait=True, cancel_futures=True)


def _check(source: str, labels: str | None, reviewed_only: bool, choices: list[DetectorChoice]) -> Checked:
    from ..labels.dataset import read_labels  # here, on this thread: the window starts without the readers

    inputs = inputs_of(read_labels(source, labels or None), reviewed_only=reviewed_only)
    lines = inputs.lines()
    runnable = []
    for choice in choices:
        classes = ClassMap.of(inputs.names, class_names(choice.model))
        lines += class_lines(choice.model.name, classes)
        runnable.append(bool(classes.predictable.any()))
    return Checked(inputs, tuple(lines), inputs.mismatched + runnable.count(False), tuple(runnable))


Draw = Callable[[list[PlotData | None]], list[dict[str, bytes]]]


def _rescore(outcome: Outcome, confs: list[float], reviewed_only: bool, draw: Draw) -> Outcome:
    return outcome_of(outcome.inputs, outcome.runs, outcome.scored, confs, reviewed_only, draw)


def _relabel(
    outcome: Outcome, source: str, labels: str | None, confs: list[float], reviewed_only: bool, draw: Draw
) -> Outcome:
    """The labels read again (fixed in the review): the same detections matched to them, no model run again. A
    photo whose labels are gone is scored against none."""
    from ..labels.dataset import read_labels

    fresh = inputs_of(read_labels(source, labels or None), reviewed_only=reviewed_only)
    by_path = {photo.path: photo for photo in fresh.photos}
    photos = tuple(by_path.get(p.path, p) for p in outcome.inputs.photos)
    truths = [by_path[p.path].truth if p.path in by_path else Truth.of([], []) for p in outcome.inputs.photos]
    inputs = Inputs(fresh.where, fresh.format, fresh.names, photos, fresh.unlabelled, fresh.not_reviewed,
                    fresh.without_photo, fresh.unreadable, fresh.crowd)  # fmt: skip
    for score in outcome.scored:
        if score is not None:
            for i, truth in enumerate(truths):
                score.set_truth(i, truth)
            if score.classes.labels != fresh.names:  # a class added in the review: every photo matched anew
                score.set_names(fresh.names)
    return outcome_of(inputs, outcome.runs, outcome.scored, confs, reviewed_only, draw)


def _load_photo(path: str) -> tuple[str, QImage]:
    """The photo upright (as its labels' pixels are), for the error browser."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    return path, reader.read()
