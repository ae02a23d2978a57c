"""10,000 photos under review stay responsive: the folder opens (its labels listed and counted off the GUI thread),
and while the model runs on it a label is dragged with real mouse events and a photo marked reviewed — the GUI
thread is never 100 ms late (``LatenessProbe``)."""

from __future__ import annotations

import os

from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from tests.labels.conftest import jpeg_bytes
from tests.ui.conftest import LatenessProbe
from yolo_desktop.labels.place import PlaceMemory

PHOTOS = 10_000
LATE_MS = 100  # the responsiveness guard (DEVELOPERS.md): a stall a person perceives as a freeze


def test_ten_thousand_photos_stay_responsive_while_dragging_and_detecting(make_window, qtbot, tmp_path):
    folder = tmp_path / "large"
    folder.mkdir()
    photos = [jpeg_bytes(32, 24, seed=i) for i in range(20)]  # tiny real photos: the model runs on them
    for i in range(PHOTOS):
        (folder / f"{i:05d}.jpg").write_bytes(photos[i % len(photos)])
        if i % 10 < 3:  # 3,000 labelled
            (folder / f"{i:05d}.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    (folder / "classes.txt").write_text("cat\n")
    reviewed = ",".join(f'"{i:05d}.jpg"' for i in range(0, PHOTOS, 10))
    (folder / ".yolo-desktop-labels.json").write_text(
        f'{{"format": "yolo-desktop labels 1", "reviewed": [{reviewed}]}}'
    )

    window = make_window()
    window.review.files.memory = PlaceMemory(tmp_path / "places.json")
    review = window.review
    window.review.actions.review.trigger()
    window.add_paths([str(folder)])
    qtbot.waitUntil(lambda: len(review.rows) == PHOTOS, timeout=60_000)
    qtbot.waitUntil(lambda: review.panel.progress.text() == "1,000 of 10,000 reviewed", timeout=10_000)
    window.image_list.set_current_row(1)  # 00001.jpg: labelled, not reviewed
    qtbot.waitUntil(lambda: window.view.has_image and review.photo is not None, timeout=10_000)
    assert window.session.state.running  # the model is working through the 10,000 photos
    probe = LatenessProbe()
    probe.start()
    done_before = window.session.state.progress().done
    view = window.view
    viewport = view.viewport()
    for round_trip in range(6):  # drag the label right and back, with the model running on the folder
        x1, y1, x2, y2 = review.photo.boxes.boxes[0]
        start = view.mapFromScene(QPointF((x1 + x2) / 2, (y1 + y2) / 2))
        QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
        step = 4 if round_trip % 2 == 0 else -4
        for i in range(1, 21):
            QTest.mouseMove(viewport, start + QPointF(step * i, 0).toPoint())
            qtbot.wait(15)
        QTest.mouseRelease(
            viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPointF(step * 20, 0).toPoint()
        )
    QTest.keyClick(view, Qt.Key.Key_Space)  # reviewed, and on to the next unreviewed
    qtbot.waitUntil(lambda: review.panel.progress.text() == "1,001 of 10,000 reviewed", timeout=10_000)
    assert os.path.basename(window.session.entries[review.row].path) == "00002.jpg"
    qtbot.wait(500)
    lateness = probe.stop()
    assert window.session.state.progress().done > done_before  # the model ran on the folder meanwhile
    assert lateness["max_ms"] < LATE_MS, lateness
    window.session.cancel()
