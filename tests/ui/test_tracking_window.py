"""Tracking in the real window, on the generated street clip (``tests/support/scenes.py``): ids on the boxes,
distinct objects in the counts panel, the tracks on the timeline, a counting line drawn with the mouse and its
crossings — all the same as ``yolo-desktop detect`` with that line, frame by frame; a new threshold re-tracks the
kept candidates without the network; the export writes the command line's tracks and crossings, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt

from tests.support.scenes import STREET_CROSSINGS, STREET_DISTINCT, make_street
from tests.ui.conftest import wait_for_batch
from yolo_desktop.cli.main import main

CLASSES = ("person", "motorbike")


@pytest.fixture()
def street(tmp_path, data_dir) -> Path:
    return make_street(tmp_path / "clips", data_dir)


def cli(clip: Path, out: Path, line: str, conf: float) -> list[list[int | None]]:
    """``detect`` with the window's line and threshold: the track ids of every frame."""
    args = ["detect", str(clip), "-o", str(out), "--quiet", "--classes", ",".join(CLASSES), "--no-images"]
    assert main([*args, "--count-line", line, "--conf", str(conf)]) == 0
    lines = (out / "street.frames.jsonl").read_text(encoding="utf-8").splitlines()
    return [[d["track_id"] for d in json.loads(line)["detections"]] for line in lines]


def window_ids(window) -> list[list[int | None]]:
    tracks = window.player.tracks
    return [[d.track_id for d in tracks.detections(k)] for k in range(len(window.player.track.store))]


def wait_for_tracks(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.player.tracks is not None and window.player.tracks.complete, timeout=10_000)


def test_tracks_line_and_export_match_the_command_line_without_the_network(qtbot, window, street, tmp_path):
    from tests.ui.test_export_and_responsiveness import run_export
    from yolo_desktop.ui.export_job import ExportOptions

    window.add_paths([str(street)])
    wait_for_batch(qtbot, window, count=1)
    runs = window.session.worker.network_runs
    names = window.session.model_info.names
    window.class_filter.set_classes(names, set(CLASSES))
    window._on_classes(window.class_filter.selected())
    window.image_list.set_current_row(0)
    qtbot.waitUntil(lambda: window.player.frame == 0, timeout=10_000)
    wait_for_tracks(qtbot, window)

    # The counts panel: distinct objects of this video beside the detections.
    qtbot.waitUntil(lambda: window.summary.objects == STREET_DISTINCT, timeout=5_000)
    assert not window.summary.table.isColumnHidden(3)

    # Boxes carry their ids: frame 10 has persons #1 and #2 (A and B).
    window.player.seek(10)
    qtbot.waitUntil(lambda: window.player.frame == 10, timeout=10_000)
    assert sorted(d.track_id for d in window.player.detections()) == [1, 2]
    labels = sorted(box.label.text for box in window.view.boxes())
    assert labels[0].startswith("person #1 ") and labels[1].startswith("person #2 ")

    # The timeline shows the tracks.
    qtbot.mouseClick(window.player.tracks_button, Qt.MouseButton.LeftButton)
    assert window.player.timeline.show_tracks and len(window.player.timeline.tracks) == 4
    assert window.player.timeline.rows == 3  # A, B and the motorbike at once; C after A has gone

    # Draw a counting line down the middle with the mouse: press, drag, release on the picture.
    view = window.view
    qtbot.mouseClick(window.player.line_button, Qt.MouseButton.LeftButton)
    assert view.line_mode
    top, bottom = view.mapFromScene(QPointF(240, 2)), view.mapFromScene(QPointF(240, 298))
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=top)
    qtbot.mouseMove(view.viewport(), bottom)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=bottom)
    assert not view.line_mode  # one line per press of the button
    (line,) = window.session.tracking_options(0).lines
    assert line.name == "line 1" and abs(line.x1 - 240) < 2 and abs(line.x2 - 240) < 2
    wait_for_tracks(qtbot, window)
    counts = window.player.tracks.line_counts()[0]["crossings"]
    assert counts == STREET_CROSSINGS
    assert view.line_texts() == ["line 1: 3 ← · 2 →"]
    assert "person 2 right-to-left, 2 left-to-right" in window.player.lines_label.text()

    # The same ids as the command line with that line, frame by frame.
    exact = ",".join(repr(v) for v in line.points)
    conf = window.session.settings.conf
    assert window_ids(window) == cli(street, tmp_path / "cli", exact, conf)

    # A new threshold: tracked again from the kept candidates, never the network; still what detect gives.
    window.thresholds.conf.set_value(0.5)
    window.thresholds.changed.emit(0.5, window.session.settings.iou)
    assert window.session.settings.conf == 0.5
    wait_for_tracks(qtbot, window)
    assert window_ids(window) == cli(street, tmp_path / "cli 0.5", exact, 0.5)
    assert window.session.worker.network_runs == runs

    # The export writes the command line's tracks and crossings (same bytes), from the kept candidates.
    out = tmp_path / "export"
    report, error = run_export(qtbot, window, ExportOptions(out, ("json", "csv"), False, "jpg"))
    assert error == "" and not report.failed
    for name in ("street.tracks.csv", "street.crossings.csv", "street.frames.jsonl", "street.frames.csv"):
        assert (out / name).read_bytes() == (tmp_path / "cli 0.5" / name).read_bytes(), name
    exported = json.loads((out / "detections.json").read_text(encoding="utf-8"))["videos"][0]
    assert exported["distinct_objects"] == window.player.distinct()
    assert window.session.worker.network_runs == runs

    # Clearing the lines: no crossings, the same tracks.
    qtbot.mouseClick(window.player.clear_lines_button, Qt.MouseButton.LeftButton)
    assert window.session.tracking_options(0).lines == () and view.line_texts() == []
