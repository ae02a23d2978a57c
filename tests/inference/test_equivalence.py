"""The Keras model against an independent Darknet implementation: OpenCV's importer (cv2.dnn).

Same letterboxed input into both; the raw head tensors (the input of each [yolo] layer) must agree to 1e-4, and
the decoded boxes to OpenCV's own yolo-layer output. OpenCV runs with Winograd convolution off, so its reference
is a direct convolution rather than a faster but less exact transform. YOLOv3-tiny and YOLOv4-tiny run their real
weights; the other architectures random weights written in Darknet format (tests/support/random_weights.py).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import read_rgb
from tests.support.random_weights import write_random_weights
from tests.support.tolerance import SCORE, assert_same_detections, undecided
from yolo_desktop.inference.darknet_cfg import parse_cfg
from yolo_desktop.inference.decode import decode_heads
from yolo_desktop.inference.detector import head_specs
from yolo_desktop.inference.engines import create_engine
from yolo_desktop.inference.letterbox import letterbox
from yolo_desktop.inference.model_spec import DarknetModel, ModelFiles

# Raw heads are logits (1e-4 moves objectness × class by ≤ 5e-5); decoded values are scores (score units)
# and boxes as fractions of the input side (1e-4 = 0.04 px at 416).
TOLERANCE = 1e-4


def opencv_head_name(cfg, yolo) -> str:
    """OpenCV names layers by Darknet index: the conv feeding [yolo] at index i is "conv_{i-1}"; an activation
    after it is named with the next index ("logistic_{i}", for the new_coords heads)."""
    conv = cfg.layers[yolo.index - 1]
    return f"conv_{conv.index}" if conv.activation == "linear" else f"{conv.activation}_{yolo.index}"


def opencv_heads(cfg_path, weights_path, batch: np.ndarray, cfg) -> list[np.ndarray]:
    net = cv2.dnn.readNetFromDarknet(str(cfg_path), str(weights_path))
    net.enableWinograd(False)
    net.setInput(np.ascontiguousarray(batch.transpose(0, 3, 1, 2)))
    names = [opencv_head_name(cfg, layer) for layer in cfg.yolo_layers]
    return [out.transpose(0, 2, 3, 1) for out in net.forward(names)]


def opencv_yolo_rows(cfg_path, weights_path, batch: np.ndarray) -> np.ndarray:
    net = cv2.dnn.readNetFromDarknet(str(cfg_path), str(weights_path))
    net.enableWinograd(False)
    net.setInput(np.ascontiguousarray(batch.transpose(0, 3, 1, 2)))
    return np.concatenate(net.forward(net.getUnconnectedOutLayersNames()))


_heads: dict[tuple[str, str, bytes], list[np.ndarray]] = {}


def keras_heads(cfg_path, weights_path, batch: np.ndarray) -> list[np.ndarray]:
    """The Keras reference's heads, computed once per model and input (the big nets take seconds to build)."""
    key = (str(cfg_path), str(weights_path), hashlib.sha256(batch.tobytes()).digest())
    if key not in _heads:
        size = (batch.shape[1], batch.shape[2])
        files = ModelFiles(Path(cfg_path).stem, Path(cfg_path), Path(weights_path), None)
        model = DarknetModel(files, parse_cfg(cfg_path))
        _heads[key] = create_engine("keras", model, size).run(batch)
    return _heads[key]


def compare(cfg_path, weights_path, batch: np.ndarray, tolerance: float = TOLERANCE) -> list[np.ndarray]:
    cfg = parse_cfg(cfg_path)
    ours = keras_heads(cfg_path, weights_path, batch)
    reference = opencv_heads(cfg_path, weights_path, batch, cfg)
    assert [o.shape for o in ours] == [r.shape for r in reference]
    for mine, theirs in zip(ours, reference):
        assert np.abs(mine - theirs).max() < tolerance, f"{cfg_path}: max diff {np.abs(mine - theirs).max():.2e}"
    return ours


@pytest.mark.parametrize(
    "photo, size", [("coffee.png", 416), ("astronaut.png", 416), ("motorcycle_left.png", 320), ("camera.png", 608)]
)
def test_tiny_real_weights_match_opencv(tiny_model, data_dir, photo, size):
    batch, _ = letterbox(read_rgb(data_dir / photo), size, size)
    compare(tiny_model.cfg, tiny_model.weights, batch)


