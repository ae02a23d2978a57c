"""One settings path: the same choices made on the command line (flags), in the window (picker, sliders, class
list, then the settings store) and at the service (its flags, then a request's form fields) give identical
settings, and identical detections. The window shows each photo as its worker selected it (no second NMS)."""

from __future__ import annotations

import json

import httpx
from PySide6.QtCore import Qt

from tests.service.conftest import start_server
from tests.service.test_routes import files
from tests.support.mosaic import write_mosaic
from tests.ui.conftest import MODEL_TIMEOUT_MS, wait_for_batch
from yolo_desktop.cli.main import build_parser, main
from yolo_desktop.cli.options import detector_choice
from yolo_desktop.cli.serve import config_from_args
from yolo_desktop.inference.model_spec import DetectorChoice
from yolo_desktop.records import detection_record, settings_from_record, settings_record
from yolo_desktop.service.options import parse_options
from yolo_desktop.settings import DetectorSettings
from yolo_desktop.ui.settings_store import SettingsStore

MODEL = "yolov4-tiny"  # not the default model, and a network run at another size, resize and tiling
NETWORK = ("--model", MODEL, "--size", "320", "--resize", "bilinear")
FORM = {"tiles": "416", "conf": "0.3", "iou": "0.5", "classes": "person,cup"}
FLAGS = (*NETWORK, "--tiles", "416", "--conf", "0.3", "--iou", "0.5", "--classes", "person,cup")


def choose_in_window(qtbot, window) -> None:
    """The user's way: the picker's boxes (one activation loads the choice), the sliders, the class list."""
    picker = window.model_picker
    picker.combo.setCurrentIndex(picker.combo.findData(MODEL))
    picker.size_box.setCurrentText("320")
    picker.resize_box.setCurrentIndex(picker.resize_box.findData("bilinear"))
    picker.tiles_box.setCurrentIndex(picker.tiles_box.findData("416"))
    picker.tiles_box.activated.emit(picker.tiles_box.currentIndex())
    qtbot.waitUntil(lambda: window.session.model_info.name == MODEL, timeout=MODEL_TIMEOUT_MS)
    window.thresholds.conf.spin.setValue(0.3)
    window.thresholds.iou.spin.setValue(0.5)
    items = [window.class_filter.list.item(i) for i in range(window.class_filter.list.count())]
    for item in items:
        if item.text() not in ("person", "cup"):
            item.setCheckState(Qt.CheckState.Unchecked)


def test_the_command_line_the_window_and_the_service_reach_identical_settings(qtbot, make_window, data_dir, tmp_path):
    photo = write_mosaic(tmp_path / "mosaic.png", data_dir)

    # The command line: the flags → one DetectorChoice; its run writes the settings in its header.
    cli = detector_choice(build_parser().parse_args(["detect", str(photo), "-o", str(tmp_path / "cli"), *FLAGS]))
    expected = DetectorSettings(
        size=320, conf=0.3, iou=0.5, classes=frozenset({"person", "cup"}), resize="bilinear", tiles="416"
    )
    assert cli.settings == expected and cli.model.name == MODEL
    assert main(["detect", str(photo), "-o", str(tmp_path / "cli"), "--no-images", "--quiet", *FLAGS]) == 0
    document = json.loads((tmp_path / "cli" / "detections.json").read_text(encoding="utf-8"))
    assert document["settings"] == settings_record(expected) and document["model"]["input_size"] == 320
    (cli_image,) = document["images"]
    assert {d["label"] for d in cli_image["detections"]} == {"person", "cup"}

    # The window: the same choices through its widgets; the worker runs the photo at them, shown as it came.
    settings_file = tmp_path / "window.ini"
    window = make_window(settings_file)
    choose_in_window(qtbot, window)
    assert window.session.settings == expected and window.session.model == cli.model
    window.add_paths([str(photo)])
    wait_for_batch(qtbot, window, count=1)
    entry = window.session.entries[0]
    assert entry.shown is entry.raw  # selected once, by the worker, at the settings the order carried
    assert [detection_record(d) for d in entry.shown.detections] == cli_image["detections"]
    window.close()
    # …kept by the settings store: the next window starts with the same choice.
    assert SettingsStore(str(settings_file)).detector_settings() == expected
    again = make_window(settings_file)
    assert again.session.settings == expected
    assert again.model_picker.choice() == DetectorChoice(
        cli.model, DetectorSettings(size=320, resize="bilinear", tiles="416")
    )

    # The service: its flags, then a request's form fields (in process, and over HTTP on loopback).
    config = config_from_args(build_parser().parse_args(["serve", *NETWORK]))
    assert parse_options(FORM).settings(config.default_settings()) == expected
    server = start_server(tmp_path, *NETWORK)
    try:
        reply = httpx.post(f"{server.url}/v1/detect", files=files(photo), data=FORM, timeout=120)
    finally:
        server.stop()
    assert reply.status_code == 200, reply.text
    served = reply.json()
    assert settings_from_record(served["settings"], DetectorSettings(size=served["model"]["input_size"])) == expected
    assert served["images"] == [cli_image | {"path": photo.name}]
