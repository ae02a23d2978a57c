"""The one box geometry (IoU, IoS, clipping) against hand-computed overlaps and a brute-force pixel count, and the
array-based detections type: rows and arrays say the same thing, it cannot be changed, and it refuses rows that
do not fit its names."""

from __future__ import annotations

import numpy as np
import pytest

from yolo_desktop.geometry import areas, as_boxes, box_iou, centres, clip, ios, iou
from yolo_desktop.results import Detection, Detections


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
