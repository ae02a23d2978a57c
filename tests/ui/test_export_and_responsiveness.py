"""Export of every format from the window, read back with well-kept readers; GUI-thread responsiveness."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import numpy as np

from tests.ui.conftest import LatenessProbe, broken_files, many_photos, wait_for_batch
from yolo_desktop.cli.main import main
from yolo_desktop.records import detection_record
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
    qtbot.waitUntil(lambda: not window.session.refiltering)
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
        assert np.allclose(got, expected, atol=0.01)  # px: the file's 2 decimals
        assert (image["width"], image["height"]) == (result.width, result.height)

    import supervision as sv

    for folder in (out / "Holiday photos été", out / "Holiday photos été" / "day two"):
        yolo = sv.DetectionDataset.from_yolo(str(folder), str(folder), str(out / "data.yaml"))
        voc = sv.DetectionDataset.from_pascal_voc(str(folder), str(folder))
        for dataset, tolerance in ((yolo, 0.01), (voc, 1.0)):  # px: YOLO's fractions read back, VOC's integers
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
    probe = LatenessProbe()
    probe.start()
    started = time.perf_counter()
    window.add_paths([str(tmp_path / "thirty")])
    wait_for_batch(qtbot, window, count=30)
    report = {**probe.stop(), "batch_seconds": round(time.perf_counter() - started, 2)}
    assert all(e.status is Status.DONE for e in window.session.entries)
    print(f"\nGUI responsiveness during a 30-image batch: {report}")
    save_report("gui_responsiveness.json", report)
    assert report["max_ms"] < 100.0


def save_report(name: str, report: dict) -> None:
    out = Path(__file__).resolve().parents[2] / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_text(json.dumps(report) + "\n", encoding="utf-8")


def test_first_run_with_broken_files_stays_responsive_and_matches_the_cli(
    qtbot, make_window, tmp_path, data_dir, monkeypatch
):
    """With an empty model cache (the model is converted on this run) the window processes real photos and
    broken files (a header-only PNG claiming 1.6 GP, a truncated JPEG, text named .jpg); a 10 ms timer on the GUI
    thread is never 100 ms late; and what the window shows equals what the command line writes."""
    monkeypatch.setenv("YOLO_DESKTOP_CACHE", str(tmp_path / "empty cache"))
    monkeypatch.setenv("YOLO_DESKTOP_ENGINE", "openvino")  # converts on every processor (auto: OpenCV DNN on AVX2)
    folder = tmp_path / "photos"
    many_photos(folder, data_dir, 8)
    reasons = broken_files(folder)
    probe = LatenessProbe()
    probe.start()
    window = make_window(start=False)
    window.start()  # converts the model (in a child process): TensorFlow never holds this process's GIL
    window.add_paths([str(folder)])
    qtbot.waitUntil(lambda: window.session.model_state == "ready", timeout=300_000)
    wait_for_batch(qtbot, window, count=11)
    report = probe.stop()
    print(f"\nGUI lateness, first run (conversion) + photos + broken files: {report}")
    save_report("gui_lateness_first_run.json", report)
    assert list((tmp_path / "empty cache" / "converted").glob("*.tflite"))  # it really converted
    assert report["max_ms"] < 100.0

    shown = {Path(e.path).name: e for e in window.session.entries}
    assert {name: shown[name].error for name in reasons} == reasons
    out = tmp_path / "cli"
    assert main(["detect", str(folder), "-o", str(out), "--no-images", "-q"]) == 1  # the broken files fail
    document = json.loads((out / "detections.json").read_text(encoding="utf-8"))
    assert len(document["images"]) == 11
    for record in document["images"]:
        entry = shown[Path(record["path"]).name]
        if record["error"] is not None:
            assert record["error"] == entry.error
            continue
        assert [detection_record(d) for d in entry.shown.detections] == record["detections"], record["path"]
    assert sum(len(r["detections"]) for r in document["images"]) > 0


def test_export_writes_the_thresholds_it_started_with(qtbot, window, tmp_path, data_dir):
    """The export reads a snapshot taken when it starts: moving the slider while it writes changes nothing in the
    files, and every file agrees with the settings its header names."""
    many_photos(tmp_path / "photos", data_dir, 18)
    window.add_paths([str(tmp_path / "photos")])
    wait_for_batch(qtbot, window, count=18)
    window.thresholds.conf.spin.setValue(0.05)
    qtbot.waitUntil(lambda: not window.session.refiltering)
    expected = {e.path: [detection_record(d) for d in e.shown.detections] for e in window.session.entries}
    window.last_export = None
    window.run_export(ExportOptions(tmp_path / "export", ("json", "csv"), True, "png"))
    window.thresholds.conf.spin.setValue(0.9)  # while the export thread is writing
    qtbot.waitUntil(lambda: window.last_export is not None, timeout=120_000)
    assert window.last_export[1] == ""
    document = json.loads((tmp_path / "export" / "detections.json").read_text(encoding="utf-8"))
    assert document["settings"]["conf"] == 0.05
    assert {r["path"]: r["detections"] for r in document["images"]} == expected
    assert document["model"]["engine"] == window.session.model_info.engine  # the header the CLI writes, too
    assert set(document["model"]) >= {"name", "cfg", "weights", "names", "input_size", "engine"}
    assert set(document["settings"]) >= {"precision", "resize", "iou", "max_detections"}


def test_an_export_that_breaks_still_finishes_and_reports(qtbot, window, photo_folder, tmp_path, monkeypatch):
    """Any exception while writing reaches the report and the dialog closes (it used to hang open forever)."""
    import cv2

    import yolo_desktop.export.images as images

    window.add_paths([str(photo_folder)])
    wait_for_batch(qtbot, window, count=2)

    def broken_drawing(*_args, **_kwargs):
        raise cv2.error("drawing failed")

    monkeypatch.setattr(images, "draw_detections", broken_drawing)
    report, error = run_export(qtbot, window, ExportOptions(tmp_path / "export", ("json",), True, "jpg"))
    assert error == "" and len(report.failed) == 2 and all("drawing failed" in r for _, r in report.failed)
    qtbot.waitUntil(lambda: window.last_message.isVisible())
    assert "2 could not be written" in window.last_message.text()