def test_decoded_boxes_match_opencv_yolo_layer(tiny_model, data_dir):
    """Our decode (sigmoid offsets, exp anchors, objectness) against OpenCV's own [yolo] layer output."""
    cfg = parse_cfg(tiny_model.cfg)
    batch, _ = letterbox(read_rgb(data_dir / "astronaut.png"), 416, 416)
    heads = create_engine("keras", DarknetModel(tiny_model, cfg), (416, 416)).run(batch)
    rows = opencv_yolo_rows(tiny_model.cfg, tiny_model.weights, batch)  # (N, 5 + C): cx, cy, w, h (0..1), obj, ...
    # Every anchor of every cell, in OpenCV's row order (cell-major, anchor-minor), from our decoder with floor 0.
    specs = head_specs(cfg)
    for head, spec in zip(heads, specs):
        g_h, g_w = head.shape[1:3]
        grid = head.reshape(g_h, g_w, len(spec.anchors), -1)
        sig = 1 / (1 + np.exp(-grid))
        cx = (np.arange(g_w)[None, :, None] + sig[..., 0]) / g_w
        cy = (np.arange(g_h)[:, None, None] + sig[..., 1]) / g_h
        w = np.exp(grid[..., 2]) * spec.anchors[:, 0] / 416
        h = np.exp(grid[..., 3]) * spec.anchors[:, 1] / 416
        ours = np.stack([cx, cy, w, h, sig[..., 4]], axis=-1).reshape(-1, 5)
        theirs, rows = rows[: len(ours), :5], rows[len(ours) :]
        assert np.abs(ours - theirs).max() < TOLERANCE  # fractions of the input side, objectness: every cell


@pytest.mark.parametrize("photo", ["camera.png", "coffee.png", "motorcycle_left.png"])
def test_production_decoder_gives_opencvs_boxes(tiny_model, data_dir, photo):
    """``decode_heads`` (what the app runs) against OpenCV's [yolo] layer: the same (box, class, score) set, boxes
    within 0.05 px, scores within 1e-4. OpenCV zeroes class scores under its own threshold, so both are compared
    from 0.25 up; a score within 1e-4 of 0.25 may fall on either side (its last bits are the runtime's)."""
    cfg = parse_cfg(tiny_model.cfg)
    batch, _ = letterbox(read_rgb(data_dir / photo), 416, 416)
    heads = create_engine("keras", DarknetModel(tiny_model, cfg), (416, 416)).run(batch)
    boxes, scores, classes = decode_heads(heads, head_specs(cfg), 416, 416, floor=0.25 - SCORE)
    rows = opencv_yolo_rows(tiny_model.cfg, tiny_model.weights, batch)  # cx, cy, w, h in 0..1, obj, class scores
    row_ids, their_classes = np.nonzero(rows[:, 5:] >= 0.25)
    cx, cy, w, h = (rows[row_ids, k] * 416 for k in range(4))
    their_boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    their_scores = rows[row_ids, 5 + their_classes]
    ours = np.column_stack([boxes, scores, classes])[np.argsort(-scores, kind="stable")]
    theirs = np.column_stack([their_boxes, their_scores, their_classes])[np.argsort(-their_scores, kind="stable")]
    at_threshold = ours[undecided(ours[:, :4], ours[:, 4], ours[:, 5], conf=0.25, iou=1.0, nms=False)]
    assert len(theirs) > 0
    assert_same_detections(ours[ours[:, 4] >= 0.25], theirs, at_threshold, photo)  # boxes in network pixels


@pytest.mark.parametrize("name", ["yolov3", "yolov3-spp"])
def test_full_size_random_weights_match_opencv(shared_cfg, tmp_path, data_dir, name):
    cfg_path = shared_cfg(name)
    cfg = parse_cfg(cfg_path)
    weights = tmp_path / f"{name}.weights"
    # 320, as the YOLOv4 families below: every route, shortcut, SPP pool and upsample is exercised at any input size,
    # at 60 % of 416's cost.
    batch, _ = letterbox(read_rgb(data_dir / "astronaut.png"), 320, 320)
    # Batch norms calibrated on this input, heads scaled to vary with std 0.25: large enough that a wrong route,
    # pool or upsample changes outputs by ~0.1, small enough that float32 rounding (1e-5 relative after 75
    # layers) stays under the 1e-4 tolerance.
    write_random_weights(weights, cfg, seed=7, sample=batch, head_std=0.25)
    heads = compare(cfg_path, weights, batch)
    for head in heads:
        # "Not flat": every head varies across the image, and objectness spans a real range.
        assert head.std(axis=(1, 2)).mean() > 0.15
        objectness = 1 / (1 + np.exp(-head[..., 4::85]))
        assert objectness.max() - objectness.min() > 0.2


# --- YOLOv4 / YOLOv7 families -------------------------------------------------------------------------------------


@pytest.mark.parametrize("photo, size", [("astronaut.png", 416), ("coffee.png", 416), ("camera.png", 608)])
def test_yolov4_tiny_real_weights_match_opencv(v4tiny_model, data_dir, photo, size):
    """Route groups (a channel half), the stride-1 maxpool, two heads with scale_x_y: real weights, three inputs."""
    batch, _ = letterbox(read_rgb(data_dir / photo), size, size)
    compare(v4tiny_model.cfg, v4tiny_model.weights, batch)


