"""Detection agreement (F1 at IoU 0.5) on hand-made cases."""

from yolo_desktop.evaluation.metrics import agreement, matched_pairs
from yolo_desktop.geometry import box_iou
from yolo_desktop.results import Detection, Detections

NAMES = ("0", "1", "2")


def det(class_id: int, x1: float, y1: float, x2: float, y2: float, score: float = 0.9) -> Detection:
    return Detection(class_id, str(class_id), score, x1, y1, x2, y2)


def dets(*rows: Detection) -> Detections:
    return Detections.from_rows(rows, NAMES)


def test_iou():
    assert box_iou(det(0, 0, 0, 10, 10).box, det(0, 0, 0, 10, 10).box) == 1.0
    assert box_iou(det(0, 0, 0, 10, 10).box, det(0, 5, 0, 15, 10).box) == 50 / 150
    assert box_iou(det(0, 0, 0, 10, 10).box, det(0, 20, 20, 30, 30).box) == 0.0


def test_matching_is_one_to_one_and_per_class():
    reference = dets(det(0, 0, 0, 10, 10), det(1, 0, 0, 10, 10))
    assert matched_pairs(dets(det(0, 0, 0, 10, 10), det(0, 1, 0, 11, 10, 0.5)), reference) == 1
    assert matched_pairs(dets(det(2, 0, 0, 10, 10)), reference) == 0
    assert matched_pairs(dets(det(0, 6, 0, 16, 10)), reference) == 0  # IoU 0.25 < 0.5


def test_pooled_f1():
    same = dets(det(0, 0, 0, 10, 10))
    result = agreement([(same, same), (dets(), dets(det(1, 0, 0, 5, 5))), (dets(), dets())])
    assert (result.matched, result.found, result.reference) == (1, 1, 2)
    assert result.f1 == 2 / 3 and result.precision == 1.0 and result.recall == 0.5
    assert agreement([]).f1 == 1.0
