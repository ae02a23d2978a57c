"""Footage analysis in the real window, on the street clip (``tests/support/scenes.py``): the counts panel's *All*
column and chart hold the video's totals (the bug where a processed video showed *Objects 6* but *All 0*); a zone
drawn with mouse clicks on the player gives the same events as ``yolo-desktop detect --zone`` with it, row for
row, without the network; the event table filters and a click seeks the video to the event; the chart counts the
events per interval; the heatmap overlays the picture; the zone is saved with the folder and the next clip of that
camera gets it. The GUI thread is never blocked 100 ms meanwhile (``LatenessProbe``)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt

from tests.support.scenes import STREET_DISTINCT, make_street
from tests.ui.conftest import LatenessProbe, wait_for_batch
from yolo_desktop.cli.main import main

CLASSES = ("person", "motorbike")
ZONE = ((150, 0), (305, 0), (305, 240), (150, 240))  # the crossing of tests/video/test_footage.py


@pytest.fixture()
def street(tmp_path, data_dir) -> Path:
    return make_street(tmp_path / "clips", data_dir)


def wait_for_tracks(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.player.tracks is not None and window.player.tracks.complete, timeout=10_000)


def summary_column(window, column: int) -> dict[str, int]:
    table = window.summary.table
    return {
        table.item(row, 0).text(): int(table.item(row, column).text())
        for row in range(table.rowCount())
        if not table.isColumnHidden(column)
    }


def test_zones_event_table_chart_heatmap_and_totals_in_the_window(qtbot, window, street, tmp_path):
    window.add_paths([str(street)])
    wait_for_batch(qtbot, window, count=1)
    runs = window.session.worker.network_runs
    window.class_filter.set_classes(window.session.model_info.names, set(CLASSES))
    window._on_classes(window.class_filter.selected())
    window.image_list.set_current_row(0)
    qtbot.waitUntil(lambda: window.player.frame == 0, timeout=10_000)
    wait_for_tracks(qtbot, window)

    # The video's totals: every frame's detections in All (and the chart), its objects beside them.
    store = window.player.track.store
    totals = store.totals(window.session.settings)
    assert totals["person"] > 60
    qtbot.waitUntil(lambda: window.summary.objects == STREET_DISTINCT, timeout=5_000)
    assert summary_column(window, 2) == totals
    assert {label: count for label, count, _id in window.summary.chart.counts} == totals

    # Draw the zone: Zone, click its four corners on the picture, double-click the last.
    view, panel = window.view, window.footage
    probe = LatenessProbe()
    probe.start()
    qtbot.mouseClick(panel.zone_button, Qt.MouseButton.LeftButton)
    assert view.zone_layer.active
    corners = [view.mapFromScene(QPointF(x, y)) for x, y in ZONE]
    for corner in corners[:-1]:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=corner)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=corners[-1])
    assert not view.zone_layer.active and not panel.zone_button.isChecked()
    (zone,) = window.session.tracking_options(0).zones
    assert zone.name == "zone 1" and all(
        abs(x - zx) < 2 and abs(y - zy) < 2 for (x, y), (zx, zy) in zip(zone.points, ZONE)
    )
    wait_for_tracks(qtbot, window)
    qtbot.waitUntil(lambda: len(panel.events) > 0, timeout=5_000)
    stats = probe.stop()
    assert stats["max_ms"] < 100, stats
    assert window.session.worker.network_runs == runs  # tracked again from the kept candidates

    # The same events as the command line with that zone, row for row.
    out = tmp_path / "cli"
    points = ",".join(repr(v) for point in zone.points for v in point)
    args = ["detect", str(street), "-o", str(out), "--quiet", "--no-images", "--classes", ",".join(CLASSES)]
    assert main([*args, "--zone", f"{points},zone 1", "--conf", str(window.session.settings.conf)]) == 0
    with open(out / "street.events.csv", encoding="utf-8-sig", newline="") as handle:
        expected = [(int(r["frame"]), r["event"], r["place"], int(r["track_id"])) for r in csv.DictReader(handle)]
    assert [(e.frame, e.kind, e.place, e.track_id) for e in panel.events] == expected
    assert {kind for _f, kind, _p, _t in expected} == {"enter", "leave"}  # no stay lasts the default 1 s
    assert view.zone_layer.texts() == ["zone 1: 4 in · 0 now"]  # A, B, and C twice (it turns back)
    assert panel.zones_label.text() == "zone 1: person 4 entered, 4 left, 0 visits"
    qtbot.waitUntil(lambda: window.summary.events == {"person": len(expected)}, timeout=5_000)
    assert not window.summary.table.isColumnHidden(4)

    # Filter the table to the entries; a click on one seeks the video there.
    panel.kind.setCurrentText("enter")
    entries = [e for e in expected if e[1] == "enter"]
    assert panel.model.rowCount() == len(entries) == 4
    third = panel.model.index(2, 0)
    panel.table.clicked.emit(third)
    qtbot.waitUntil(lambda: window.player.frame == entries[2][0], timeout=10_000)
    assert panel.model.data(panel.model.index(2, 2)) == "enter"

    # The chart: events per interval add up to the rows shown. The clip's clock is its file's (no time in its
    # name): its 8 s fall in one or two 10 s intervals of the clock.
    panel.interval.setCurrentIndex(0)
    assert sum(count for _label, count in panel.chart.bars) == 4 and len(panel.chart.bars) in (1, 2)

    # The heatmap over the picture.
    qtbot.mouseClick(panel.heatmap_button, Qt.MouseButton.LeftButton)
    assert view.zone_layer.heatmap is not None and view.zone_layer.heatmap.width() == 480

    # Saved with the folder: another clip of this camera (same size) gets the zone when it is processed.
    saved = street.parent / ".yolo-desktop-zones.json"
    assert saved.is_file() and '"zone 1"' in saved.read_text(encoding="utf-8")
    second = street.parent / "street later.avi"
    shutil.copy(street, second)
    window.add_paths([str(second)])
    wait_for_batch(qtbot, window, count=2)
    assert [z.name for z in window.session.tracking_options(1).zones] == ["zone 1"]
