"""Detector: owns one engine, the class names and its settings; image in, ``ImageResult`` out.

Not thread-safe by design: one thread owns a Detector (the GUI worker, or the CLI's main thread).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from ..results import Candidates, ImageResult
from ..settings import CANDIDATE_FLOOR, DEFAULT_ENGINE, DEFAULTS, DetectorSettings
from .darknet_cfg import DarknetConfig
from .decode import DarknetDecoder, Decoder, HeadSpec, make_candidates, select
from .engines import Engine, EngineOptions, check_engine, create_engine
from .engines.auto import Target, Trial, choose
from .engines.auto import build as auto_build
from .engines.build import build_onnx_engine
from .engines.lanes import Lanes
from .letterbox import DARKNET, Letterbox, letterbox
from .model_spec import (
    DarknetModel,
    DetectorChoice,
    ModelFiles,
    ModelInfo,
    check_classes,
    check_files,
    class_names,
    onnx_layout,
)
from .onnx_layouts import OnnxDecoder
from .speed_memo import SpeedSampler


@dataclass(frozen=True)
class Prepared:
    """An image letterboxed for the network, with the transform back to its pixels."""

    batch: np.ndarray  # (1, H, W, 3) float32 in [0, 1]
    box: Letterbox
    seconds: float


def head_specs(cfg: DarknetConfig) -> list[HeadSpec]:
    return [
        HeadSpec(np.array(layer.anchors, dtype=np.float32), layer.classes, layer.scale_x_y, layer.new_coords)
        for layer in cfg.yolo_layers
    ]


class Detector:
    """Runs one model. ``detect`` never raises for a bad image; model problems raise ``ModelError`` at build.

    ``settings`` are fixed at construction, the input size resolved: the network's (size, precision) and the
    defaults of every run. A run may bring its own resize, tiles and selection (``settings=`` below; the pipeline
    passes each job's), so one engine serves them all and nothing ever assigns a detector's settings."""

    def __init__(
        self,
        model: ModelFiles,
        settings: DetectorSettings = DEFAULTS,
        engine: str = DEFAULT_ENGINE,
        log: Callable[[str], None] | None = None,
        options: EngineOptions = EngineOptions(),
    ) -> None:
        """``engine``: auto, openvino, litert or keras (settings.ENGINES); ``options``: device, compute precision
        and threads for engines that have them. ``self.engine.description`` says what runs, e.g. "openvino bf16
        (CPU)"; with ``auto``, ``self.engine.auto_reason`` says why it was chosen."""
        check_files(model)
        self.model = model
        self._speed: SpeedSampler | None = None
        self.names = list(class_names(model))
        check_classes(settings.classes, self.names, model.name)
        self.cfg: DarknetConfig | None = None
        self.decoder: Decoder
        self.engine: Engine
        self._trial: Trial | None = None  # auto's measurement, run after the first result (measure_engines)
        self._log = log
        self._options = options
        self._rebuild: Callable[[EngineOptions], Engine]  # the same engine again, other options (lanes)
        self._lanes: Lanes | None = None  # photos in flight (candidates_many), built on first use
        check_engine(engine, model.format)
        if model.cfg is None:  # an ONNX export: its own input size, letterbox and output layout
            layout = onnx_layout(model)
            self.decoder, self.style = OnnxDecoder(layout, len(self.names)), layout.style
            target = Target(model, (layout.height, layout.width), settings.precision, layout=layout)
            if engine != "auto":
                self._rebuild = partial(build_onnx_engine, engine, layout, model.weights, settings.precision)
        else:
            darknet = DarknetModel.read(model)
            self.cfg = darknet.cfg
            self.decoder, self.style = DarknetDecoder(tuple(head_specs(self.cfg))), DARKNET
            size = settings.size or self.cfg.net.width
            target = Target(model, (size, size), settings.precision, darknet=darknet)
            if engine != "auto":
                self._rebuild = partial(create_engine, engine, darknet, (size, size), settings.precision, log)
        if engine == "auto":
            label, self.engine, self._trial = choose(target, log, options)
            self._rebuild = partial(auto_build, label, target, log)
        else:
            self.engine = self._rebuild(options)
        self._target = target
        self._settings = replace(settings, size=self.engine.input_width)

    @classmethod
    def chosen(
        cls, choice: DetectorChoice, log: Callable[[str], None] | None = None, cancel: threading.Event | None = None
    ) -> Detector:
        """The detector a front door's choice asks for (``cancel`` stops a first-time conversion)."""
        options = EngineOptions(device=choice.device, cancel=cancel)
        return cls(choice.model, choice.settings, choice.engine, log, options)

    @property
    def settings(self) -> DetectorSettings:
        """As built, ``size`` the input size in use; read-only (a run brings its own: see the class)."""
        return self._settings

    @property
    def speed(self) -> SpeedSampler:
        """This machine's time per image for this model (remembered after its first images; speed_memo.py)."""
        if self._speed is None:
            self._speed = SpeedSampler(
                self.model.weights, self.input_size, self._settings.precision, self.engine.description
            )
        return self._speed

    @property
    def measuring_pending(self) -> bool:
        """``auto`` has not measured this model here yet: ``measure_engines`` will."""
        return self._trial is not None

    def measure_engines(self, image: np.ndarray) -> bool:
        """Run ``auto``'s measurement on ``image`` (RGB; the bundled sample photo) — a few seconds, once per model
        and machine, owner thread only — and switch to the engine it finds fastest. Called after the first result,
        never before it (the pipeline does). True when the engine changed."""
        trial, self._trial = self._trial, None
        if trial is None:
            return False
        prepared = self.prepare(image)

        def decode(outputs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            candidates = make_candidates(outputs, self.decoder, prepared.box, CANDIDATE_FLOOR)
            found = select(candidates, DEFAULTS, self.names, image.shape[1], image.shape[0])  # auto.GATE_CONF
            return found.boxes, found.scores, found.class_ids

        label, winner = trial.run(prepared.batch, decode, self._log)
        if winner is self.engine:
            return False
        self.engine, self._speed = winner, None
        self._rebuild = partial(auto_build, label, self._target, self._log)
        self.close_lanes()  # they ran the engine replaced
        return True

    @property
    def engine_summary(self) -> str:
        """What runs and, when ``auto`` chose it, why: for summary lines, the self-test and status bars."""
        reason = self.engine.auto_reason
        return self.engine.description + (f"; auto: {reason}" if reason else "")

    @property
    def input_size(self) -> int:
        return self.engine.input_width

    @property
    def info(self) -> ModelInfo:
        """This detector as front ends show and record it (``records.model_record`` makes the header of it); a
        run with other settings: ``info.for_run(settings)``."""
        return ModelInfo(
            name=self.model.name,
            input_size=self.input_size,
            names=tuple(self.names),
            precision=self._settings.precision,
            resize=self._settings.resize,
            engine=self.engine.name,
            engine_description=self.engine_summary,
            files=self.model,
            tiles=self._settings.tiles,
            tile_overlap=self._settings.tile_overlap,
        )

    def prepare(
        self, image: np.ndarray, source_size: tuple[int, int] | None = None, resize: str | None = None
    ) -> Prepared:
        """Letterbox ``image`` for the network (``resize``: the run's, else the detector's). Touches no engine state:
        may run on any thread, ahead of time."""
        start = time.perf_counter()
        batch, box = letterbox(
            image,
            self.engine.input_width,
            self.engine.input_height,
            source_size,
            resize or self._settings.resize,
            self.style,
        )
        return Prepared(batch, box, time.perf_counter() - start)

    def infer(
        self,
        prepared: Prepared,
        path: str = "",
        timings: dict[str, float] | None = None,
        settings: DetectorSettings | None = None,
    ) -> ImageResult:
        """Run the network on a prepared image and decode; only on the thread that owns this detector."""
        timings = {**(timings or {}), "letterbox": prepared.seconds}
        candidates = self.candidates(prepared, timings)
        box = prepared.box
        return self.finish(candidates, path, box.source_width, box.source_height, timings, settings)

    def candidates(self, prepared: Prepared, timings: dict[str, float] | None = None) -> Candidates:
        """The network on a prepared image (a photo or one tile of it): every candidate above the floor, in the
        pixels of what was prepared. Owner thread only. Adds its seconds to ``timings``' network and decode."""
        start = time.perf_counter()
        outputs = self.engine.run(prepared.batch)
        after_network = time.perf_counter()
        self.speed.add(after_network - start)
        candidates = make_candidates(outputs, self.decoder, prepared.box, CANDIDATE_FLOOR)
        if timings is not None:
            timings["network"] = timings.get("network", 0.0) + after_network - start
            timings["decode"] = timings.get("decode", 0.0) + time.perf_counter() - after_network
        return candidates

    def candidates_many(
        self, prepared: list[Prepared], lanes: int, timings: dict[str, float] | None = None
    ) -> list[Candidates]:
        """``candidates`` of several prepared images (photos, or a photo's tiles) with up to ``lanes`` in flight at
        once (``engines/lanes.py``; one lane: one after another on this engine). Owner thread only."""
        if lanes <= 1 or len(prepared) <= 1 or self._trial is not None:  # (no lanes of an engine about to go)
            return [self.candidates(p, timings) for p in prepared]
        if self._lanes is None or len(self._lanes.engines) != lanes:
            self.close_lanes()
            self._lanes = Lanes(self._rebuild, lanes, self._options)
        start = time.perf_counter()
        outputs = self._lanes.run_many([p.batch for p in prepared])
        after_network = time.perf_counter()
        for _ in prepared:  # this machine's time per image, in throughput mode: the wall time over the images
            self.speed.add((after_network - start) / len(prepared))
        found = [make_candidates(o, self.decoder, p.box, CANDIDATE_FLOOR) for o, p in zip(outputs, prepared)]
        if timings is not None:
            timings["network"] = timings.get("network", 0.0) + after_network - start
            timings["decode"] = timings.get("decode", 0.0) + time.perf_counter() - after_network
        return found

    def close_lanes(self) -> None:
        if self._lanes is not None:
            self._lanes.close()
            self._lanes = None

    def finish(
        self,
        candidates: Candidates,
        path: str,
        width: int,
        height: int,
        timings: dict[str, float] | None = None,
        settings: DetectorSettings | None = None,
    ) -> ImageResult:
        """A photo's result from its candidates, selected at the run's ``settings`` (else the detector's); the
        candidates are kept."""
        start = time.perf_counter()
        detections = select(candidates, settings or self._settings, self.names, width, height)
        timings = dict(timings or {})
        timings["decode"] = timings.get("decode", 0.0) + time.perf_counter() - start
        return ImageResult(
            path=path, width=width, height=height, detections=detections, timings=timings, candidates=candidates
        )

    def detect(
        self,
        image: np.ndarray,
        path: str = "",
        source_size: tuple[int, int] | None = None,
        timings: dict[str, float] | None = None,
        settings: DetectorSettings | None = None,
    ) -> ImageResult:
        """RGB uint8 (H, W, 3) → result, one network run. ``source_size`` (w, h) when ``image`` was decoded at
        reduced scale. Tiles are the pipeline's: ``pipeline.run_one`` honours them."""
        settings = settings or self._settings
        return self.infer(self.prepare(image, source_size, settings.resize), path, timings, settings)
