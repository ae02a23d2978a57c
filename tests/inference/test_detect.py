"""Real detections on real photos with the real YOLOv3-tiny weights, and exact threshold re-application."""

from __future__ import annotations

import statistics
from dataclasses import replace

import numpy as np
import pytest

from tests.conftest import read_rgb
from yolo_desktop.geometry import box_iou
from yolo_desktop.inference.decode import refilter
from yolo_desktop.inference.detector import Detector
from yolo_desktop.settings import DetectorSettings

# Where the objects are, drawn by hand on each photo (x1, y1, x2, y2 in pixels).
EXPECTED = [
    ("coffee.png", "cup", (160, 25, 425, 300)),
    ("motorcycle_left.png", "motorbike", (40, 60, 710, 470)),
    ("camera.png", "person", (0, 60, 300, 512)),
    ("motorcycle_right.png", "motorbike", (45, 85, 630, 455)),
]


@pytest.mark.parametrize("photo, label, where", EXPECTED)
def test_finds_the_object_where_it_is(detector, data_dir, photo, label, where):
    image = read_rgb(data_dir / photo)
    result = detector.detect(image, photo)
    assert result.ok and (result.width, result.height) == (image.shape[1], image.shape[0])
    matches = [d for d in result.detections if d.label == label]
    assert matches, f"no {label} in {photo}: {result.detections}"
    best = max(matches, key=lambda d: box_iou(d.box, where))
    assert box_iou(best.box, where) > 0.6
    assert best.score >= 0.25
    for d in result.detections:
        assert 0 <= d.x1 < d.x2 <= result.width and 0 <= d.y1 < d.y2 <= result.height


def test_input_size_changes_the_network_not_the_coordinates(tiny_model, data_dir):
    image = read_rgb(data_dir / "coffee.png")
    small = Detector(tiny_model, DetectorSettings(size=320)).detect(image)
    cups = [d for d in small.detections if d.label == "cup"]
    assert cups and box_iou(cups[0].box, EXPECTED[0][2]) > 0.6


@pytest.mark.parametrize(
    "conf, iou_threshold, classes",
    [
        (0.25, 0.45, None),
        (0.05, 0.45, None),
        (0.1, 0.2, None),
        (0.01, 0.9, None),
        (0.6, 0.45, None),
        (0.05, 0.45, frozenset({"person"})),
        (0.02, 0.5, frozenset({"cup", "bowl", "person"})),
    ],
)
def test_reapplying_thresholds_equals_a_fresh_run(tiny_model, data_dir, detector, conf, iou_threshold, classes):
    settings = DetectorSettings(conf=conf, iou=iou_threshold, classes=classes)
    fresh_detector = Detector(tiny_model, settings, engine="keras")
    for photo in ("camera.png", "coffee.png", "astronaut.png"):
        image = read_rgb(data_dir / photo)
        fresh = fresh_detector.detect(image, photo)  # network runs with these settings
        reapplied = refilter(detector.detect(image, photo), settings, detector.names)  # from default-run candidates
        assert reapplied.detections == fresh.detections
        assert replace(reapplied, timings={}) == replace(fresh, timings={})


def test_lower_thresholds_find_more_and_the_class_filter_filters(detector, data_dir):
    result = detector.detect(read_rgb(data_dir / "camera.png"))
    loose = refilter(result, DetectorSettings(conf=0.01), detector.names)
    assert len(loose.detections) > len(result.detections)
    people = refilter(result, DetectorSettings(conf=0.01, classes=frozenset({"person"})), detector.names)
    assert people.detections and {d.label for d in people.detections} == {"person"}
    assert refilter(result, DetectorSettings(conf=1.0), detector.names).detections == ()


def test_per_class_nms_keeps_overlapping_boxes_of_different_classes(detector, data_dir):
    result = detector.detect(read_rgb(data_dir / "astronaut.png"))
    loose = refilter(result, DetectorSettings(conf=0.01, iou=0.3), detector.names)
    for i, a in enumerate(loose.detections):
        for b in loose.detections[i + 1 :]:
            if a.class_id == b.class_id:
                assert box_iou(a.box, b.box) <= 0.3 + 1e-6


def test_max_detections(detector, data_dir):
    result = detector.detect(read_rgb(data_dir / "astronaut.png"))
    capped = refilter(result, DetectorSettings(conf=0.005, iou=1.0, max_detections=7), detector.names)
    assert len(capped.detections) == 7
    assert [d.score for d in capped.detections] == sorted((d.score for d in capped.detections), reverse=True)


def test_candidates_are_read_only(detector, data_dir):
    result = detector.detect(read_rgb(data_dir / "coffee.png"))
    assert result.candidates is not None and len(result.candidates) > 0
    with pytest.raises(ValueError):
        result.candidates.scores[0] = 1.0
    assert np.all(np.diff(result.candidates.scores) <= 0)


def test_time_per_image_here_is_measured_from_real_work_and_remembered(tiny_model, data_dir, tmp_path, monkeypatch):
    """The picker, `models list` and /v1/models show a model's time per image on this machine: the median network
    time of a detector's first images, stored once (no separate benchmark run)."""
    from yolo_desktop.inference import speed_memo
    from yolo_desktop.models.installed import accuracy_and_speed

    monkeypatch.setattr(speed_memo, "_file", lambda: tmp_path / "speed.json")
    settings = DetectorSettings(size=320)
    assert speed_memo.measured(tiny_model.weights, 320) is None
    assert accuracy_and_speed(tiny_model, 320) == ("mAP@0.5 39.2", "")
    detector = Detector(tiny_model, settings)
    image = read_rgb(data_dir / "coffee.png")
    times = [detector.detect(image).timings["network"] for _ in range(speed_memo.SAMPLES)]
    remembered = speed_memo.measured(tiny_model.weights, 320)
    assert remembered is not None and remembered["images"] == speed_memo.SAMPLES
    assert remembered["ms"] == round(statistics.median(times) * 1000, 2)
    assert remembered["engine"] == detector.engine.description
    assert accuracy_and_speed(tiny_model, 320)[1] == f"{remembered['ms']:.0f} ms/image here"
    assert speed_memo.measured(tiny_model.weights, 416) is None  # per size (and precision)
