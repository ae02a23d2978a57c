"""Weights and names files that do not belong to the cfg fail with messages that say so, with sizes."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from tests.support.random_weights import write_random_weights
from yolo_desktop.inference.darknet_cfg import parse_cfg
from yolo_desktop.inference.darknet_weights import WeightsError, load_weights, parameter_count, read_header
from yolo_desktop.inference.detector import Detector
from yolo_desktop.inference.errors import ModelError
from yolo_desktop.inference.model_spec import ModelFiles, NamesError, read_names

TINY_PARAMS = 8_858_734  # float32 values in yolov3-tiny.weights after its 20-byte header


def test_official_tiny_weights(tiny_model):
    cfg = parse_cfg(tiny_model.cfg)
    header = read_header(str(tiny_model.weights))
    assert (header.major, header.minor, header.size) == (0, 2, 20)
    assert parameter_count(cfg) == TINY_PARAMS
    layers = load_weights(tiny_model.weights, cfg)
    assert len(layers) == 13
    assert layers[0].kernel.shape == (3, 3, 3, 16)
    assert layers[-1].kernel.shape == (1, 1, 256, 255)
    assert all(np.isfinite(layer.kernel).all() and np.isfinite(layer.bias).all() for layer in layers)


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda data: data[:-4096], "too short"),
        (lambda data: data + b"\0" * 8, "too long"),
        (lambda data: data[:10], "too short to be a Darknet weights file"),
    ],
)
def test_wrong_size_gives_expected_and_actual(tmp_path, tiny_model, change, words):
    bad = tmp_path / "bad.weights"
    bad.write_bytes(change(tiny_model.weights.read_bytes()))
    with pytest.raises(WeightsError) as error:
        load_weights(bad, parse_cfg(tiny_model.cfg))
    message = str(error.value)
    assert str(bad) in message and words in message
    if "exactly" in message:
        assert f"{bad.stat().st_size:,} bytes" in message
        assert f"{20 + 4 * TINY_PARAMS:,}" in message


def test_weights_for_another_cfg(tmp_path, tiny_model, shared_cfg):
    """The most common user mistake: tiny weights with the full yolov3 cfg."""
    with pytest.raises(WeightsError, match=r"yolov3\.cfg needs exactly .* different cfg"):
        load_weights(tiny_model.weights, parse_cfg(shared_cfg("yolov3")))


def test_old_header_with_32_bit_seen(tmp_path, tiny_model):
    """Weights from Darknet versions before 0.2 store 'seen' as int32 (16-byte header)."""
    cfg = parse_cfg(tiny_model.cfg)
    new = tmp_path / "new.weights"
    write_random_weights(new, cfg, seed=3)
    body = new.read_bytes()[20:]
    old = tmp_path / "old.weights"
    old.write_bytes(np.array([0, 1, 0, 1234], dtype="<i4").tobytes() + body)
    assert read_header(str(old)).size == 16
    a, b = load_weights(new, cfg), load_weights(old, cfg)
    assert all(np.array_equal(x.kernel, y.kernel) and np.array_equal(x.bias, y.bias) for x, y in zip(a, b))


def test_nan_weights_are_refused(tmp_path, tiny_model):
    data = bytearray(tiny_model.weights.read_bytes())
    data[1000:1004] = np.array([np.nan], dtype="<f4").tobytes()
    bad = tmp_path / "nan.weights"
    bad.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="NaN"):
        load_weights(bad, parse_cfg(tiny_model.cfg))


def test_names_count_must_match(tmp_path, tiny_model):
    names = tmp_path / "short.names"
    names.write_text("\n".join(f"class{i}" for i in range(79)) + "\n", encoding="utf-8")
    with pytest.raises(NamesError, match=r"has 79 class names but yolov3-tiny.cfg has classes=80"):
        read_names(names, 80, str(tiny_model.cfg))
    # Blank lines and a BOM are not labels.
    names.write_text("\ufeffcat\n\n dog \n\n", encoding="utf-8")
    assert read_names(names, 2) == ["cat", "dog"]


def test_detector_reports_model_errors_before_running(tmp_path, tiny_model):
    model = ModelFiles("broken", tiny_model.cfg, tmp_path / "missing.weights", tiny_model.names)
    with pytest.raises(ModelError, match="missing file"):
        Detector(model)
    bad_names = tmp_path / "bad.names"
    bad_names.write_text("a\nb\n", encoding="utf-8")
    with pytest.raises(NamesError):
        Detector(ModelFiles("bad", tiny_model.cfg, tiny_model.weights, bad_names))
    truncated = tmp_path / "t.weights"
    shutil.copyfile(tiny_model.weights, truncated)
    with open(truncated, "r+b") as handle:
        handle.truncate(1_000_000)
    with pytest.raises(WeightsError, match="too short"):
        Detector(ModelFiles("t", tiny_model.cfg, truncated, tiny_model.names))
