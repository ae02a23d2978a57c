"""The pipelined batch loop: order kept, failures reported in place, cancel between images, and reduced JPEG
decoding that leaves the detections as they were."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.conftest import read_rgb
from yolo_desktop.batch import collect_inputs, detect_many
from yolo_desktop.imaging import load
from yolo_desktop.metrics import agreement, matched_pairs


@pytest.fixture(scope="module")
def big_photos(tmp_path_factory, data_dir):
    """Real photos enlarged to ≥ 4× the network size, saved as JPEG (the case reduced decoding is for)."""
    folder = tmp_path_factory.mktemp("big")
    for name in ("coffee.png", "motorcycle_left.png", "camera.png", "astronaut.png", "chelsea.png"):
        image = read_rgb(data_dir / name)
        big = cv2.resize(image, (image.shape[1] * 4, image.shape[0] * 4), interpolation=cv2.INTER_CUBIC)
        Image.fromarray(big).save(folder / f"{name.split('.')[0]}.jpg", quality=92)
    return folder


def test_order_failures_and_results(tmp_path, app_detector, big_photos):
    (big_photos / "zz broken.jpg").write_bytes(b"\xff\xd8 not really")
    try:
        items, _ = collect_inputs([big_photos])
        out = list(detect_many(app_detector, items))
    finally:
        (big_photos / "zz broken.jpg").unlink()
    assert [item.path for item, _, _ in out] == [item.path for item in items]
    assert [result.path for _, result, _ in out] == [item.path for item in items]
    broken = out[-1][1]
    assert broken.error and "not a supported image" in broken.error and out[-1][2] is None
    assert all(r.ok for _, r, _ in out[:-1])
    assert {d.label for _, r, _ in out for d in r.detections} >= {"cup", "motorbike", "person"}


def test_reduced_decode_keeps_the_detections(app_detector, big_photos):
    items, _ = collect_inputs([big_photos])
    full = {i.path: r for i, r, _ in detect_many(app_detector, items)}
    reduced = {}
    for item, result, image in detect_many(app_detector, items, reduce_to=app_detector.input_size):
        assert image.scale in (2, 4) and (result.width, result.height) == (
            full[item.path].width,
            full[item.path].height,
        )
        reduced[item.path] = result
    pairs = [(reduced[p].detections, full[p].detections) for p in full]
    assert agreement(pairs).f1 >= 0.95
    for mine, theirs in pairs:
        assert matched_pairs(mine, theirs, threshold=0.85) >= len(theirs) - 1  # boxes nearly identical


def test_cancel_stops_between_images(app_detector, big_photos):
    items, _ = collect_inputs([big_photos])
    cancel = threading.Event()
    seen = []
    for item, _result, _image in detect_many(app_detector, items, cancel=cancel):
        seen.append(item)
        cancel.set()
    assert len(seen) == 1


def test_full_decode_is_upright_and_full_size(big_photos):
    image = load(big_photos / "coffee.jpg")
    assert image.scale == 1 and image.rgb.shape == (1600, 2400, 3)
    reduced = load(big_photos / "coffee.jpg", reduce_to=416)
    assert reduced.scale == 2 and (reduced.width, reduced.height) == (2400, 1600)
    assert np.allclose(
        cv2.resize(image.rgb, (1200, 800), interpolation=cv2.INTER_AREA).mean(), reduced.rgb.mean(), atol=2
    )
