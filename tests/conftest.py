"""Shared fixtures: the real default model, real sample photos, and the Darknet reference cfgs when present."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Converted models go to a cache inside the checkout (git-ignored), shared by test runs, never the user's.
os.environ.setdefault(
    "YOLO_DESKTOP_CACHE", os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".cache", "tests")
)

# auto never measures in tests (timing would make the engine, and so the last bits of results, vary between runs):
# the expected-fastest rule only. tests/inference/test_new_engines.py measures with it on.
os.environ.setdefault("YOLO_DESKTOP_AUTO_MEASURE", "0")

from pathlib import Path

import cv2
import numpy as np
import pytest

pytest_plugins = ["tests.support.skip_report"]

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SHARED_MODELS = SHARED / "models"


def from_shared(path: Path, what: str) -> Path:
    """``path`` inside ../shared, for a guard that needs it. Without ../shared (a checkout run by hand) the guard
    skips, saying why; with ../shared there (CI) a missing file fails the guard: it must never skip silently."""
    if path.exists():
        return path
    if SHARED.is_dir():
        pytest.fail(f"{path} is missing although {SHARED} is present: {what} cannot run")
    pytest.skip(f"{path} not present ({what} needs ../shared)")


def skimage_data() -> Path:
    import skimage

    return Path(skimage.__file__).parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return skimage_data()


@pytest.fixture(scope="session")
def tiny_model():
    from yolo_desktop.models.installed import find_model

    try:
        return find_model("yolov3-tiny")
    except Exception as exc:  # make test fetches it; say how when run by hand
        pytest.fail(f"{exc} (run 'make model' first)")


@pytest.fixture(scope="session")
def detector(tiny_model):
    """One real YOLOv3-tiny detector on the reference Keras engine for the whole session; tests must not change
    its settings."""
    from yolo_desktop.inference.detector import Detector

    return Detector(tiny_model, engine="keras")


@pytest.fixture(scope="session")
def app_detector(tiny_model):
    """YOLOv3-tiny on the engine the app uses by default (LiteRT, float32), for comparing with what it shows."""
    from yolo_desktop.inference.detector import Detector

    return Detector(tiny_model)


@pytest.fixture(scope="session")
def shared_cfg():
    def get(name: str) -> Path:
        return from_shared(SHARED_MODELS / f"{name}.cfg", f"the reference {name}.cfg")

    return get


def read_rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
