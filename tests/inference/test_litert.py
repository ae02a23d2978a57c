"""The LiteRT engine: same heads as Keras in float32, outputs read by name, cached conversions that keep
TensorFlow out of the process, and an int8 model that finds the same objects."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from tests.conftest import REPO, read_rgb
from tests.support import processes
from yolo_desktop.evaluation.metrics import agreement
from yolo_desktop.inference.darknet_cfg import parse_cfg
from yolo_desktop.inference.detector import Detector
from yolo_desktop.inference.engines import create_engine
from yolo_desktop.inference.letterbox import letterbox
from yolo_desktop.inference.model_cache import model_key
from yolo_desktop.inference.model_spec import DarknetModel

PHOTOS = ("coffee.png", "astronaut.png", "camera.png", "motorcycle_left.png", "chelsea.png")


@pytest.fixture(scope="module")
def engines(tiny_model):
    model = DarknetModel.read(tiny_model)
    keras = create_engine("keras", model, (416, 416))
    litert = create_engine("litert", model, (416, 416), "accurate")
    return keras, litert


def test_float32_heads_match_keras(engines, data_dir):
    keras, litert = engines
    for photo in PHOTOS:
        batch, _ = letterbox(read_rgb(data_dir / photo), 416, 416)
        ours, reference = litert.run(batch), keras.run(batch)
        # Read by name: LiteRT's own output order differs from Keras's, the shapes show the mapping is right.
        assert [o.shape for o in ours] == [(1, 13, 13, 255), (1, 26, 26, 255)] == [r.shape for r in reference]
        for mine, theirs in zip(ours, reference):
            assert np.abs(mine - theirs).max() < 1e-4  # logits: float32 summed in another order


@pytest.mark.parametrize("size", [320, 608])
def test_one_converted_model_serves_every_size(tiny_model, data_dir, engines, size):
    cfg = parse_cfg(tiny_model.cfg)
    keras = create_engine("keras", DarknetModel(tiny_model, cfg), (size, size))
    litert = create_engine("litert", DarknetModel(tiny_model, cfg), (size, size), "accurate")
    assert litert.path == engines[1].path  # the same file as at 416
    batch, _ = letterbox(read_rgb(data_dir / "camera.png"), size, size)
    for mine, theirs in zip(litert.run(batch), keras.run(batch)):
        assert mine.shape == theirs.shape and mine.shape[1] in (size // 32, size // 16)
        assert np.abs(mine - theirs).max() < 1e-4  # logits


def test_signature(engines):
    _, litert = engines
    signature = litert.interpreter.get_signature_list()["serving_default"]
    assert signature["inputs"] == ["image"]
    assert sorted(signature["outputs"]) == ["yolo_16", "yolo_23"]


def test_cache_key_follows_files_and_settings(tmp_path, tiny_model):
    key = model_key(tiny_model.cfg, tiny_model.weights, "accurate")
    assert key == model_key(tiny_model.cfg, tiny_model.weights, "accurate")
    assert key != model_key(tiny_model.cfg, tiny_model.weights, "fast")
    changed = tmp_path / "changed.weights"
    data = bytearray(tiny_model.weights.read_bytes())
    data[-1] ^= 1
    changed.write_bytes(bytes(data))
    assert key != model_key(tiny_model.cfg, changed, "accurate")


CHILD = """
import sys, json
from pathlib import Path
from yolo_desktop.inference.detector import Detector
from yolo_desktop.inference.model_spec import ModelFiles
from yolo_desktop.imaging.read import load
m = ModelFiles('yolov3-tiny', Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
d = Detector(m, engine='litert')
r = d.detect(load(sys.argv[4]).rgb)
print(json.dumps({'tensorflow': 'tensorflow' in sys.modules, 'keras': 'keras' in sys.modules,
                  'labels': [x.label for x in r.detections]}))
"""


def test_cached_model_runs_without_tensorflow(tmp_path, tiny_model, data_dir):
    env = {**os.environ, "YOLO_DESKTOP_CACHE": str(tmp_path / "cache")}
    args = [
        sys.executable,
        "-c",
        CHILD,
        str(tiny_model.cfg),
        str(tiny_model.weights),
        str(tiny_model.names),
        str(data_dir / "coffee.png"),
    ]
    import json

    first = processes.run(args, capture_output=True, text=True, env=env, timeout=300, cwd=REPO)
    assert first.returncode == 0, first.stderr
    # Converted on this first run, by a child process: TensorFlow never entered this one either.
    assert json.loads(first.stdout) == {"tensorflow": False, "keras": False, "labels": ["cup"]}
    assert list((tmp_path / "cache" / "converted").glob("yolov3-tiny-accurate-*.tflite"))
    second = processes.run(args, capture_output=True, text=True, env=env, timeout=300, cwd=REPO)
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert report == {"tensorflow": False, "keras": False, "labels": ["cup"]}


def test_fast_int8_finds_the_same_objects(tiny_model, data_dir):
    """The int8 model against float32 on the sample photos (the 113-photo measurement is bench/bench_quant.py)."""
    from yolo_desktop.settings import DetectorSettings

    fast = Detector(tiny_model, DetectorSettings(precision="fast"), engine="litert")
    accurate = Detector(tiny_model, engine="litert")
    assert fast.engine.precision == "fast"
    pairs = []
    for photo in PHOTOS:
        image = read_rgb(data_dir / photo)
        pairs.append((fast.detect(image).detections, accurate.detect(image).detections))
    result = agreement(pairs)
    assert result.reference >= 4 and result.f1 >= 0.8, result
    weights = [d for d in fast.engine.interpreter.get_tensor_details() if "conv_12" in d["name"]]
    assert any(d["dtype"] == np.int8 for d in weights)  # really int8


def test_keras_engine_refuses_int8(tiny_model):
    from yolo_desktop.settings import DetectorSettings

    with pytest.raises(ValueError, match="needs LiteRT"):
        Detector(tiny_model, DetectorSettings(precision="fast"), engine="keras")
