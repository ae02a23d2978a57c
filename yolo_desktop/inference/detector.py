"""Detector: owns one engine, the class names and the settings; image in, ``ImageResult`` out.

Not thread-safe by design: one thread owns a Detector (the GUI worker, or the CLI's main thread).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..results import ImageResult
from ..settings import CANDIDATE_FLOOR, DetectorSettings
from .darknet_cfg import DarknetConfig, parse_cfg
from .decode import DarknetDecoder, Decoder, HeadSpec, make_candidates, select
from .engines import Engine, EngineOptions, check_engine, create_engine
from .engines.build import build_onnx_engine
from .letterbox import DARKNET, Letterbox, letterbox
from .model_spec import ModelFiles, ModelInfo, check_classes, check_files, class_names, onnx_layout
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
    """Runs one model. ``detect`` never raises for a bad image; model problems raise ``ModelError`` at build."""

    def __init__(
        self,
        model: ModelFiles,
        settings: DetectorSettings = DetectorSettings(),
        engine: str = "auto",
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
        self.settings = settings
        check_classes(settings.classes, self.names, model.name)
        self.cfg: DarknetConfig | None = None
        self.decoder: Decoder
        self.engine: Engine
        if model.cfg is None:  # an ONNX export: its own input size, letterbox and output layout
            check_engine(engine)
            layout = onnx_layout(model)
            self.decoder, self.style = OnnxDecoder(layout), layout.style
            self.engine = build_onnx_engine(engine, layout, model.weights, settings.precision, options)
            return
        self.cfg = parse_cfg(model.cfg)
        self.decoder, self.style = DarknetDecoder(tuple(head_specs(self.cfg))), DARKNET
        size = settings.size or self.cfg.net.width
        self.engine = create_engine(
            engine,
            self.cfg,
            str(model.weights),
            (size, size),
            settings.precision,
            cfg_path=str(model.cfg),
            model_name=model.name,
            log=log,
            options=options,
        )

    @property
    def speed(self) -> SpeedSampler:
        """This machine's time per image for this model (remembered after its first images; speed_memo.py)."""
        if self._speed is None:
            self._speed = SpeedSampler(
                self.model.weights, self.input_size, self.settings.precision, self.engine.description
            )
        return self._speed

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
        """This detector as front ends show and record it (``records.model_record`` makes the header of it)."""
        return ModelInfo(
            name=self.model.name,
            input_size=self.input_size,
            names=tuple(self.names),
            precision=self.settings.precision,
            resize=self.settings.resize,
            engine=self.engine.name,
            engine_description=self.engine_summary,
            files=self.model,
        )

    def prepare(self, image: np.ndarray, source_size: tuple[int, int] | None = None) -> Prepared:
        """Letterbox ``image`` for the network. Touches no engine state: may run on any thread, ahead of time."""
        start = time.perf_counter()
        batch, box = letterbox(
            image, self.engine.input_width, self.engine.input_height, source_size, self.settings.resize, self.style
        )
        return Prepared(batch, box, time.perf_counter() - start)

    def infer(self, prepared: Prepared, path: str = "", timings: dict[str, float] | None = None) -> ImageResult:
        """Run the network on a prepared image and decode; only on the thread that owns this detector."""
        timings = {**(timings or {}), "letterbox": prepared.seconds}
        start = time.perf_counter()
        outputs = self.engine.run(prepared.batch)
        after_network = time.perf_counter()
        self.speed.add(after_network - start)
        box = prepared.box
        candidates = make_candidates(outputs, self.decoder, box, CANDIDATE_FLOOR)
        detections = select(candidates, self.settings, self.names, box.source_width, box.source_height)
        timings.update(network=after_network - start, decode=time.perf_counter() - after_network)
        return ImageResult(
            path=path,
            width=box.source_width,
            height=box.source_height,
            detections=detections,
            timings=timings,
            candidates=candidates,
        )

    def detect(
        self,
        image: np.ndarray,
        path: str = "",
        source_size: tuple[int, int] | None = None,
        timings: dict[str, float] | None = None,
    ) -> ImageResult:
        """RGB uint8 (H, W, 3) → result. ``source_size`` (w, h) when ``image`` was decoded at reduced scale."""
        return self.infer(self.prepare(image, source_size), path, timings)
