"""The window's *Tiles* control: choosing tiles re-runs the photos with the same engine (no model rebuilt) and shows
what ``detect --tiles`` writes; thresholds still re-filter without the network; the viewer draws the tile grid;
the choice and the grid are remembered."""

from __future__ import annotations

import json

from tests.support.mosaic import write_mosaic
from tests.ui.conftest import MODEL_TIMEOUT_MS, wait_for_batch
from yolo_desktop.cli.main import main
from yolo_desktop.pipeline.tiling import plan
from yolo_desktop.records import detection_record
from yolo_desktop.ui.session_model import Status


def test_tiles_rerun_the_photos_as_the_command_line_does(qtbot, make_window, data_dir, tmp_path):
    photo = write_mosaic(tmp_path / "mosaic.png", data_dir)
    settings = tmp_path / "tiles.ini"
    window = make_window(settings)
    worker = window.session.worker
    engine = worker.detector.engine
    window.add_paths([str(photo)])
    wait_for_batch(qtbot, window, count=1)
    entry = window.session.entries[0]
    untiled = entry.shown.detections
    runs = worker.network_runs

    picker = window.model_picker
    picker.tiles_box.setCurrentIndex(picker.tiles_box.findData("416"))
    picker.tiles_box.activated.emit(picker.tiles_box.currentIndex())
    qtbot.waitUntil(lambda: window.session.model_info.tiles == "416", timeout=MODEL_TIMEOUT_MS)
    qtbot.waitUntil(lambda: worker.network_runs == runs + 1 and entry.status is Status.DONE, timeout=60_000)
    assert worker.detector.engine is engine  # other tiles: the same network, not a new model
    assert "tiles 416" in window.model_label.text()

    out = tmp_path / "cli"
    assert main(["detect", str(photo), "-o", str(out), "--tiles", "416", "--no-images", "--quiet"]) == 0
    (cli,) = json.loads((out / "detections.json").read_text(encoding="utf-8"))["images"]
    assert [detection_record(d) for d in entry.shown.detections] == cli["detections"]
    assert entry.shown.detections != untiled and len({d.label for d in entry.shown.detections}) >= 3

    # Thresholds re-filter the tiled candidates; the network does not run again.
    window.thresholds.conf.spin.setValue(0.6)
    qtbot.waitUntil(lambda: all(d.score >= 0.6 for d in entry.shown.detections), timeout=10_000)
    assert entry.shown.detections and worker.network_runs == runs + 1

    qtbot.waitUntil(lambda: window.view.has_image, timeout=30_000)
    assert window.view.tile_grid() == []
    window.commands.tile_grid.setChecked(True)
    tiles = plan("416", 0.2, 416, 2496, 1664)
    assert [(r.x(), r.y(), r.width(), r.height()) for r in window.view.tile_grid()] == [
        (t.x, t.y, t.width, t.height) for t in tiles
    ]
    window.close()

    again = make_window(settings)
    assert again.model_picker.settings().tiles == "416" and again.session.model_info.tiles == "416"
    assert again.commands.tile_grid.isChecked()
