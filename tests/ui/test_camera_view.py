"""The camera window, fed by a video file standing in for a camera (OpenCV opens both the same way): devices
probed off the GUI thread, live frames with boxes, snapshot, record, the event loop on time, Stop releases the
file; sources that cannot be opened get a one-line reason and never block the window."""

from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
from PySide6.QtCore import Qt

from tests.conftest import read_rgb
from tests.support.clips import decode_all, write_clip
from tests.ui.conftest import LatenessProbe


def open_by_process(path: Path) -> bool:
    """Whether this process holds a file descriptor on ``path``."""
    target = os.path.realpath(path)
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == target:
                return True
        except OSError:
            continue
    return False


def test_live_view_snapshot_record_and_stop(qtbot, window, tmp_path, data_dir):
    clip = tmp_path / "doorway.mp4"
    write_clip(clip, read_rgb(data_dir / "camera.png"), 120, 20.0, "mp4v", shift=2)  # 6 s at 20 fps
    saved = tmp_path / "saved"
    probe = LatenessProbe()
    probe.start()
    view = window.open_camera()
    view.folder = str(saved)
    qtbot.waitUntil(lambda: view.rescan_button.isEnabled(), timeout=60_000)  # indexes 0–9 probed in the background
    assert view.device.count() >= 1

    view.url.setText(str(clip))
    qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.frames_shown >= 5, timeout=30_000)
    assert view.view.has_image
    assert "person" in {box.detection.label for box in view.view.boxes()}
    assert open_by_process(clip)
    capture = view.capture
    assert capture is not None and capture.state == "live"

    qtbot.mouseClick(view.record_button, Qt.MouseButton.LeftButton)
    recording = view.recording
    assert recording is not None
    qtbot.wait(1200)
    qtbot.mouseClick(view.record_button, Qt.MouseButton.LeftButton)  # off: finished on a background thread
    qtbot.waitUntil(lambda: view.status.text().startswith("Recorded"), timeout=20_000)
    snapshot = view.snapshot()
    assert view.fps_label.text().startswith("camera ")

    qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)  # Stop
    assert not view.live
    qtbot.waitUntil(lambda: capture.released, timeout=10_000)
    assert not open_by_process(clip)
    stats = probe.stop()
    assert stats["max_ms"] < 100, stats

    video = next(saved.glob("recording *.mp4"))
    frames = decode_all(video)
    lines = [json.loads(line) for line in next(saved.glob("recording *.frames.jsonl")).read_text().splitlines()]
    assert len(frames) >= 10 and lines  # ~1.2 s at 20 fps, every captured frame
    assert frames[0].shape == (512, 512, 3)
    assert all(line["frame"] < len(frames) + recording.dropped for line in lines)
    assert [line["frame"] for line in lines] == sorted(line["frame"] for line in lines)
    image, record = snapshot
    assert cv2.imread(str(image)).shape == (512, 512, 3)
    detections = json.loads(record.read_text())["detections"]
    assert any(d["label"] == "person" for d in detections)
    assert not [p for p in saved.iterdir() if p.name.startswith(".")]


def test_sources_that_cannot_be_opened(qtbot, window):
    view = window.open_camera()
    probe = LatenessProbe()
    probe.start()
    view.url.setText("rtsp://127.0.0.1:9/stream")  # nothing listens there: refused
    qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.live, timeout=30_000)
    assert view.messages[-1].startswith("rtsp://127.0.0.1:9/stream: cannot be opened")
    view.url.setText("7")  # a device index that does not exist here
    qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.live, timeout=30_000)
    assert view.messages[-1] == "camera 7: cannot be opened (no such camera, or it is in use by another program)"
    stats = probe.stop()
    assert stats["max_ms"] < 100, stats