# (cfg, input size, tolerance on the raw heads). YOLOv4 with random weights: float32 rounding grows through its 110
# convs; compared with OpenCV at every shortcut, route and pool it grows smoothly (1e-5 in the backbone to 1e-3 at
# the end of the neck, never a jump, so nothing is computed differently), and its heads (std 0.25) differ by up to
# 5e-4 at 320, hence 1e-3: still ~100× below what a wrong route, pool or activation changes. The new_coords heads
# of YOLOv4-CSP and YOLOv7-tiny are compared after their logistic (values in 0..1).
RANDOM_FAMILIES = [("yolov7-tiny", 416, TOLERANCE), ("yolov4-csp", 320, TOLERANCE), ("yolov4", 320, 1e-3)]


@pytest.fixture(scope="module")
def random_family(shared_cfg, tmp_path_factory, data_dir):
    """(cfg path, random weights calibrated on the photo, letterboxed photo) per architecture, made once."""
    made: dict[str, tuple] = {}

    def get(name: str, size: int):
        if name not in made:
            cfg_path = shared_cfg(name)
            batch, _ = letterbox(read_rgb(data_dir / "astronaut.png"), size, size)
            weights = tmp_path_factory.mktemp(name) / f"{name}.weights"
            write_random_weights(weights, parse_cfg(cfg_path), seed=7, sample=batch, head_std=0.25)
            made[name] = (cfg_path, weights, batch)
        return made[name]

    return get


@pytest.mark.parametrize("name, size, tolerance", RANDOM_FAMILIES)
def test_families_random_weights_match_opencv(random_family, name, size, tolerance):
    cfg_path, weights, batch = random_family(name, size)
    cfg = parse_cfg(cfg_path)
    heads = compare(cfg_path, weights, batch, tolerance)
    for head, yolo in zip(heads, cfg.yolo_layers):
        logits = np.log(head / (1 - head)) if yolo.new_coords else head
        # "Not flat": every head varies across the image, and objectness spans a real range.
        assert logits.std(axis=(1, 2)).mean() > 0.15
        objectness = 1 / (1 + np.exp(-logits[..., 4 :: 5 + yolo.classes]))
        assert objectness.max() - objectness.min() > 0.2


def opencv_yolo_outputs(cfg_path, weights_path, batch: np.ndarray, cfg) -> list[np.ndarray]:
    """OpenCV's [yolo] layers (decoded, per head in cfg order): rows of cx, cy, w, h (0..1), objectness, class scores
    (objectness × class probability, zeroed below OpenCV's threshold), one row per cell and anchor."""
    net = cv2.dnn.readNetFromDarknet(str(cfg_path), str(weights_path))
    net.enableWinograd(False)
    net.setInput(np.ascontiguousarray(batch.transpose(0, 3, 1, 2)))
    return list(net.forward([f"yolo_{layer.index}" for layer in cfg.yolo_layers]))


def check_decoder(cfg_path, weights_path, batch: np.ndarray, tolerance: float) -> None:
    """``decode_heads`` (what the app runs) on our heads against OpenCV's decode of its own, every cell and anchor:
    scale_x_y offsets, e^t or (2t)² sizes, sigmoid or not (new_coords), objectness × class."""
    cfg = parse_cfg(cfg_path)
    size = batch.shape[1]
    heads = keras_heads(cfg_path, weights_path, batch)
    compared = 0
    for head, spec, rows in zip(heads, head_specs(cfg), opencv_yolo_outputs(cfg_path, weights_path, batch, cfg)):
        # floor 0 keeps every (cell, anchor) × class, in OpenCV's row order (row, column, anchor), classes inner.
        boxes, scores, _ = decode_heads([head], [spec], size, size, floor=0.0)
        boxes, scores = boxes.reshape(-1, spec.classes, 4)[:, 0], scores.reshape(-1, spec.classes)
        ours = np.column_stack([(boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2]]) / size
        assert ours.shape == rows[:, :4].shape
        assert (np.abs(ours - rows[:, :4]) / (1 + np.abs(rows[:, :4]))).max() < tolerance  # fractions of the side
        theirs = rows[:, 5:]
        kept = theirs > 0  # OpenCV zeroes class scores at or below its threshold (0.2)
        compared += int(kept.sum())
        if kept.any():
            assert np.abs(scores[kept] - theirs[kept]).max() < tolerance  # score units, every cell and anchor
            assert scores[~kept].max() < theirs[kept].min() + tolerance  # it zeroed only what scores below
        else:
            assert scores.max() <= 0.2 + tolerance
    assert compared > 0


@pytest.mark.parametrize("photo", ["camera.png", "coffee.png"])
def test_yolov4_tiny_decoder_matches_opencv(v4tiny_model, data_dir, photo):
    batch, _ = letterbox(read_rgb(data_dir / photo), 416, 416)
    check_decoder(v4tiny_model.cfg, v4tiny_model.weights, batch, TOLERANCE)


@pytest.mark.parametrize("name, size, tolerance", RANDOM_FAMILIES)
def test_families_decoder_matches_opencv(random_family, name, size, tolerance):
    cfg_path, weights, batch = random_family(name, size)
    check_decoder(cfg_path, weights, batch, tolerance)
