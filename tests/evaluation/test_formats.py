"""The same labels in YOLO, VOC and COCO give the same numbers: the COCO sample written as VOC (whole pixels), that
read back and written as YOLO and COCO through the app's own exporters, each read back and scored against the same
made-up detections."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import from_shared
from tests.evaluation.synthetic import made_up
from tests.labels.conftest import COCO_SAMPLE
from yolo_desktop.evaluation.average_precision import Pooled, average_precision
from yolo_desktop.evaluation.inputs import inputs_of
from yolo_desktop.evaluation.matching import Found, match_photo
from yolo_desktop.evaluation.thresholds import at_threshold
from yolo_desktop.labels.dataset import read_labels
from yolo_desktop.labels.training_set import ExportOptions, export_training_set


@pytest.fixture(scope="module")
def three_formats(tmp_path_factory):
    from_shared(COCO_SAMPLE / "instances.json", "the labelled COCO sample")
    root = tmp_path_factory.mktemp("formats")
    export_training_set(read_labels(COCO_SAMPLE / "instances.json"), root / "voc", ExportOptions("voc", (1.0,)))
    voc = read_labels(root / "voc")
    for fmt in ("yolo", "coco"):
        export_training_set(voc, root / fmt, ExportOptions(fmt, (1.0,), link=True))
    return {fmt: read_labels(root / fmt) for fmt in ("voc", "yolo", "coco")}


def scored(labels, detections_by_name):
    inputs = inputs_of(labels)
    photos = sorted(inputs.photos, key=lambda p: p.path.name)
    matches = [match_photo(p.truth, Found.of(*detections_by_name[p.path.name]), len(inputs.names)) for p in photos]
    pooled = Pooled.of(matches, len(inputs.names))
    return inputs, average_precision(pooled), at_threshold(pooled, 0.5)


def test_yolo_voc_and_coco_labels_give_the_same_numbers(three_formats):
    formats = {fmt: labels.format for fmt, labels in three_formats.items()}
    assert formats == {"voc": "voc", "yolo": "yolo", "coco": "coco"}
    reference = inputs_of(three_formats["voc"])
    photos = sorted(reference.photos, key=lambda p: p.path.name)
    assert len(photos) == 167
    detections = dict(zip((p.path.name for p in photos), made_up(photos, len(reference.names), seed=1)))
    results = {fmt: scored(labels, detections) for fmt, labels in three_formats.items()}
    _inputs, voc_ap, voc_at = results["voc"]
    for fmt in ("yolo", "coco"):
        inputs, ap, at = results[fmt]
        assert inputs.names == reference.names and inputs.mismatched == 0
        # The same matches, so the same AP to the last bit (YOLO keeps boxes to 1e-6 of the photo's size).
        assert np.array_equal(np.isnan(ap.ap), np.isnan(voc_ap.ap)), fmt
        assert np.nanmax(np.abs(ap.ap - voc_ap.ap)) == 0.0, fmt
        assert np.array_equal(at.true, voc_at.true) and np.array_equal(at.false, voc_at.false), fmt
        assert np.array_equal(at.missed, voc_at.missed), fmt
