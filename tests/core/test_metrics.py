"""Detection agreement (F1 at IoU 0.5) on hand-made cases."""

from yolo_desktop.evaluation.metrics import agreement, iou, matched_pairs
from yolo_desktop.results import Detection


def det(class_id: int, x1: float, y1: float, x2: float, y2: float, score: float = 0.9) -> Detection:
    return Detection(class_id, str(class_id), score, x1, y1, x2, y2)


def test_iou():
    assert iou(det(0, 0, 0, 10, 10), det(0, 0, 0, 10, 10)) == 1.0
    assert iou(det(0, 0, 0, 10, 10), det(0, 5, 0, 15, 10)) == 50 / 150
    assert iou(det(0, 0, 0, 10, 10), det(0, 20, 20, 30, 30)) == 0.0


def test_matching_is_one_to_one_and_per_class():
    reference = [det(0, 0, 0, 10, 10), det(1, 0, 0, 10, 10)]
    assert matched_pairs([det(0, 0, 0, 10, 10), det(0, 1, 0, 11, 10, 0.5)], reference) == 1
    assert matched_pairs([det(2, 0, 0, 10, 10)], reference) == 0
    assert matched_pairs([det(0, 6, 0, 16, 10)], reference) == 0  # IoU 0.25 < 0.5


def test_pooled_f1():
    same = [det(0, 0, 0, 10, 10)]
    result = agreement([(same, same), ([], [det(1, 0, 0, 5, 5)]), ([], [])])
    assert (result.matched, result.found, result.reference) == (1, 1, 2)
    assert result.f1 == 2 / 3 and result.precision == 1.0 and result.recall == 0.5
    assert agreement([]).f1 == 1.0
