"""The cfg parser: the official YOLOv3, YOLOv4 and YOLOv7-tiny architectures, the keys they use, and clear errors
(file:line [section] (layer n)) for everything else."""

from __future__ import annotations

from pathlib import Path

import pytest

from yolo_desktop.inference.darknet_cfg import (
    CfgError,
    ConvSection,
    MaxPoolSection,
    RouteSection,
    ShortcutSection,
    UpsampleSection,
    YoloSection,
    parse_cfg,
)

TINY_HEAD = """[net]
width=416
height=416
channels=3

[convolutional]
batch_normalize=1
filters=16
size=3
stride=1
pad=1
activation=leaky
"""

TINY_TAIL = """
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


def write(tmp_path: Path, text: str, name: str = "model.cfg") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_tiny_structure(tiny_model):
    cfg = parse_cfg(tiny_model.cfg)
    assert (cfg.net.width, cfg.net.height, cfg.net.channels) == (416, 416, 3)
    assert len(cfg.layers) == 24
    assert len(cfg.conv_layers) == 13
    assert [y.anchors for y in cfg.yolo_layers] == [((81, 82), (135, 169), (344, 319)), ((23, 27), (37, 58), (81, 82))]
    maxpools = [layer for layer in cfg.layers if isinstance(layer, MaxPoolSection)]
    assert [(m.size, m.stride, m.padding) for m in maxpools][-1] == (2, 1, 1)  # the stride-1 pool of layer 11
    route = cfg.layers[20]
    assert isinstance(route, RouteSection) and route.layers == (19, 8)  # "-1, 8": relative and absolute
    assert cfg.classes == 80


@pytest.mark.parametrize("name, layers, convs, yolos", [("yolov3", 107, 75, 3), ("yolov3-spp", 114, 76, 3)])
def test_full_size_structure(shared_cfg, name, layers, convs, yolos):
    cfg = parse_cfg(shared_cfg(name))
    assert len(cfg.layers) == layers
    assert len(cfg.conv_layers) == convs
    assert len(cfg.yolo_layers) == yolos
    assert any(isinstance(layer, ShortcutSection) for layer in cfg.layers)
    assert any(isinstance(layer, UpsampleSection) for layer in cfg.layers)
    strided = [c for c in cfg.conv_layers if c.stride == 2]
    assert len(strided) == 5 and all(c.padding == 1 for c in strided)
    if name == "yolov3-spp":
        pools = [layer for layer in cfg.layers if isinstance(layer, MaxPoolSection)]
        assert [(p.size, p.stride) for p in pools] == [(5, 1), (9, 1), (13, 1)]
        four_way = [r for r in cfg.layers if isinstance(r, RouteSection) and len(r.layers) == 4]
        assert len(four_way) == 1


def test_custom_class_count(tmp_path):
    cfg = parse_cfg(
        write(tmp_path, TINY_HEAD + TINY_TAIL.replace("filters=255", "filters=21").replace("classes=80", "classes=2"))
    )
    assert cfg.classes == 2
    assert isinstance(cfg.layers[-1], YoloSection)
    assert isinstance(cfg.layers[0], ConvSection)


@pytest.mark.parametrize(
    "edit, line, section, words",
    [
        (lambda t: t + "\n[region]\nclasses=80\n", 27, "[region]", "unsupported section"),
        (lambda t: t.replace("filters=16\n", ""), 6, "[convolutional]", "missing required key 'filters'"),
        (lambda t: t.replace("filters=16", "filters=sixteen"), 8, "[convolutional]", "is not an integer"),
        (lambda t: t.replace("activation=leaky", "activation=elu"), 12, "[convolutional]", "activation='elu'"),
        (
            lambda t: t.replace("stride=1\npad=1\nactivation=leaky", "stride=1\npad=1\ngroups=2\nactivation=leaky"),
            12,
            "[convolutional]",
            "groups=2 is not supported",
        ),
        (lambda t: t + "\n[route]\nlayers=-2, 40\n", 28, "[route]", "not an earlier layer"),
        (lambda t: t + "\n[route]\nlayers=-1\n", 28, "[route]", "a [yolo] section"),
        (lambda t: t + "\n[route]\nlayers=-1,-2,-3,-1,-2\n", 28, "[route]", "at most 4"),
        (lambda t: t.replace("filters=255", "filters=254"), 21, "[yolo]", "set filters=255"),
        (lambda t: t.replace("mask = 0,1,2", "mask = 0,1,7"), 22, "[yolo]", "outside 0..2"),
        (lambda t: t.replace("width=416", "width=416\nwidth=320"), 3, "[net]", "given twice"),
        (lambda t: t.replace("channels=3", "channels=1"), 4, "[net]", "only 3-channel"),
        (
            lambda t: t.replace("pad=1\nactivation=leaky", "pad=1\nthis line is garbage\nactivation=leaky"),
            12,
            "",
            "expected 'key=value'",
        ),
    ],
)
def test_errors_name_file_line_and_section(tmp_path, edit, line, section, words):
    path = write(tmp_path, edit(TINY_HEAD + TINY_TAIL))
    with pytest.raises(CfgError) as error:
        parse_cfg(path)
    message = str(error.value)
    assert f"{path}:{line}" in message
    assert section in message
    assert words in message


def test_first_section_must_be_net(tmp_path):
    path = write(tmp_path, TINY_HEAD.replace("[net]", "[convolutional]") + TINY_TAIL)
    with pytest.raises(CfgError, match=r"model.cfg:1: \[convolutional\]: the first section must be \[net\]"):
        parse_cfg(path)


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "no sections found"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "not a text file"),
        (b"<html><body>404 Not Found</body></html>\n", "expected 'key=value'"),
        (TINY_HEAD.encode(), "no [yolo] section"),
    ],
)
def test_garbage_files(tmp_path, content, words):
    path = tmp_path / "garbage.cfg"
    path.write_bytes(content)
    with pytest.raises(CfgError) as error:
        parse_cfg(path)
    assert str(path) in str(error.value)
    assert words in str(error.value)


def test_missing_file(tmp_path):
    with pytest.raises(CfgError, match="cannot read"):
        parse_cfg(tmp_path / "nope.cfg")


# The families added for YOLOv4/v7: (name, layers, convs, [yolo] (index, scale_x_y, new_coords, anchors[0])).
FAMILIES = [
    ("yolov4-tiny", 38, 21, [(30, 1.05, False, (81, 82)), (37, 1.05, False, (23, 27))]),
    ("yolov4", 162, 110, [(139, 1.2, False, (12, 16)), (150, 1.1, False, (36, 75)), (161, 1.05, False, (142, 110))]),
    ("yolov4-csp", 175, 115, [(144, 2.0, True, (12, 16)), (159, 2.0, True, (36, 75)), (174, 2.0, True, (142, 110))]),
    ("yolov7-tiny", 99, 58, [(90, 2.0, True, (10, 13)), (94, 2.0, True, (30, 61)), (98, 2.0, True, (116, 90))]),
]


@pytest.mark.parametrize("name, layers, convs, heads", FAMILIES)
def test_family_structure(shared_cfg, name, layers, convs, heads):
    cfg = parse_cfg(shared_cfg(name))
    assert (len(cfg.layers), len(cfg.conv_layers)) == (layers, convs)
    assert [(y.index, y.scale_x_y, y.new_coords, y.anchors[0]) for y in cfg.yolo_layers] == heads
    for yolo in cfg.yolo_layers:
        head = cfg.layers[yolo.index - 1]
        assert isinstance(head, ConvSection) and head.activation == ("logistic" if yolo.new_coords else "linear")


def test_yolov4_tiny_groups_and_unused_anchor(shared_cfg):
    cfg = parse_cfg(shared_cfg("yolov4-tiny"))
    grouped = [r for r in cfg.layers if isinstance(r, RouteSection) and r.groups > 1]
    assert [(r.index, r.layers, r.groups, r.group_id) for r in grouped] == [
        (3, (2,), 2, 1),
        (11, (10,), 2, 1),
        (19, (18,), 2, 1),
    ]
    assert [cfg.channels[r.index] for r in grouped] == [32, 64, 128]  # half of 64, 128, 256
    # masks 3,4,5 and 1,2,3 of six anchors: anchor 0 (10,14) is used by no head
    assert (10, 14) not in {a for y in cfg.yolo_layers for a in y.anchors}


def test_yolov4_spp_and_activations(shared_cfg):
    cfg = parse_cfg(shared_cfg("yolov4"))
    pools = [layer for layer in cfg.layers if isinstance(layer, MaxPoolSection)]
    assert [(p.size, p.stride, p.padding) for p in pools] == [(5, 1, 4), (9, 1, 8), (13, 1, 12)]
    assert {c.activation for c in cfg.conv_layers} == {"mish", "leaky", "linear"}
    assert {s.activation for s in cfg.layers if isinstance(s, ShortcutSection)} == {"linear"}


ACCEPTED = (
    TINY_HEAD
    + """
