"""YOLOv4-tiny (real weights) through the same converted-model engines as YOLOv3-tiny: LiteRT and OpenVINO float32
give the Keras reference's heads; one converted file serves every input size."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import read_rgb
from yolo_desktop.inference.engines import EngineOptions, create_engine
from yolo_desktop.inference.letterbox import letterbox
from yolo_desktop.inference.model_spec import DarknetModel

PHOTOS = ("astronaut.png", "coffee.png", "camera.png")


def engine(model, kind: str, size: int, hint: str | None = None):
    return create_engine(kind, DarknetModel.read(model), (size, size), "accurate", options=EngineOptions(hint=hint))


@pytest.fixture(scope="module")
def keras_416(v4tiny_model):
    return engine(v4tiny_model, "keras", 416)


@pytest.mark.parametrize("kind, hint", [("litert", None), ("openvino", "f32")])
def test_float32_heads_match_keras(v4tiny_model, keras_416, data_dir, kind, hint):
    if kind == "openvino":
        pytest.importorskip("openvino")
    ours = engine(v4tiny_model, kind, 416, hint)
    assert ours.description.startswith(f"{kind} f32")
    for photo in PHOTOS:
        batch, _ = letterbox(read_rgb(data_dir / photo), 416, 416)
        mine, theirs = ours.run(batch), keras_416.run(batch)
        # In cfg order (the 13×13 head first), read by name whatever order the runtime keeps.
        assert [m.shape for m in mine] == [(1, 13, 13, 255), (1, 26, 26, 255)] == [t.shape for t in theirs]
        for a, b in zip(mine, theirs):
            assert np.abs(a - b).max() < 1e-4  # logits: float32 summed in another order


def test_one_converted_model_serves_another_size(v4tiny_model, data_dir):
    litert_416, litert_320 = engine(v4tiny_model, "litert", 416), engine(v4tiny_model, "litert", 320)
    assert litert_320.path == litert_416.path
    batch, _ = letterbox(read_rgb(data_dir / "motorcycle_left.png"), 320, 320)
    for a, b in zip(litert_320.run(batch), engine(v4tiny_model, "keras", 320).run(batch)):
        assert a.shape[1] in (10, 20) and np.abs(a - b).max() < 1e-4  # logits
