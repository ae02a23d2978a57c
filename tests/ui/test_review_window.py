"""Review and correct in the real window, with real Qt events on the real view (mouse presses, drags, keys), the
real model proposing, and the labels read back from disk. One window (and one model load) for the module."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox

from tests.conftest import read_rgb
from tests.labels.conftest import jpeg_bytes
from tests.ui.conftest import MODEL_TIMEOUT_MS
from yolo_desktop.labels.place import BESIDE, Place, PlaceMemory
from yolo_desktop.labels.store import LabelStore
from yolo_desktop.ui.image_list import ENTRY_ROLE

PX = 0.5  # photo pixels: a press lands on a screen pixel, which at the fitted zoom is up to ~0.5 photo px wide
LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier
MOVED = np.array([20, 20, 20, 20])  # photo pixels: the drag that moves a box


@pytest.fixture(scope="module")
def folder(tmp_path_factory, data_dir):
    """Two real photos the model finds things in, a noise photo with one label, an empty one, a turned one."""
    root = tmp_path_factory.mktemp("review") / "photos"
    root.mkdir()
    Image.fromarray(read_rgb(data_dir / "camera.png")).save(root / "a camera.png")
    Image.fromarray(read_rgb(data_dir / "motorcycle_left.png")).resize((400, 300)).save(root / "b motorbike.jpg")
    (root / "c noise.jpg").write_bytes(jpeg_bytes(320, 240, seed=1))
    (root / "c noise.txt").write_text("0 0.5 0.5 0.25 0.25\n")
    (root / "d empty.jpg").write_bytes(jpeg_bytes(320, 240, seed=2))
    (root / "e turned.jpg").write_bytes(jpeg_bytes(64, 48, orientation=6, seed=3))  # shown 48 × 64
    (root / "classes.txt").write_text("cat\n")
    return root


@pytest.fixture(scope="module")
def window(qapp, folder, tmp_path_factory):
    from yolo_desktop.ui.main_window import MainWindow
    from yolo_desktop.ui.settings_store import SettingsStore

    home = tmp_path_factory.mktemp("review-settings")
    window = MainWindow(SettingsStore(str(home / "settings.ini")))
    window.review.files.memory = PlaceMemory(home / "label-places.json")
    window.resize(1300, 820)
    window.show()
    window.start()
    wait(lambda: window.session.model_state == "ready", MODEL_TIMEOUT_MS)
    window.thresholds.conf.set_value(0.1)  # more proposals to accept and reject
    window.add_paths([str(folder)])
    wait(lambda: len(window.session.entries) == 5 and not window.session.state.running, MODEL_TIMEOUT_MS)
    window.review.actions.review.trigger()
    wait(lambda: bool(window.review.rows))
    yield window
    window.close()


def wait(condition, timeout_ms: int = 10_000) -> None:
    """Run the event loop until ``condition`` holds (a module-wide window has no test's qtbot)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout_ms} ms"
        QTest.qWait(10)


def show(window, name: str) -> None:
    row = next(i for i, e in enumerate(window.session.entries) if os.path.basename(e.path) == name)
    window.image_list.set_current_row(row)
    wait(lambda: window.view.has_image and window.review.row == row and window.review.photo is not None)
    window.view.setFocus()


def at(window, x: float, y: float) -> QPoint:
    """Photo pixels → the viewport's screen pixel."""
    return window.view.mapFromScene(QPointF(x, y))


def drag(window, start: tuple[float, float], end: tuple[float, float], steps: int = 6) -> None:
    viewport = window.view.viewport()
    a, b = at(window, *start), at(window, *end)
    QTest.mousePress(viewport, LEFT, NONE, a)
    for i in range(1, steps + 1):
        QTest.mouseMove(viewport, a + (b - a) * i / steps)
    QTest.mouseRelease(viewport, LEFT, NONE, b)


def key(window, k, modifier=NONE) -> None:
    QTest.keyClick(window.view, k, modifier)


def on_disk(folder, rel: str):
    with LabelStore(Place(folder, folder, BESIDE), readonly=True) as store:
        labels = store.read(rel)
        return store.names, labels


def saved(window, folder, rel: str):
    window.review.model.flush()
    return on_disk(folder, rel)


def test_draw_move_resize_nudge_delete_undo_redo_with_real_events(window, folder):
    review = window.review
    show(window, "c noise.jpg")
    assert review.photo.boxes.boxes.tolist() == [[120, 90, 200, 150]]  # the label file's box, on screen
    key(window, Qt.Key.Key_W)
    assert review.overlay.draw_mode
    drag(window, (20, 30), (100, 80))
    wait(lambda: review.chooser.isVisible())
    assert review.chooser.shown_names()[0] == "cat"  # the labels' class, then the model's
    QTest.keyClicks(review.chooser.edit, "do")  # filters as typed: dog, donut, …
    assert review.chooser.shown_names()[:2] == ["dog", "donut"]
    QTest.keyClick(review.chooser.edit, Qt.Key.Key_Return)
    assert review.photo.boxes.labels == ("cat", "dog")
    drawn = review.photo.boxes.boxes[1]
    assert np.allclose(drawn, [20, 30, 100, 80], atol=PX)
    key(window, Qt.Key.Key_W)  # leaves draw mode

    drag(window, (60, 55), (80, 75))  # the new box is selected: its body moves it by (20, 20)
    assert np.allclose(review.photo.boxes.boxes[1], drawn + MOVED, atol=2 * PX)
    # The bottom-right handle dragged to 3 screen px from the photo's right edge snaps onto it.
    x2, y2 = review.photo.boxes.boxes[1][2:]
    right = window.view.mapToScene(at(window, 320, 0) - QPoint(3, 0)).x()
    drag(window, (x2, y2), (right, 200))
    assert review.photo.boxes.boxes[1][2] == 320 and review.photo.boxes.boxes[1][3] == pytest.approx(200, abs=PX)
    before = review.photo.boxes.boxes[1].copy()
    key(window, Qt.Key.Key_Left)
    key(window, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert np.allclose(review.photo.boxes.boxes[1], before - [11, 0, 11, 0])
    key(window, Qt.Key.Key_Tab)  # Tab cycles the selection: the first box
    assert review.overlay.selected == {0} and review.panel.table.selected_rows() == {0}
    names, labels = saved(window, folder, "c noise.jpg")
    assert labels.boxes.labels == ("cat", "dog") and names == ("cat", "dog")
    assert np.allclose(labels.boxes.boxes[1], before - [11, 0, 11, 0], atol=1e-3)

    key(window, Qt.Key.Key_Delete)
    assert review.photo.boxes.labels == ("dog",)
    for expected in (("cat", "dog"), ("cat", "dog"), ("cat", "dog")):  # delete, nudges, resize undone
        QTest.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert review.photo.boxes.labels == expected
    assert np.allclose(review.photo.boxes.boxes[1], drawn + MOVED, atol=2 * PX)
    QTest.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert review.photo.boxes.boxes[1][2] == 320
    names, labels = saved(window, folder, "c noise.jpg")
    assert np.allclose(labels.boxes.boxes, review.photo.boxes.boxes, atol=1e-3)


def test_zoom_and_pan_keep_working_while_editing(window):
    review = window.review
    show(window, "c noise.jpg")
    boxes = review.photo.boxes.boxes.copy()
    zoom = window.view.zoom
    QTest.keyClick(window.view, Qt.Key.Key_Plus)
    QTest.keyClick(window.view, Qt.Key.Key_Plus)
    assert window.view.zoom > zoom
    bar = window.view.horizontalScrollBar()
    start = bar.value()
    corner = window.view.mapToScene(QPoint(10, 10))
    assert not any(item.rect().contains(corner) for item in review.overlay.items())
    viewport = window.view.viewport()
    QTest.mousePress(viewport, LEFT, NONE, QPoint(10, 10))
    for i in range(1, 6):
        QTest.mouseMove(viewport, QPoint(10 + 20 * i, 10))
    QTest.mouseRelease(viewport, LEFT, NONE, QPoint(110, 10))
    assert bar.value() != start  # a drag on empty photo pans
    assert np.array_equal(review.photo.boxes.boxes, boxes)  # and edits nothing
    window.view.fit()


def test_proposals_accepted_by_click_and_enter_rejected_and_accepted_above_a_score(window, folder):
    review = window.review
    show(window, "a camera.png")
    predictions = review.predictions()
    assert len(predictions) >= 2, predictions
    boxes = window.view.boxes()
    assert all(b.pen().style() == Qt.PenStyle.DashLine for b in boxes)  # proposals look apart from labels
    assert review.photo.boxes.labels == ()
    # A box no other prediction shares (one object may be proposed as two classes), the smallest: a click at its
    # centre takes it (the smallest box under the cursor wins).
    area = predictions.boxes[:, 2:] - predictions.boxes[:, :2]
    unique = [i for i, box in enumerate(predictions.boxes) if sum(np.allclose(box, o) for o in predictions.boxes) == 1]
    first = min(unique, key=lambda i: float(area[i].prod()))
    x1, y1, x2, y2 = predictions.boxes[first]
    QTest.mouseClick(window.view.viewport(), LEFT, NONE, at(window, (x1 + x2) / 2, (y1 + y2) / 2))
    assert window.view.selected == {first}
    key(window, Qt.Key.Key_Return)
    assert review.photo.boxes.labels == (predictions[first].label,)
    assert not boxes[first].isVisible()  # accepted: shown as its label only
    rest = [i for i in unique if i != first]
    x1, y1, x2, y2 = predictions.boxes[rest[0]]
    QTest.mouseClick(window.view.viewport(), LEFT, NONE, at(window, (x1 + x2) / 2, (y1 + y2) / 2))
    assert window.view.selected == {rest[0]} and review.overlay.selected == set()
    key(window, Qt.Key.Key_Delete)  # no label selected: Del rejects the proposal
    assert not boxes[rest[0]].isVisible() and len(review.photo.boxes) == 1
    QTest.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert boxes[rest[0]].isVisible()  # the rejection undone

    review.panel.score.setValue(0.0)
    QTest.mouseClick(review.panel.accept_photo, LEFT)
    assert len(review.photo.boxes) == len(predictions)
    assert not any(b.isVisible() for b in boxes)
    names, labels = saved(window, folder, "a camera.png")
    assert sorted(labels.boxes.labels) == sorted(predictions.labels)
    assert "cat" in names and set(predictions.labels) <= set(names)

    # The whole folder: the motorbike photo (not reviewed, no labels) gets its proposals too.
    motorbike = next(e for e in window.session.entries if e.path.endswith("b motorbike.jpg"))
    QTest.mouseClick(review.panel.accept_folder, LEFT)
    wait(lambda: not review._accepting)
    _names, labels = saved(window, folder, "b motorbike.jpg")
    assert labels is not None and sorted(labels.boxes.labels) == sorted(motorbike.shown.detections.labels)


def test_review_marks_space_next_and_the_filters(window, folder):
    review = window.review
    show(window, "d empty.jpg")
    key(window, Qt.Key.Key_Space)  # reviewed with no boxes: "no objects"; on to the next one not reviewed
    wait(lambda: os.path.basename(window.session.entries[review.row].path) != "d empty.jpg")
    assert review.review_of(next(r for r, e in enumerate(window.session.entries) if "empty" in e.path))[0] == "reviewed"
    wait(lambda: review.panel.progress.text() == "1 of 5 reviewed")
    filters = window.status_filter
    filters.setCurrentIndex(filters.findText("Reviewed"))
    assert window.image_list.proxy.rowCount() == 1
    filters.setCurrentIndex(filters.findText("Unlabelled"))
    assert window.image_list.proxy.rowCount() == 1  # the turned photo
    filters.setCurrentIndex(filters.findText("Labelled, not reviewed"))
    proxy = window.image_list.proxy
    visible = [os.path.basename(proxy.index(i, 0).data(ENTRY_ROLE).path) for i in range(proxy.rowCount())]
    assert visible == ["a camera.png", "b motorbike.jpg", "c noise.jpg"]
    window.image_list.setCurrentIndex(proxy.index(0, 0))
    wait(lambda: review.photo is not None and review.photo.rel == "a camera.png")
    key(window, Qt.Key.Key_Space)  # the photo leaves this list; the next one is the one after it, none skipped
    wait(lambda: review.photo is not None and review.photo.rel == "b motorbike.jpg")
    assert proxy.rowCount() == 2
    filters.setCurrentIndex(0)
    assert window.image_list.proxy.rowCount() == 5
    show(window, "b motorbike.jpg")
    row = window.image_list.current_row()
    key(window, Qt.Key.Key_N)
    assert window.image_list.current_row() == row + 1
    key(window, Qt.Key.Key_P)
    assert window.image_list.current_row() == row
    window.review.model.flush()
    assert (folder / "d empty.txt").read_text() == ""
    text = window.image_list.source.review_text(
        next(r for r, e in enumerate(window.session.entries) if "noise" in e.path)
    )
    assert text.startswith("labelled · ")


def test_orientation_boxes_are_in_the_photo_as_shown(window, folder):
    review = window.review
    show(window, "e turned.jpg")
    assert window.view.image_size == (48, 64)  # EXIF orientation 6: stored 64 × 48
    key(window, Qt.Key.Key_W)
    drag(window, (-5, -5), (60, 80))  # beyond the photo: kept inside it
    wait(lambda: review.chooser.isVisible())
    QTest.keyClicks(review.chooser.edit, "cat")
    QTest.keyClick(review.chooser.edit, Qt.Key.Key_Return)
    key(window, Qt.Key.Key_W)
    assert review.photo.boxes.boxes.tolist() == [[0, 0, 48, 64]]
    review.model.flush()
    assert (folder / "e turned.txt").read_text() == "0 0.500000 0.500000 1.000000 1.000000\n"


def test_class_changed_with_e_and_in_the_table(window, folder):
    review = window.review
    show(window, "c noise.jpg")
    key(window, Qt.Key.Key_Tab)
    key(window, Qt.Key.Key_E)
    wait(lambda: review.chooser.isVisible())
    QTest.keyClicks(review.chooser.edit, "zebra crossing")  # a class no model knows
    assert review.chooser.shown_names() == ["zebra crossing"]
    QTest.keyClick(review.chooser.edit, Qt.Key.Key_Return)
    assert review.photo.boxes.labels[0] == "zebra crossing"
    table = review.panel.table
    window.right_tabs.setCurrentWidget(review.panel)  # a click on a proposal showed the Detections tab
    assert table.source.labels == review.photo.boxes and review.overlay.labels == review.photo.boxes
    cell = table.visualRect(table.source.index(0, 0)).center()
    QTest.mouseClick(table.viewport(), LEFT, NONE, cell)  # a real double-click starts as a click
    QTest.mouseDClick(table.viewport(), LEFT, NONE, cell)
    editor = table.viewport().findChild(QComboBox)
    assert editor is not None
    assert editor.currentText() == "zebra crossing"
    editor.setCurrentText("cat")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    wait(lambda: review.photo.boxes.labels[0] == "cat")
    names, labels = saved(window, folder, "c noise.jpg")
    assert labels.boxes.labels[0] == "cat" and "zebra crossing" in names  # a class added is kept


def test_a_second_window_gets_the_lock_message_and_edits_nothing(window, folder, qtbot, tmp_path):
    from yolo_desktop.ui.main_window import MainWindow
    from yolo_desktop.ui.settings_store import SettingsStore

    other = MainWindow(SettingsStore(str(tmp_path / "other.ini")))
    qtbot.addWidget(other)
    other.review.files.memory = PlaceMemory(tmp_path / "places.json")
    other.show()
    other.add_paths([str(folder)])
    wait(lambda: len(other.session.entries) == 5)
    other.review.actions.review.trigger()
    wait(lambda: other.last_message is not None and other.review.model.folders)
    assert f"process {os.getpid()}" in other.last_message.text() and "being edited by" in other.last_message.text()
    other.image_list.set_current_row(0)
    wait(lambda: other.view.has_image and other.review.photo is not None)
    before = (folder / "a camera.txt").read_text()
    other.review.actions.delete.trigger()
    other.review.overlay.set_selected({0})
    other.review.delete()
    assert "read-only" in other.review.panel.photo_state.text()
    other.close()
    assert (folder / "a camera.txt").read_text() == before
