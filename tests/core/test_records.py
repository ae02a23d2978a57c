"""The one encoding of results, settings and the model header: exact round trips through JSON (what part files and
Redis carry), defaults from DetectorSettings only, and the header with server paths hidden where asked."""

from __future__ import annotations

import json
from dataclasses import fields

import numpy as np
import pytest

from tests.conftest import read_rgb
from yolo_desktop import records
from yolo_desktop.inference.model_spec import ModelInfo
from yolo_desktop.settings import DetectorSettings, SettingsError


@pytest.fixture(scope="module")
def real_result(app_detector, data_dir):
    return app_detector.detect(read_rgb(data_dir / "coffee.png"), "coffee.png")


def test_a_result_survives_json_exactly_with_its_candidates(real_result, app_detector):
    assert real_result.detections and real_result.candidates is not None
    wire = json.loads(json.dumps(records.result_to_dict(real_result, timings=True, candidates=True)))
    back = records.result_from_dict(wire, app_detector.names)
    assert back == real_result  # every detection's floats bit for bit, the size, the error, the timings
    assert back.candidates is not None
    for name in ("boxes", "scores", "class_ids"):
        np.testing.assert_array_equal(getattr(back.candidates, name), getattr(real_result.candidates, name))
    assert back.candidates.floor == real_result.candidates.floor


def test_without_candidates_nothing_of_them_travels(real_result, app_detector):
    wire = records.result_to_dict(real_result)
    assert "candidates" not in wire and "timings" not in wire
    assert records.result_from_dict(wire, app_detector.names).candidates is None


def test_settings_round_trip_and_missing_keys_take_the_defaults():
    settings = DetectorSettings(size=608, conf=0.4, iou=0.6, classes=frozenset({"dog", "cat"}), precision="fast")
    record = records.settings_record(settings, size=608)
    assert record["classes"] == ["cat", "dog"] and record["size"] == 608
    assert records.settings_from_record(json.loads(json.dumps(record))) == settings
    assert records.settings_from_record({}) == DetectorSettings()
    assert records.settings_from_record({"conf": 0.5}, DetectorSettings(precision="fast")) == DetectorSettings(
        conf=0.5, precision="fast"
    )
    with pytest.raises(SettingsError):
        records.settings_from_record({"iou": 0})
    # Every field of DetectorSettings is in the record: a new one cannot be forgotten here.
    assert {f.name for f in fields(DetectorSettings)} == set(records.settings_record(settings, size=608))


def test_the_header_names_the_files_and_hides_server_paths_when_public(tiny_model):
    info = ModelInfo("yolov3-tiny", 416, ("person", "car"), "accurate", "area", "openvino", "openvino f32 (CPU)")
    info = ModelInfo(**{**info.__dict__, "files": tiny_model})
    full = records.model_record(info)
    public = records.model_record(info, public=True)
    assert full["cfg"] == str(tiny_model.cfg) and public["cfg"] == tiny_model.cfg.name
    assert public["weights"] == tiny_model.weights.name and "/" not in public["names"]
    assert full["classes"] == 2 and full["input_size"] == 416 and full["engine_description"] == "openvino f32 (CPU)"
    empty = records.model_record(None)
    assert empty["name"] == "" and empty["cfg"] is None and empty["classes"] == 0
