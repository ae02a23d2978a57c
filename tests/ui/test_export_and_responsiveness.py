"""Export of every format from the window, read back with well-kept readers; GUI-thread responsiveness."""

from __future__ import annotations

import csv
import json
import statistics
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QElapsedTimer, QTimer

from tests.ui.conftest import many_photos, wait_for_batch
from yolo_desktop.ui.export_job import ExportOptions
from yolo_desktop.ui.session import Status

ALL_FORMATS = ("json", "csv", "yolo", "voc", "coco")


def run_export(qtbot, window, options: ExportOptions):
    window.last_export = None
    window.run_export(options)
    qtbot.waitUntil(lambda: window.last_export is not None, timeout=120_000)
    return window.last_export


def test_export_every_format(qtbot, window, photo_folder, tmp_path):
    window.add_paths([str(photo_folder)])
    wait_for_batch(qtbot, window, count=2)
    window.thresholds.conf.spin.setValue(0.1)  # exports use the thresholds on screen
    qtbot.waitUntil(lambda: not window.session._refilter_pending)
    out = tmp_path / "export"
    report, error = run_export(qtbot, window, ExportOptions(out, ALL_FORMATS, True, "png"))
    assert error == "" and not report.failed
    shown = {Path(e.path).stem: e.shown for e in window.session.entries}
    # Folder tree mirrored, original resolution.
    annotated = out / "Holiday photos été" / "day two" / "motorbike 2.png"
    assert annotated.is_file()

    from pycocotools.coco import COCO

    coco = COCO(str(out / "coco.json"))
    for image in coco.loadImgs(coco.getImgIds()):
        result = shown[Path(image["file_name"]).stem]
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[image["id"]]))
        got = np.array(
            [[a["bbox"][0], a["bbox"][1], a["bbox"][0] + a["bbox"][2], a["bbox"][1] + a["bbox"][3]] for a in anns]
        ).reshape(-1, 4)
        expected = np.array([d.box for d in result.detections]).reshape(-1, 4)
        assert np.allclose(got, expected, atol=0.01)
        assert (image["width"], image["height"]) == (result.width, result.height)

    import supervision as sv

    for folder in (out / "Holiday photos été", out / "Holiday photos été" / "day two"):
        yolo = sv.DetectionDataset.from_yolo(str(folder), str(folder), str(out / "data.yaml"))
        voc = sv.DetectionDataset.from_pascal_voc(str(folder), str(folder))
        for dataset, tolerance in ((yolo, 0.01), (voc, 1.0)):
            for path, _image, detections in dataset:
                expected = np.array([d.box for d in shown[Path(path).stem].detections]).reshape(-1, 4)
                assert len(detections) == len(expected)
                for box in expected:
                    assert np.abs(detections.xyxy - box).max(axis=1).min() <= tolerance

    with open(out / "detections.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == sum(len(r.detections) for r in shown.values())
    document = json.loads((out / "detections.json").read_text(encoding="utf-8"))
    assert document["settings"]["conf"] == 0.1
    assert {Path(r["path"]).stem for r in document["images"]} == set(shown)
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]  # no temp files left


def test_export_never_into_an_input_folder(qtbot, window, photo_folder):
    window.add_paths([str(photo_folder)])
    wait_for_batch(qtbot, window, count=2)
    before = sorted(p.name for p in photo_folder.rglob("*"))
    report, error = run_export(qtbot, window, ExportOptions(photo_folder / "out", ALL_FORMATS, True, "jpg"))
    assert "inside input folder" in error and not report.written
    assert sorted(p.name for p in photo_folder.rglob("*")) == before
    qtbot.waitUntil(lambda: window.last_message.isVisible())
    assert "inside input folder" in window.last_message.text()


def test_gui_thread_stays_responsive_during_a_batch(qtbot, window, tmp_path, data_dir):
    """A 10 ms QTimer on the GUI thread during a 30-image batch: how late does it ever fire?"""
    many_photos(tmp_path / "thirty", data_dir, 30)
    lateness: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def probe() -> None:
        now = clock.nsecsElapsed()
        lateness.append(max(0.0, (now - last[0]) / 1e6 - 10.0))
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(probe)
    timer.start()
    started = time.perf_counter()
    window.add_paths([str(tmp_path / "thirty")])
    wait_for_batch(qtbot, window, count=30)
    timer.stop()
    seconds = time.perf_counter() - started
    assert all(e.status is Status.DONE for e in window.session.entries)
    p99 = statistics.quantiles(lateness, n=100)[98]
    report = {
        "probes": len(lateness),
        "p99_ms": round(p99, 1),
        "max_ms": round(max(lateness), 1),
        "batch_seconds": round(seconds, 2),
    }
    print(f"\nGUI responsiveness during a 30-image batch: {report}")
    out = Path(__file__).resolve().parents[2] / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "gui_responsiveness.json").write_text(json.dumps(report) + "\n", encoding="utf-8")
    assert max(lateness) < 100.0
