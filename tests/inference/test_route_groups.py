"""[route] with groups over several inputs: Darknet (route_layer.c, forward_route_layer) takes part group_id of each
input and concatenates the parts. None of the published cfgs does this and OpenCV DNN 4.14 cannot load such a cfg
(its importer miscounts the channels), so this is checked against Darknet's definition directly."""

from __future__ import annotations

import numpy as np

from tests.conftest import read_rgb
from tests.inference.test_darknet_cfg import TINY_HEAD, write
from tests.support.random_weights import write_random_weights
from yolo_desktop.inference.darknet_cfg import parse_cfg
from yolo_desktop.inference.darknet_weights import load_weights
from yolo_desktop.inference.engines.tf_env import import_tensorflow
from yolo_desktop.inference.letterbox import letterbox

CFG = (
    TINY_HEAD
    + """
[convolutional]
batch_normalize=1
filters=24
size=3
stride=1
pad=1
activation=swish

[route]
layers=-1,-2
groups=4
group_id=2

[convolutional]
size=1
stride=1
pad=1
filters=255
activation=linear

[yolo]
mask = 0,1,2
anchors = 10,14,  23,27,  37,58
classes=80
num=3
"""
)


def test_each_input_gives_its_group(tmp_path, data_dir):
    import_tensorflow()
    import keras

    from yolo_desktop.inference.keras_model import build_model

    cfg = parse_cfg(write(tmp_path, CFG))
    batch, _ = letterbox(read_rgb(data_dir / "coffee.png"), 64, 64)
    write_random_weights(tmp_path / "w.weights", cfg, seed=1, sample=batch)
    model = build_model(cfg, (64, 64), load_weights(tmp_path / "w.weights", cfg))
    probe = keras.Model(model.inputs, [model.get_layer(n).output for n in ("leaky_0", "swish_1", "route_2")])
    first, second, route = (np.asarray(t) for t in probe([batch]))
    # Inputs in the order listed (-1 = the 24-channel swish conv, then the 16-channel leaky one), part 2 of 4 each;
    # part 2 of the concatenation would be channels 20..29 (second[20:24] + first[0:6]) instead.
    expected = np.concatenate([second[..., 12:18], first[..., 8:12]], axis=-1)
    assert route.shape == (1, 64, 64, 10) and cfg.channels[2] == 10
    assert np.array_equal(route, expected)
