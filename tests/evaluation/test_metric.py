"""The one metric (``evaluation``'s matching, AP, counts at a threshold, errors, confusion matrix) against
pycocotools and a plain reference on the COCO sample's official boxes, and against numbers worked out by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import from_shared
from tests.evaluation.plain_reference import plain_ap
from tests.evaluation.synthetic import made_up
from tests.labels.conftest import COCO_SAMPLE
from yolo_desktop.evaluation.average_precision import Pooled, average_precision
from yolo_desktop.evaluation.errors import CONFUSED, FALSE_POSITIVE, MISSED, photo_errors
from yolo_desktop.evaluation.inputs import inputs_of
from yolo_desktop.evaluation.matching import IOU_THRESHOLDS, Found, Truth, match_photo
from yolo_desktop.evaluation.thresholds import at_threshold, best_f1
from yolo_desktop.labels.dataset import read_labels

POINTS = 0.0005  # 0.05 mAP points, as a fraction


@pytest.fixture(scope="module")
def sample():
    from_shared(COCO_SAMPLE / "instances.json", "the labelled COCO sample")
    inputs = inputs_of(read_labels(COCO_SAMPLE / "instances.json"))
    # In COCO image id order (the file names are the ids): pycocotools orders equal scores that way.
    photos = sorted(inputs.photos, key=lambda p: p.path.name)
    return inputs, photos, made_up(photos, len(inputs.names))


def ours(photos, found, classes):
    matches = [match_photo(p.truth, Found.of(*f), classes) for p, f in zip(photos, found)]
    return average_precision(Pooled.of(matches, classes))


def pycocotools_precision(photos, found) -> np.ndarray:
    """pycocotools' precision (T, 101, K) at every area and 100 detections; -1 where a class has no objects."""
    import contextlib
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    document = json.loads((COCO_SAMPLE / "instances.json").read_text())
    ids = {image["file_name"]: image["id"] for image in document["images"]}
    categories = sorted(c["id"] for c in document["categories"])
    records = [
        {"image_id": ids[p.path.name], "category_id": categories[c], "bbox": [x1, y1, x2 - x1, y2 - y1], "score": s}
        for p, (boxes, scores, classes) in zip(photos, found)
        for (x1, y1, x2, y2), s, c in zip(boxes.tolist(), scores.tolist(), classes.tolist())
    ]
    with contextlib.redirect_stdout(io.StringIO()):
        truth = COCO(str(COCO_SAMPLE / "instances.json"))
        evaluation = COCOeval(truth, truth.loadRes(records), "bbox")
        evaluation.params.imgIds = sorted(ids[p.path.name] for p in photos)
        evaluation.evaluate()
        evaluation.accumulate()
    return evaluation.eval["precision"][:, :, :, 0, -1]


def test_the_sample_has_what_the_metric_must_handle(sample):
    inputs, photos, found = sample
    assert len(photos) == 167 and inputs.crowd == 15 and inputs.mismatched == 0
    assert sum(len(f[1]) for f in found) > 1500
    scores = np.concatenate([f[1] for f in found])
    assert len(np.unique(scores)) < len(scores) // 10  # many equal scores
    assert max(np.bincount(f[2]).max() for f in found if len(f[2])) > 100  # over COCO's 100 of a class


def test_average_precision_equals_pycocotools_on_the_coco_sample(sample):
    inputs, photos, found = sample
    mine = ours(photos, found, len(inputs.names))
    theirs = pycocotools_precision(photos, found)  # (T, 101, K)
    has_objects = theirs[0, 0] > -1
    assert np.array_equal(has_objects, ~np.isnan(mine.ap[0]))
    their_ap = theirs.mean(axis=1)  # (T, K)
    assert np.abs(mine.ap[:, has_objects] - their_ap[:, has_objects]).max() <= POINTS
    assert np.abs(mine.curves[has_objects] - theirs[0][:, has_objects].T).max() <= POINTS
    map50, map50_95 = mine.map(np.ones(len(inputs.names), bool))
    assert map50 == pytest.approx(their_ap[0, has_objects].mean(), abs=POINTS)
    assert map50_95 == pytest.approx(their_ap[:, has_objects].mean(), abs=POINTS)
    assert 0.3 < map50_95 < map50 < 0.9  # made-up detections: neither nothing nor everything right


def test_average_precision_equals_a_plain_reference(sample):
    inputs, photos, found = sample
    # The photos without crowd regions (the plain reference knows none), and a threshold of each kind.
    kept = [i for i, p in enumerate(photos) if not p.truth.crowd.any()]
    photos, found = [photos[i] for i in kept], [found[i] for i in kept]
    mine = ours(photos, found, len(inputs.names))
    truths = [list(zip(p.truth.classes.tolist(), p.truth.boxes.tolist())) for p in photos]
    plain_found = [list(zip(c.tolist(), s.tolist(), b.tolist())) for b, s, c in found]
    compared = 0
    for t in (0, 5, 9):  # IoU 0.5, 0.75, 0.95
        for c in range(len(inputs.names)):
            theirs = plain_ap(truths, plain_found, c, float(IOU_THRESHOLDS[t]))
            if theirs is None:
                assert np.isnan(mine.ap[t, c])
            else:
                assert mine.ap[t, c] == pytest.approx(theirs, abs=1e-9), (t, inputs.names[c])
                compared += 1
    assert compared > 100


