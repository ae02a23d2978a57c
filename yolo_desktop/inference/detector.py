"""Detector: owns one engine, the class names and the settings; image in, ``ImageResult`` out.

Not thread-safe by design: one thread owns a Detector (the GUI worker, or the CLI's main thread).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from ..results import Candidates, ImageResult
from ..settings import CANDIDATE_FLOOR, DetectorSettings
from .darknet_cfg import DarknetConfig, parse_cfg
from .decode import HeadSpec, make_candidates, select
from .engines import Engine, create_engine
from .errors import ModelError
from .letterbox import letterbox


class NamesError(ModelError):
    pass


@dataclass(frozen=True)
class ModelFiles:
    name: str
    cfg: Path
    weights: Path
    names: Path

    def missing(self) -> list[Path]:
        return [p for p in (self.cfg, self.weights, self.names) if not p.is_file()]


def read_names(path: str | os.PathLike[str], classes: int | None = None, cfg_path: str = "") -> list[str]:
    """One class label per non-empty line; the count must equal the cfg's ``classes``."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NamesError(f"{path}: not a UTF-8 text file; a names file has one class label per line") from None
    except OSError as exc:
        raise NamesError(f"{path}: cannot read: {exc.strerror or exc}") from None
    names = [line.strip() for line in text.splitlines() if line.strip()]
    if classes is not None and len(names) != classes:
        cfg = os.path.basename(cfg_path) or "the cfg"
        raise NamesError(f"{path}: has {len(names)} class names but {cfg} has classes={classes}; "
                         f"the names file must list exactly one label per class")
    return names


def head_specs(cfg: DarknetConfig) -> list[HeadSpec]:
    return [HeadSpec(np.array(layer.anchors, dtype=np.float32), layer.classes) for layer in cfg.yolo_layers]


class Detector:
    """Runs one model. ``detect`` never raises for a bad image; model problems raise ``ModelError`` at build."""

    def __init__(self, model: ModelFiles, settings: DetectorSettings = DetectorSettings(), engine: str = "keras"
                 ) -> None:
        missing = model.missing()
        if missing:
            raise ModelError(f"model '{model.name}': missing file(s): {', '.join(str(p) for p in missing)}")
        self.model = model
        self.cfg = parse_cfg(model.cfg)
        self.names = read_names(model.names, self.cfg.classes, str(model.cfg))
        self.heads = head_specs(self.cfg)
        self.settings = settings
        unknown = settings.unknown_classes(self.names)
        if unknown:
            raise ModelError(f"unknown class name(s) {', '.join(unknown)} for model '{model.name}'")
        size = settings.size or self.cfg.net.width
        self.engine: Engine = create_engine(engine, self.cfg, str(model.weights), (size, size))

    @property
    def input_size(self) -> int:
        return self.engine.input_width

    def detect(self, image: np.ndarray, path: str = "", source_size: tuple[int, int] | None = None,
               timings: dict[str, float] | None = None) -> ImageResult:
        """RGB uint8 (H, W, 3) → result. ``source_size`` (w, h) when ``image`` was decoded at reduced scale."""
        timings = dict(timings or {})
        start = time.perf_counter()
        batch, box = letterbox(image, self.engine.input_width, self.engine.input_height, source_size)
        after_letterbox = time.perf_counter()
        outputs = self.engine.run(batch)
        after_network = time.perf_counter()
        candidates = make_candidates(outputs, self.heads, box, CANDIDATE_FLOOR)
        width, height = box.source_width, box.source_height
        detections = select(candidates, self.settings, self.names, width, height)
        timings.update(letterbox=after_letterbox - start, network=after_network - after_letterbox,
                       decode=time.perf_counter() - after_network)
        return ImageResult(path=path, width=width, height=height, detections=detections, timings=timings,
                           candidates=candidates)

    def refilter(self, result: ImageResult, settings: DetectorSettings | None = None) -> ImageResult:
        return refilter(result, settings or self.settings, self.names)

    def update_settings(self, settings: DetectorSettings) -> None:
        """New thresholds or class filter; the input size and precision are fixed for an engine's life."""
        if (settings.size or self.cfg.net.width) != self.input_size or settings.precision != self.settings.precision:
            raise ValueError("input size or precision changed: build a new Detector")
        unknown = settings.unknown_classes(self.names)
        if unknown:
            raise ModelError(f"unknown class name(s) {', '.join(unknown)} for model '{self.model.name}'")
        self.settings = settings


def refilter(result: ImageResult, settings: DetectorSettings, names: Sequence[str]) -> ImageResult:
    """Re-apply thresholds and class filter to a finished result from its kept candidates (no network)."""
    if result.candidates is None:
        return result
    detections = select(result.candidates, settings, names, result.width, result.height)
    return replace(result, detections=detections)

