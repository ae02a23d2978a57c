"""The one box geometry (IoU, IoS, clipping) against hand-computed overlaps and a brute-force pixel count, and the
array-based detections type: rows and arrays say the same thing, it cannot be changed, and it refuses rows that
do not fit its names."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import read_rgb
from yolo_desktop import records
from yolo_desktop.geometry import areas, as_boxes, box_iou, centres, clip, empty, ios, iou
from yolo_desktop.inference.decode import select
from yolo_desktop.inference.nms import keep
from yolo_desktop.records import detection_record
from yolo_desktop.results import Detection, Detections, ImageResult
from yolo_desktop.settings import DetectorSettings
from yolo_desktop.video.tracking import Tracker, TrackingOptions


def test_iou_and_ios_of_hand_made_boxes():
    a = as_boxes([(0, 0, 10, 10)])
    b = as_boxes([(5, 0, 15, 10), (0, 0, 10, 10), (20, 20, 30, 30), (2, 2, 4, 4), (3, 3, 3, 9)])
    # shared 50 of 150; identical; apart; inside (4 of 4); an empty box (zero width) overlaps nothing
    np.testing.assert_allclose(iou(a, b)[0], [50 / 150, 1.0, 0.0, 4 / 100, 0.0])
    np.testing.assert_allclose(ios(a, b)[0], [0.5, 1.0, 0.0, 1.0, 0.0])
    assert box_iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(1 / 3)
    np.testing.assert_allclose(areas(b), [100, 100, 100, 4, 0])
    np.testing.assert_allclose(centres(b)[0], [10, 5])


def test_iou_equals_a_pixel_count_on_random_integer_boxes():
    rng = np.random.default_rng(7)
    corners = rng.integers(0, 40, size=(60, 2, 2))
    boxes = np.concatenate([corners.min(axis=1), corners.max(axis=1)], axis=1).astype(np.float64)
    masks = np.zeros((len(boxes), 40, 40), bool)
    for k, (x1, y1, x2, y2) in enumerate(boxes.astype(int)):
        masks[k, y1:y2, x1:x2] = True
    inter = np.einsum("ayx,byx->ab", masks.astype(np.int64), masks.astype(np.int64))
    union = masks.sum(axis=(1, 2))[:, None] + masks.sum(axis=(1, 2))[None, :] - inter
    expected = np.divide(inter, union, out=np.zeros(inter.shape), where=union > 0)
    np.testing.assert_allclose(iou(boxes, boxes), expected, atol=1e-12)


def test_clip_keeps_dtype_and_limits():
    boxes = np.array([[-5, -1, 50, 20], [3, 4, 5, 6]], np.float32)
    clipped = clip(boxes, 40, 10)
    assert clipped.dtype == np.float32
    np.testing.assert_array_equal(clipped, [[0, 0, 40, 10], [3, 4, 5, 6]])


NAMES = ("person", "car", "dog")


def make() -> Detections:
    return Detections(
        np.array([[1, 2, 3, 4], [10.5, 20.25, 30, 40]], np.float32),
        np.array([0.9, 0.4], np.float32),
        np.array([1, 0], np.int32),
        NAMES,
        np.array([7, -1], np.int32),
    )


def test_rows_and_arrays_agree_and_round_trip():
    detections = make()
    assert len(detections) == 2 and bool(detections)
    first, second = detections
    assert first == Detection(1, "car", pytest.approx(0.9), 1.0, 2.0, 3.0, 4.0, 7)
    assert second.label == "person" and second.track_id is None and second.box == (10.5, 20.25, 30.0, 40.0)
    assert detections[1] is second  # rows are made once
    assert detections.labels == ("car", "person")
    assert detections.counts() == {"car": 1, "person": 1}
    again = Detections.from_rows(detections, NAMES)
    assert again == detections
    assert detections == tuple(detections.rows)  # comparable with rows, as results were before
    assert Detections.from_rows([]) == Detections.empty() == ()
    untracked = detections.with_track_ids(None)
    assert not untracked.tracked and all(d.track_id is None for d in untracked)
    assert detections.take([1]).labels == ("person",)
    assert detections.take(np.array([False, True])) == detections.take([1])


def test_it_cannot_be_changed_and_refuses_what_does_not_fit():
    detections = make()
    with pytest.raises(ValueError):
        detections.boxes[0, 0] = 5.0
    with pytest.raises(AttributeError):
        detections.names = ()  # type: ignore[misc]
    with pytest.raises(ValueError, match="outside the 3 names"):
        Detections(np.zeros((1, 4)), np.ones(1), np.array([3]), NAMES)
    with pytest.raises(ValueError, match="1 boxes but 2 scores"):
        Detections(np.zeros((1, 4)), np.ones(2), np.array([0]), NAMES)
    with pytest.raises(ValueError, match="track ids"):
        Detections(np.zeros((1, 4)), np.ones(1), np.array([0]), NAMES, np.array([1, 2]))


def test_empty_boxes_are_those_without_area():
    boxes = np.array([[0, 0, 5, 5], [5, 0, 5, 9], [3, 4, 9, 2], [0, 0, 1e-3, 1e-3]], np.float32)
    assert empty(boxes).tolist() == [False, True, True, False]


# ----- selection, the records and the tracker read the one type -----------------------------------------------


def _rows_as_before(candidates, kept, names, width, height, max_detections):
    """What selection made before it used arrays: each kept box's float32 corners as Python floats clipped against
    the integer image size (so a clipped right or bottom edge is that int), boxes entirely outside dropped, then
    the cap."""
    rows = []
    for i in kept:
        x1, y1, x2, y2 = (float(v) for v in candidates.boxes[i])
        x1, x2 = min(max(x1, 0.0), width), min(max(x2, 0.0), width)
        y1, y2 = min(max(y1, 0.0), height), min(max(y2, 0.0), height)
        if x2 <= x1 or y2 <= y1:
            continue
        class_id = int(candidates.class_ids[i])
        rows.append(Detection(class_id, names[class_id], float(candidates.scores[i]), x1, y1, x2, y2))
        if len(rows) == max_detections:
            break
    return rows


@pytest.mark.parametrize("crop", [(1.0, 1.0), (0.55, 0.7)])
def test_selection_gives_the_rows_and_files_it_gave_before(app_detector, data_dir, crop):
    """On a real photo's candidates — and on the same candidates in a smaller frame, so that many boxes are clipped
    and some fall entirely outside — ``select`` keeps the same boxes, in the same order, with the same float values
    as the row-by-row code did, and the people's records are the same JSON text, byte for byte."""
    result = app_detector.detect(read_rgb(data_dir / "astronaut.png"), "astronaut.png")
    candidates = result.candidates
    assert candidates is not None
    width, height = round(result.width * crop[0]), round(result.height * crop[1])
    settings = DetectorSettings(conf=0.005, iou=0.5, max_detections=30)
    shown = select(candidates, settings, app_detector.names, width, height)
    indices = np.flatnonzero(candidates.scores >= settings.conf)
    kept = indices[
        keep(candidates.boxes[indices], candidates.scores[indices], candidates.class_ids[indices], None, settings.iou)
    ]
    before = _rows_as_before(candidates, kept, app_detector.names, width, height, settings.max_detections)
    clipped_edges = sum(d.x2 == width or d.y2 == height for d in before)
    assert len(before) == settings.max_detections and clipped_edges > 3
    assert shown == tuple(before)
    assert shown.boxes.dtype == np.float32 and shown.names == tuple(app_detector.names)
    np.testing.assert_array_equal(shown.boxes, np.array([d.box for d in before], np.float32))
    # detections.json's record of each box, and the exact rows of part files and Redis jobs, as they were written
    framed = ImageResult("p.png", width, height, shown)
    old_people = [{**detection_record(d), "box": [round(v, 2) for v in d.box]} for d in before]
    assert json.dumps(records.image_record(framed)["detections"]) == json.dumps(old_people)
    old_exact = [[d.class_id, d.label, d.score, *d.box] for d in before]
    assert json.dumps(records.result_to_dict(framed)["detections"]) == json.dumps(old_exact)


def test_the_tracker_returns_the_frame_it_was_given_with_track_ids():
    frames = [
        Detections(
            np.array([[10 + 5 * k, 20, 70 + 5 * k, 140], [300, 50, 360, 170 + k]], np.float32),
            np.array([0.9, 0.3], np.float32),
            np.array([0, 2], np.int32),
            NAMES,
        )
        for k in range(4)
    ]
    tracker = Tracker(TrackingOptions(min_frames=2))
    tracked = [tracker.update(k, k / 10, frame) for k, frame in enumerate(frames)]
    for frame, out in zip(frames, tracked):  # the very arrays, with ids beside them: no rows in between
        assert out.boxes is frame.boxes and out.scores is frame.scores and out.class_ids is frame.class_ids
    assert [out.track_ids.tolist() for out in tracked] == [[-1, -1], [1, 2], [1, 2], [1, 2]]
    assert [d.track_id for d in tracked[0]] == [None, None] and tracked[1][1].label == "dog"
    assert tracker.distinct() == {"person": 1, "dog": 1}