def worked_example():
    """Two classes (0 "cat", 1 "dog"); three labelled objects; four detections (see the test)."""
    truth = Truth.of([[0, 0, 10, 10], [20, 0, 30, 10], [0, 20, 10, 30]], [0, 0, 1])
    found = Found.of(
        [[0, 0, 10, 10], [0, 0, 10, 10], [20, 0, 30, 10], [50, 50, 60, 60]],
        [0.9, 0.8, 0.7, 0.3],
        [0, 0, 1, 1],
    )
    return truth, found


def test_counts_errors_and_confusion_worked_out_by_hand():
    truth, found = worked_example()
    match = match_photo(truth, found, 2)
    pooled = Pooled.of([match], 2)
    # cat: 0.9 right, 0.8 a duplicate; 2 cats → precision 1 up to recall 0.5, then none: 51 of the 101 points.
    # dog: 0.7 (on the second cat) and 0.3 (on nothing) both wrong → 0.
    precision = average_precision(pooled)
    assert precision.ap[0].tolist() == pytest.approx([51 / 101, 0.0])
    assert precision.map(np.array([True, True]))[0] == pytest.approx(51 / 202)
    at = at_threshold(pooled, 0.5)
    assert (at.of_class(0).true, at.of_class(0).false, at.of_class(0).missed) == (1, 1, 1)
    assert (at.of_class(1).true, at.of_class(1).false, at.of_class(1).missed) == (0, 1, 1)
    assert at.of_class(0).precision == 0.5 and at.of_class(0).recall == 0.5 and at.of_class(1).precision == 0.0
    # F1 = 2TP / (TP + FP + objects): 0.9 → 2/4, 0.8 → 2/5, 0.7 → 2/6, 0.3 → 2/7.
    best = best_f1(pooled, np.array([True, True]))
    assert (
        best is not None and best.conf == 0.9 and (best.counts.true, best.counts.false, best.counts.missed) == (1, 0, 2)
    )
    errors, matrix = photo_errors(0, truth, found, match, 0.5, 2)
    # rows: true cat, dog, background; columns: found cat, dog, background
    assert matrix.tolist() == [[1, 1, 0], [0, 0, 1], [1, 0, 0]]
    kinds = sorted((e.kind, e.score, e.found_class, e.true_class) for e in errors)
    assert kinds == [(CONFUSED, 0.7, 1, 0), (FALSE_POSITIVE, 0.8, 0, -1), (MISSED, 0.0, -1, 1)]
    confused = next(e for e in errors if e.kind == CONFUSED)
    assert confused.truth_box == (20.0, 0.0, 30.0, 10.0)


def test_at_a_low_threshold_the_far_detection_counts_too():
    truth, found = worked_example()
    match = match_photo(truth, found, 2)
    _errors, matrix = photo_errors(0, truth, found, match, 0.1, 2)
    assert matrix[2].tolist() == [1, 1, 0]  # the duplicate cat and the dog on nothing
    at = at_threshold(Pooled.of([match], 2), 0.1)
    assert at.false.tolist() == [1, 2] and at.true.tolist() == [1, 0] and at.missed.tolist() == [1, 1]


def test_a_detection_on_a_crowd_region_is_neither_right_nor_wrong():
    truth = Truth.of([[0, 0, 10, 10], [0, 0, 100, 100]], [0, 0], [False, True])
    found = Found.of([[0, 0, 10, 10], [50, 50, 60, 60], [60, 60, 70, 70]], [0.9, 0.8, 0.7], [0, 0, 0])
    match = match_photo(truth, found, 1)
    pooled = Pooled.of([match], 1)
    at = at_threshold(pooled, 0.5)
    assert (int(at.true[0]), int(at.false[0]), int(at.missed[0])) == (1, 0, 0)
    assert average_precision(pooled).ap[:, 0].tolist() == pytest.approx([1.0] * 10)
    errors, matrix = photo_errors(0, truth, found, match, 0.5, 1)
    assert errors == [] and matrix.tolist() == [[1, 0], [0, 0]]


def test_nothing_found_scores_zero_and_no_labels_scores_nothing():
    truth = Truth.of([[0, 0, 10, 10]], [0])
    pooled = Pooled.of([match_photo(truth, Found.empty(), 2)], 2)
    precision = average_precision(pooled)
    assert precision.ap[0, 0] == 0.0 and np.isnan(precision.ap[0, 1])
    assert precision.map(np.array([True, True])) == (0.0, 0.0)
    assert precision.map(np.array([False, True])) == (None, None)
    assert best_f1(pooled, np.array([True, True])) is None


def test_the_f1_best_threshold_is_round_where_that_keeps_the_same_detections():
    truth = Truth.of([[0, 0, 10, 10], [20, 0, 30, 10]], [0, 0])
    for second, expected in ((0.1, 0.126), (0.1265, 0.12682)):
        # two right detections, then a wrong one well below
        found = Found.of([[0, 0, 10, 10], [20, 0, 30, 10], [50, 50, 60, 60]], [0.9, 0.12682, second - 0.05], [0, 0, 0])
        near = Found.of([*found.boxes, [70, 70, 80, 80]], [*found.scores, second], [0, 0, 0, 0])
        best = best_f1(Pooled.of([match_photo(truth, near, 1)], 1), np.array([True]))
        assert best is not None and best.conf == pytest.approx(expected, abs=1e-12)
        assert (best.counts.true, best.counts.false) == (2, 0)
        kept = near.scores >= best.conf
        assert kept.tolist() == [True, True, False, False]  # the same detections as the exact cut
