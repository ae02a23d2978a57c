"""The Evaluate panel with real events: opened from the Model menu, two real models over a few of the COCO
sample's photos on the panel's own thread (the window never late), per model and per class results with the
gains highlighted, the plots, the error browser drawing an error on its photo, "Review next", the F1-best
threshold applied to the window, mismatches asked about before the run, labels fixed and the numbers updated."""

from __future__ import annotations

import json
import shutil

import pytest
from PySide6.QtCore import Qt

from tests.labels.conftest import COCO_SAMPLE, coco_subset
from tests.ui.conftest import LatenessProbe

PHOTOS = 6
RUN_TIMEOUT_MS = 180_000


@pytest.fixture
def subset(tmp_path):
    return coco_subset(tmp_path / "labelled photos", PHOTOS)


def open_panel(qtbot, make_window, folder):
    window = make_window(start=False)
    window.commands.evaluate.trigger()
    panel = window.evaluate_panel
    assert panel is not None and panel.isVisible()
    panel.source.setText(str(folder))
    return window, panel


def run(qtbot, panel):
    with qtbot.waitSignal(panel.finished, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)


def test_two_models_compared_in_the_panel(qtbot, make_window, subset):
    window, panel = open_panel(qtbot, make_window, subset)
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert len(panel.pickers) == 2
    panel.pickers[1].select("yolov4-tiny", panel.pickers[0].settings())
    probe = LatenessProbe()
    probe.start()
    run(qtbot, panel)
    stats = probe.stop()
    assert stats["max_ms"] < 100, stats
    outcome = panel.outcome
    assert outcome is not None and [r.label for r in outcome.runs] == ["yolov3-tiny", "yolov4-tiny"]
    assert f"{PHOTOS} photo(s) evaluated" in panel.status.text()

    # Models: the report's numbers, ms per photo with its spread and the engine.
    table = panel.models_table
    assert table.rowCount() == 2
    for row, model in enumerate(outcome.document["models"]):
        assert table.item(row, 3).text() == f"{model['map50'] * 100:.1f}"
        assert table.item(row, 13).text() == model["engine"] and "(" in table.item(row, 12).text()
    # Classes: the second model's gains and losses highlighted.
    classes = panel.classes_table
    header = [classes.horizontalHeaderItem(c).text() for c in range(classes.columnCount())]
    assert header[-1] == "AP@0.5 gain" and classes.rowCount() > 5
    coloured = [classes.item(r, len(header) - 1) for r in range(classes.rowCount())]
    notable = [
        item
        for item in coloured
        if item.data(Qt.ItemDataRole.UserRole) and abs(item.data(Qt.ItemDataRole.UserRole)) > 0.01
    ]
    assert notable and all(item.background().color().alpha() == 255 for item in notable)
    # Plots: drawn on the panel's thread, shown here.
    panel.tabs.setCurrentIndex(2)
    for kind in range(panel.plot_kind.count()):
        panel.plot_kind.setCurrentIndex(kind)
        assert not panel.plot.pixmap().isNull()
    # Errors: choosing one loads its photo off the GUI thread and draws the error on it.
    panel.tabs.setCurrentIndex(3)
    errors = panel.errors
    assert errors.table.rowCount() == len(outcome.errors) > 0
    scores = [float(errors.table.item(r, 3).text()) for r in range(errors.table.rowCount())]
    assert scores == sorted(scores, reverse=True)
    rect = errors.table.visualRect(errors.table.model().index(0, 0))
    qtbot.mouseClick(errors.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(
        lambda: errors.preview.pixmap() is not None and not errors.preview.pixmap().isNull(), timeout=30_000
    )
    # "Open in the window": the photo is added there and shown, where the review tools fix its labels; coming back
    # to the panel rescores (the review's edits written first).
    path = str(outcome.inputs.photos[outcome.errors[0][1].photo].path)
    qtbot.mouseClick(errors.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: path in [e.path for e in window.session.entries], timeout=30_000)
    qtbot.waitUntil(lambda: window.image_list.current_row() == [e.path for e in window.session.entries].index(path))
    with qtbot.waitSignal(panel.finished, timeout=60_000):
        panel.activateWindow()
    assert panel.outcome is not outcome and panel.outcome.runs == outcome.runs
    outcome = panel.outcome
    # Review next: ranked, the reason said.
    assert panel.review_table.rowCount() > 0 and "error" in panel.review_table.item(0, 2).text()
    # The F1-best threshold, applied to the window in one click.
    best = outcome.scores[0].best
    with qtbot.waitSignal(panel.finished, timeout=60_000):  # the panel's counts follow the threshold too
        qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    assert window.thresholds.conf.value() == pytest.approx(best.conf, abs=1e-3)
    assert window.session.settings.conf == pytest.approx(best.conf, abs=1e-3)
    assert panel.models_table.item(0, 10).text() == f"{best.conf:.3f}" and panel.outcome.runs == outcome.runs
    at = panel.outcome.document["models"][0]["at_conf"]
    assert (at["true_positives"], at["false_positives"]) == (best.counts.true, best.counts.false)


def test_mismatches_are_asked_about_and_fixed_labels_update_the_numbers(qtbot, make_window, subset):
    shutil.copy(COCO_SAMPLE / "images" / sorted(p.name for p in (COCO_SAMPLE / "images").iterdir())[-1],
                subset / "unlabelled.jpg")  # fmt: skip
    _window, panel = open_panel(qtbot, make_window, subset)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.mismatch_box is not None and panel.mismatch_box.isVisible(), timeout=60_000)
    box = panel.mismatch_box
    assert "1 photo(s) without labels: unlabelled.jpg" in box.text()
    with qtbot.waitSignal(panel.finished, timeout=10_000):
        qtbot.mouseClick(next(b for b in box.buttons() if b.text() == "Stop"), Qt.MouseButton.LeftButton)
    assert panel.outcome is None and panel.status.text().startswith("Stopped")

    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.mismatch_box is not None and panel.mismatch_box.isVisible(), timeout=60_000)
    with qtbot.waitSignal(panel.finished, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(next(b for b in panel.mismatch_box.buttons() if b.text() == "Evaluate what matches"),
                         Qt.MouseButton.LeftButton)  # fmt: skip
    before = panel.outcome.document["models"][0]["at_conf"]
    assert len(panel.outcome.inputs.photos) == PHOTOS

    # The labels fixed (here: one photo's objects deleted from the file): the numbers follow, no model runs again.
    document = json.loads((subset / "instances.json").read_text())
    first = document["images"][0]["id"]
    removed = sum(a["image_id"] == first and not a["iscrowd"] for a in document["annotations"])
    document["annotations"] = [a for a in document["annotations"] if a["image_id"] != first]
    (subset / "instances.json").write_text(json.dumps(document))
    runs = panel.outcome.runs
    with qtbot.waitSignal(panel.finished, timeout=60_000):
        qtbot.mouseClick(panel.update_button, Qt.MouseButton.LeftButton)
    after = panel.outcome.document["models"][0]["at_conf"]
    assert panel.outcome.runs == runs
    assert after["true_positives"] + after["missed"] == before["true_positives"] + before["missed"] - removed


def test_cancel_stops_the_run_and_the_panel_stays_usable(qtbot, make_window, subset):
    _window, panel = open_panel(qtbot, make_window, subset)
    with qtbot.waitSignal(panel.finished, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.cancel_button.isEnabled(), timeout=10_000)
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()