def test_live_tracking_counts_lines_and_records_them(qtbot, window, tmp_path, data_dir):
    """The street clip (tests/support/scenes.py) as a camera, at its own pace: live ids, the distinct objects since
    Start and a line's crossings are the clip's known answers, and the recording writes them."""
    import csv

    from PySide6.QtCore import QPointF

    from tests.support.scenes import STREET_CROSSINGS, STREET_DISTINCT, STREET_LINE, make_street
    from yolo_desktop.video.lines import CountLine

    clip = make_street(tmp_path / "clips", data_dir)
    names = window.session.model_info.names
    window.class_filter.set_classes(names, {"person", "motorbike"})
    window._on_classes(window.class_filter.selected())
    view = window.open_camera()
    view.folder = str(tmp_path / "saved")
    view.set_lines([CountLine(*STREET_LINE, name="door")])
    view.url.setText(str(clip))
    qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.frames_shown >= 1, timeout=30_000)
    qtbot.mouseClick(view.record_button, Qt.MouseButton.LeftButton)
    assert view.recording is not None and view.recording.tracked
    qtbot.waitUntil(lambda: any(box.detection.track_id for box in view.view.boxes()), timeout=10_000)
    assert any(box.label.text.startswith("person #") for box in view.view.boxes())
    # The clip ends (8 s): the view stops by itself and the recording is finished.
    qtbot.waitUntil(lambda: view.status.text().startswith("Recorded"), timeout=60_000)

    assert view.tracker.distinct() == STREET_DISTINCT
    assert view.counts_label.text().startswith("Objects since start: person 3, motorbike 1")
    assert "door: person 2 right-to-left, 2 left-to-right; motorbike 1 right-to-left" in view.counts_label.text()
    assert view.view.line_texts() == ["door: 3 right-to-left · 2 left-to-right"]
    saved = tmp_path / "saved"
    with open(next(saved.glob("recording *.tracks.csv")), encoding="utf-8-sig", newline="") as handle:
        tracks = list(csv.DictReader(handle))
    with open(next(saved.glob("recording *.crossings.csv")), encoding="utf-8-sig", newline="") as handle:
        crossings = list(csv.DictReader(handle))
    assert [t["label"] for t in tracks] == ["person", "person", "motorbike", "person"]
    counted: dict[str, dict[str, int]] = {}
    for c in crossings:
        per_class = counted.setdefault(c["label"], {"right-to-left": 0, "left-to-right": 0})
        per_class[c["direction"]] += 1
    assert counted == STREET_CROSSINGS
    lines = [json.loads(line) for line in next(saved.glob("recording *.frames.jsonl")).read_text().splitlines()]
    ids = {d["track_id"] for line in lines for d in line["detections"]} - {None}
    assert ids == {int(t["track_id"]) for t in tracks}

    # A line drawn with the mouse on the last frame, then cleared.
    picture = view.view
    qtbot.mouseClick(view.line_button, Qt.MouseButton.LeftButton)
    start, end = picture.mapFromScene(QPointF(100, 20)), picture.mapFromScene(QPointF(100, 280))
    qtbot.mousePress(picture.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseRelease(picture.viewport(), Qt.MouseButton.LeftButton, pos=end)
    assert [line.name for line in view.lines] == ["door", "line 2"] and not picture.line_mode
    qtbot.mouseClick(view.clear_lines_button, Qt.MouseButton.LeftButton)
    assert view.lines == () and picture.line_texts() == []


def test_a_zone_drawn_on_the_live_camera_counts_and_the_recording_logs_its_events(qtbot, window, tmp_path, data_dir):
    """The street clip as a camera: a zone clicked on the live picture counts the people entering it (A, B, and
    C twice: it turns back), the recording's event log holds the entries and exits with the computer's clock, and
    the zone is saved with the recordings folder for this camera's size (its clips are then analysed with it)."""
    import csv
    from datetime import datetime

    from PySide6.QtCore import QPointF

    from tests.support.scenes import make_street
    from yolo_desktop.video.zone_book import ZoneBook

    clip = make_street(tmp_path / "clips", data_dir)
    window.class_filter.set_classes(window.session.model_info.names, {"person", "motorbike"})
    window._on_classes(window.class_filter.selected())
    view = window.open_camera()
    view.folder = str(tmp_path / "saved")
    view.url.setText(str(clip))
    before = datetime.now()
    qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.frames_shown >= 1, timeout=30_000)
    qtbot.mouseClick(view.record_button, Qt.MouseButton.LeftButton)
    # Click the zone's corners (A reaches it at about 1.1 s), double-click the last.
    qtbot.mouseClick(view.zone_button, Qt.MouseButton.LeftButton)
    corners = [view.view.mapFromScene(QPointF(x, y)) for x, y in ((150, 0), (305, 0), (305, 240), (150, 240))]
    for corner in corners[:-1]:
        qtbot.mouseClick(view.view.viewport(), Qt.MouseButton.LeftButton, pos=corner)
    qtbot.mouseDClick(view.view.viewport(), Qt.MouseButton.LeftButton, pos=corners[-1])
    (zone,) = view.zones
    assert zone.name == "zone 1" and view.tracker.zones == view.zones
    qtbot.waitUntil(lambda: view.status.text().startswith("Recorded"), timeout=60_000)

    assert "zone 1: person 4 entered, 4 left, 0 visits, 0 inside" in view.counts_label.text()
    assert view.view.zone_layer.texts() == ["zone 1: 4 in · 0 now"]
    with open(next((tmp_path / "saved").glob("recording *.events.csv")), encoding="utf-8-sig", newline="") as f:
        events = list(csv.DictReader(f))
    assert sorted(e["event"] for e in events) == ["enter"] * 4 + ["leave"] * 4
    assert {e["place"] for e in events} == {"zone 1"} and {e["label"] for e in events} == {"person"}
    for e in events:
        wall = datetime.fromisoformat(e["wall_time"])
        assert before <= wall <= datetime.now() and float(e["time"]) >= 0
    saved = ZoneBook.load(tmp_path / "saved").for_size(480, 300)
    assert saved.zones == view.zones
    # Started again (a new window's camera: nothing drawn), the saved zone comes back with the first frame.
    view.set_zones(())
    ZoneBook.load(tmp_path / "saved").set(480, 300, saved)
    qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.frames_shown >= 1, timeout=30_000)
    assert view.zones == saved.zones and view.tracker.zones == saved.zones
    view.stop()
