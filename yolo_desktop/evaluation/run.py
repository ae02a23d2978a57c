"""One model run over the photos to evaluate, through the one pipeline, on the calling thread (which builds the
detector and alone uses it). Detections are kept down to a very low score (a threshold is applied later, and AP
needs the whole precision-recall curve), at most ``COCO_MAX_DETECTIONS`` a photo, as COCO scores them. A photo the
model fails on is a counted error, never the end of the run. Time per photo: the network and decoding (its tiles
included), as the pipeline measured them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..inference.detector import Detector
from ..inference.errors import ModelError
from ..inference.model_spec import DetectorChoice
from ..pipeline.run import Job, Pipeline
from ..results import Detections, ImageResult
from ..settings import TILES_OFF, SettingsError
from .coco import COCO_MAX_DETECTIONS, EVAL_CONF
from .inputs import EvalPhoto

# What building or running a model raises when the model, not the program, is at fault: a counted failure.
MODEL_FAILURES = (ModelError, SettingsError, OSError, RuntimeError, ValueError)


@dataclass(frozen=True)
class Speed:
    median_ms: float  # of the photos' network + decoding time, milliseconds
    low_ms: float  # the spread: 10th and 90th percentiles
    high_ms: float
    photos: int
    engine: str  # what ran, e.g. "openvino bf16 (CPU)"

    @classmethod
    def of(cls, seconds: Sequence[float], engine: str) -> Speed | None:
        if not seconds:
            return None
        low, median, high = np.percentile(np.asarray(seconds) * 1000, [10, 50, 90])
        return cls(float(median), float(low), float(high), len(seconds), engine)


@dataclass
class ModelRun:
    """What a model found on each photo (in the photos' order), and how fast."""

    label: str  # how the report names this run, e.g. "yolov4-tiny:tiles=640"
    choice: DetectorChoice
    names: tuple[str, ...] = ()  # the model's classes
    engine: str = ""  # what ran
    input_size: int = 0
    found: list[Detections | None] = field(default_factory=list)  # per photo; None: failed, or not run (cancelled)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (photo index, reason)
    seconds: list[float] = field(default_factory=list)  # network + decoding, per photo detected
    failure: str = ""  # the model could not be used at all (then nothing was run)

    @property
    def speed(self) -> Speed | None:
        return Speed.of(self.seconds, self.engine)

    @property
    def done(self) -> int:
        return sum(found is not None for found in self.found)

    def describe(self) -> str:
        """The model and how it ran, for a report's header: "yolov4-tiny at 416, accurate, tiles 640"."""
        settings = self.choice.settings
        tiles = "" if settings.tiles == TILES_OFF else f", tiles {settings.tiles}"
        return f"{self.choice.model.name} at {self.input_size}, {settings.precision}{tiles}"


def evaluation_choice(choice: DetectorChoice) -> DetectorChoice:
    """The choice as an evaluation runs it: every detection down to EVAL_CONF, at most COCO's 100 a photo, every
    class (the labels decide what is scored)."""
    settings = replace(choice.settings, conf=EVAL_CONF, max_detections=COCO_MAX_DETECTIONS, classes=None)
    return replace(choice, settings=settings)


def run_model(
    label: str,
    choice: DetectorChoice,
    photos: Sequence[EvalPhoto],
    *,
    cancel: threading.Event | None = None,
    on_photo: Callable[[int, ImageResult], None] | None = None,
    log: Callable[[str], None] | None = None,
) -> ModelRun:
    """Build the model (``ModelError``, ``SettingsError`` and the like propagate: the caller reports them) and
    detect every photo; ``on_photo(index, result)`` after each."""
    run = ModelRun(label, choice, found=[None] * len(photos))
    detector = Detector.chosen(evaluation_choice(choice), log=log, cancel=cancel)
    run.names, run.engine, run.input_size = tuple(detector.names), detector.engine.description, detector.input_size
    jobs = (Job.file(str(photo.path), tag=i) for i, photo in enumerate(photos))
    for done in Pipeline(detector).run(jobs, cancel=cancel):
        index, result = done.job.tag, done.result
        if result.ok:
            run.found[index] = result.detections
            run.seconds.append(result.timings.get("network", 0.0) + result.timings.get("decode", 0.0))
        else:
            run.errors.append((index, result.error or "failed"))
        if on_photo is not None:
            on_photo(index, result)
    return run


def run_or_fail(
    label: str,
    choice: DetectorChoice,
    photos: Sequence[EvalPhoto],
    *,
    cancel: threading.Event | None = None,
    on_photo: Callable[[int, ImageResult], None] | None = None,
    log: Callable[[str], None] | None = None,
) -> ModelRun:
    """``run_model``, with a model that cannot be built or run at all a run with its ``failure`` (not a crash)."""
    try:
        return run_model(label, choice, photos, cancel=cancel, on_photo=on_photo, log=log)
    except MODEL_FAILURES as exc:
        return ModelRun(label, choice, found=[None] * len(photos), failure=str(exc) or type(exc).__name__)
