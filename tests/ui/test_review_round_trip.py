"""Through the window: COCO labels imported into a folder's own labels, one box moved with a real drag, the folder
exported as a YOLO, COCO and VOC training set — read back, every box is the official one (the moved box moved),
with the same classes in COCO's order. On real COCO photos with their official boxes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from tests.conftest import from_shared
from tests.labels.conftest import COCO_SAMPLE, copy_photos
from yolo_desktop.labels.dataset import read_labels
from yolo_desktop.labels.place import PlaceMemory
from yolo_desktop.labels.training_set import ExportOptions

TOLERANCE_PX = {"yolo": 0.01, "coco": 0.01, "voc": 0.5 + 1e-3}  # each format's rounding (tests/labels)
PHOTOS = 6
MOVE_PX = 10.0


def test_import_edit_export_round_trip_through_the_window(make_window, qtbot, tmp_path):
    from_shared(COCO_SAMPLE / "instances.json", "the labelled COCO sample")
    coco = json.loads((COCO_SAMPLE / "instances.json").read_text())
    images = coco["images"][:PHOTOS]
    ids = {image["id"] for image in images}
    folder = tmp_path / "photos"
    copy_photos([image["file_name"] for image in images], folder)
    subset = {**coco, "images": images, "annotations": [a for a in coco["annotations"] if a["image_id"] in ids]}
    source = tmp_path / "instances.json"  # outside the folder: named, as a user picks it
    source.write_text(json.dumps(subset))
    official = {p.path.name: p.labels.boxes for p in read_labels(folder, source).photos if p.labels}

    window = make_window(start=False)
    window.review.files.memory = PlaceMemory(tmp_path / "places.json")
    review = window.review
    window.add_paths([str(folder)])
    qtbot.waitUntil(lambda: len(window.session.entries) == PHOTOS)
    review.actions.review.trigger()
    qtbot.waitUntil(lambda: len(review.rows) == PHOTOS)
    folder_review = review.rows[0][0]
    review.import_labels(folder_review, str(source))
    qtbot.waitUntil(lambda: window.last_message is not None and window.last_message.windowTitle() == "Labels imported")
    assert window.last_message.text().startswith(f"{PHOTOS} photos, ")
    assert folder_review.counts_by_state()["labelled"] == PHOTOS

    # One box moved with a real drag: the smallest box of the first photo (a press at its centre takes it).
    window.image_list.set_current_row(0)
    qtbot.waitUntil(lambda: window.view.has_image and review.row == 0 and review.photo is not None)
    name = window.session.entries[0].path.rsplit("/", 1)[-1]
    boxes = review.photo.boxes.boxes
    index = int(np.argmin((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])))
    x1, y1, x2, y2 = boxes[index]
    start = window.view.mapFromScene(QPointF((x1 + x2) / 2, (y1 + y2) / 2))
    end = window.view.mapFromScene(QPointF((x1 + x2) / 2 + MOVE_PX, (y1 + y2) / 2))
    viewport = window.view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(viewport, end)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    moved = review.photo.boxes.boxes[index]
    screen_px = 1 / window.view.zoom  # photo pixels per screen pixel: where a press can land
    assert moved[0] - x1 == pytest.approx(MOVE_PX, abs=screen_px)

    for fmt, tolerance in TOLERANCE_PX.items():
        out = tmp_path / f"set-{fmt}"
        review.export_training_set(folder_review, str(out), ExportOptions(fmt, (1.0,), 0))
        qtbot.waitUntil(
            lambda: window.last_message is not None and window.last_message.windowTitle() == "Training set exported"
        )
        window.last_message = None
        back = read_labels(out)
        assert back.problems == [] and back.names[: len(official[name].names)] == official[name].names
        got = {p.path.name: p.labels.boxes for p in back.photos if p.labels}
        assert got.keys() == official.keys()
        for photo, expected in official.items():
            boxes = expected.boxes.copy()
            if photo == name:
                boxes[index] = moved
            assert got[photo].labels == expected.labels, (fmt, photo)
            assert np.allclose(got[photo].boxes, boxes, atol=tolerance + 1e-3), (fmt, photo)
