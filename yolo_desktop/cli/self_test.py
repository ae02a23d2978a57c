"""``yolo-desktop --self-test``: headless detection on the bundled sample photo, to check an installation (the
standalone build above all) end to end: model files, converted model, engine, image decoding, decoding of boxes."""

from __future__ import annotations

import sys
import time

from ..imaging.read import load
from ..inference.detector import Detector
from ..inference.errors import ModelError
from ..models.installed import DEFAULT_MODEL, find_model
from ..resources import resource_path
from ..settings import DEFAULT_ENGINE, DEFAULTS, DetectorSettings

EXPECTED_LABEL = "cup"  # what YOLOv3-tiny finds in resources/sample.jpg


def run_self_test(precision: str = DEFAULTS.precision, engine: str = DEFAULT_ENGINE) -> int:
    started = time.perf_counter()
    sample = resource_path("sample.jpg")
    if sample is None:
        print("self-test: FAILED: the sample photo (resources/sample.jpg) is missing")
        return 1
    try:
        detector = Detector(find_model(DEFAULT_MODEL), DetectorSettings(precision=precision), engine=engine)
        rgb = load(sample).rgb
        result = detector.detect(rgb, str(sample))
        if detector.measuring_pending:  # auto: measured now, after the result (once per machine; remembered)
            detector.measure_engines(rgb)
    except (ModelError, ValueError, OSError) as exc:
        print(f"self-test: FAILED: {exc}")
        return 1
    print(
        f"model: {detector.model.name} ({detector.input_size}×{detector.input_size}, {precision}) "
        f"on {detector.engine.name}; TensorFlow loaded: {'tensorflow' in sys.modules}"
    )
    print(f"engine: {detector.engine_summary}")
    print(f"image: {sample} ({result.width}×{result.height})")
    for d in result.detections:
        print(f"  {d.label:<12} {d.score:.3f}  [{d.x1:.0f}, {d.y1:.0f}, {d.x2:.0f}, {d.y2:.0f}]")
    network_ms = result.timings.get("network", 0.0) * 1000
    print(f"network {network_ms:.1f} ms; total {time.perf_counter() - started:.2f} s")
    if not any(d.label == EXPECTED_LABEL for d in result.detections):
        print(f"self-test: FAILED: expected a {EXPECTED_LABEL} in the sample photo")
        return 1
    print("self-test: OK")
    return 0