[convolutional]
batch_normalize=1
filters=16
size=1
stride=1
pad=1
activation=mish

[shortcut]
from=-2
activation=swish

[route]
layers=-1,-3
groups=4
group_id=3

[maxpool]
size=2
stride=1

[convolutional]
size=1
stride=1
pad=1
filters=255
activation=logistic

[yolo]
mask = 0,1,2
anchors = 10,14,  23,27,  37,58
classes=80
num=3
scale_x_y = 1.05
new_coords=1
iou_normalizer=0.07
nms_kind=greedynms
beta_nms=0.6
max_delta=5
resize=1.5
"""
)


def test_new_keys_accepted(tmp_path):
    cfg = parse_cfg(write(tmp_path, ACCEPTED))
    conv, shortcut, route, pool, head, yolo = cfg.layers[1:]
    assert isinstance(conv, ConvSection) and conv.activation == "mish"
    assert isinstance(shortcut, ShortcutSection) and (shortcut.source, shortcut.activation) == (0, "swish")
    assert isinstance(route, RouteSection) and (route.layers, route.groups, route.group_id) == ((2, 0), 4, 3)
    assert cfg.channels[route.index] == 16 // 4 + 16 // 4  # a part of each input, then concatenated
    assert isinstance(pool, MaxPoolSection) and (pool.size, pool.stride, pool.padding) == (2, 1, 1)
    assert isinstance(head, ConvSection) and head.activation == "logistic"
    assert isinstance(yolo, YoloSection) and (yolo.scale_x_y, yolo.new_coords) == (1.05, True)


@pytest.mark.parametrize(
    "old, new, line, section, words",
    [
        ("group_id=3", "group_id=4", 29, "[route] (layer 3)", "group_id=4 must be below groups=4"),
        (
            "groups=4\ngroup_id=3",
            "groups=3\ngroup_id=2",
            26,
            "[route] (layer 3)",
            "groups=3 does not divide the 16 channels of layer 2",
        ),
        ("groups=4", "groups=0", 28, "[route] (layer 3)", "groups=0 must be at least 1"),
        ("activation=swish", "activation=relu", 24, "[shortcut] (layer 2)", "activation='relu' is not supported"),
        ("scale_x_y = 1.05", "scale_x_y = 0", 47, "[yolo] (layer 6)", "scale_x_y=0.0 must be a positive number"),
        ("scale_x_y = 1.05", "scale_x_y = big", 47, "[yolo] (layer 6)", "scale_x_y='big' is not a number"),
        ("new_coords=1", "new_coords=2", 48, "[yolo] (layer 6)", "new_coords=2 is not supported"),
        ("activation=logistic", "activation=linear", 48, "[yolo] (layer 6)", "activation=logistic"),
        ("size=2\nstride=1", "size=2\nstride=1\nmaxpool_zero_nonmax=1", 34, "[maxpool] (layer 4)", "not supported"),
        ("new_coords=1", "new_coords=1\nembedding_layer=-3", 49, "[yolo] (layer 6)", "embedding_layer=-3 is not"),
    ],
)
def test_new_keys_refused_with_file_line_and_section(tmp_path, old, new, line, section, words):
    assert old in ACCEPTED
    path = write(tmp_path, ACCEPTED.replace(old, new))
    with pytest.raises(CfgError) as error:
        parse_cfg(path)
    message = str(error.value)
    assert f"{path}:{line}: {section}" in message and words in message, message
