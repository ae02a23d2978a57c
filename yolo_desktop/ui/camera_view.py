"""The camera window: a device picker (indexes 0–9 probed on a background thread) or a URL (RTSP/HTTP stream, or a
video file standing in for a camera), live detection with an fps meter, pause, snapshot and record.

Everything that can block — opening the device, reading it, detecting, finishing a recording — runs off the GUI
thread (``video/camera.py``); this window only starts and stops those and shows what they send. Only the newest
frame is detected, so a slow network drops frames instead of falling behind. Thresholds and the class filter are
the main window's, applied to every live result as it arrives.

Tracking: each shown result goes through a tracker (``video/tracking.py``, on this thread: well under a
millisecond a frame), so boxes carry ids, the distinct objects since Start are counted, and counting lines drawn
on the picture ("Count line", then drag) count crossings from when they are drawn, and zones ("Zone", then click
the points) count entries, exits, visits and who is inside. Record writes the ids, the tracks, the crossings and
the event log too; the zones and lines are saved with the recordings folder for the camera's size, so the clips
recorded there are analysed with them (``video/zone_book.py``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..inference.decode import refilter
from ..inference.detector import Detector
from ..results import ImageResult
from ..settings import DetectorSettings
from ..video.camera import (
    CameraCapture,
    CameraFrame,
    LiveDetection,
    Recording,
    parse_source,
    probe_cameras,
    save_snapshot,
)
from ..video.lines import CountLine
from ..video.probe import VideoInfo
from ..video.tracking import Tracker
from ..video.writer import VideoWriteError
from ..video.zone_book import CameraSetup, ZoneBook
from ..video.zones import Zone, ZoneError
from .count_texts import live_counts
from .image_view import ImageView
from .qt_images import pixmap_from_rgb
from .session import Session
from .settings_store import SettingsStore

SILENT_AFTER_S = 3.0  # no frame for this long: say the source is not sending


def default_folder() -> str:
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation) or str(Path.home())
    return str(Path(pictures) / "YOLO Desktop")


class CameraView(QWidget):
    _probed = Signal(object)  # [(index, VideoInfo)] from the probe thread
    # From the detection thread, tagged with the run they belong to: a stopped run's last results are dropped.
    _result = Signal(int, object, object)  # run, CameraFrame, ImageResult
    _failed = Signal(int, str)  # run, message
    _recorded = Signal(object, str)  # written paths, problem (from the thread finishing a recording)

    def __init__(self, session: Session, store: SettingsStore, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self._run = 0  # which start() the detection thread's signals belong to
        self.setWindowTitle("Camera — YOLO Desktop")
        self.session = session
        self.store = store
        self.folder = store.text("camera/folder", default_folder())
        self.capture: CameraCapture | None = None
        self.detection: LiveDetection | None = None
        self.recording: Recording | None = None
        self._selected_at: DetectorSettings | None = None  # the settings the live detector selects at
        self.last: tuple[CameraFrame, ImageResult] | None = None  # the frame on screen, its raw result
        self.tracker: Tracker | None = None  # since Start (None: tracking is off)
        self.lines: tuple[CountLine, ...] = ()
        self.zones: tuple[Zone, ...] = ()
        self.frames_shown = 0
        self.messages: list[str] = []
        self._last_shown = 0.0
        self._threads: list[threading.Thread] = []

        self.device = QComboBox()
        self.device.setMinimumWidth(150)
        self.device.addItem("Looking for cameras…")
        self.device.setEnabled(False)
        self.rescan_button = QToolButton()
        self.rescan_button.setText("Rescan")
        self.url = QLineEdit()
        self.url.setPlaceholderText("or a stream URL (rtsp://…, http://…) or a video file")
        self.url.setClearButtonEnabled(True)
        self.start_button = QPushButton("Start")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.snapshot_button = QPushButton("Snapshot")
        self.record_button = QPushButton("Record")
        self.record_button.setCheckable(True)
        self.folder_button = QToolButton()
        self.folder_button.setText("Folder…")
        self.folder_button.setToolTip("Where snapshots and recordings are saved")
        self.line_button = QPushButton("Count line")
        self.line_button.setCheckable(True)
        self.line_button.setToolTip("Drag on the picture to draw a line: objects crossing it from now on are counted")
        self.clear_lines_button = QToolButton()
        self.clear_lines_button.setText("Clear lines")
        self.clear_lines_button.setVisible(False)
        self.zone_button = QPushButton("Zone")
        self.zone_button.setCheckable(True)
        self.zone_button.setToolTip("Click the points of a zone on the picture; double-click to close it")
        self.clear_zones_button = QToolButton()
        self.clear_zones_button.setText("Clear zones")
        self.clear_zones_button.setVisible(False)
        self.fps_label = QLabel()
        self.counts_label = QLabel()  # distinct objects since Start, and each line's crossings
        self.counts_label.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.view = ImageView()
        self.view.hint = "Pick a camera or type a stream URL, then Start"
        top = QHBoxLayout()
        for widget, stretch in ((self.device, 0), (self.rescan_button, 0), (self.url, 1), (self.start_button, 0)):
            top.addWidget(widget, stretch)
        bottom = QHBoxLayout()
        for widget in (self.pause_button, self.snapshot_button, self.record_button, self.folder_button):
            bottom.addWidget(widget)
        for widget in (self.line_button, self.clear_lines_button, self.zone_button, self.clear_zones_button):
            bottom.addWidget(widget)
        bottom.addStretch(1)
        bottom.addWidget(self.fps_label)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.counts_label)
        layout.addWidget(self.status)
        self.resize(900, 640)

        self.rescan_button.clicked.connect(self.probe)
        self.start_button.clicked.connect(lambda: self.stop() if self.live else self.start())
        self.url.returnPressed.connect(self.start)
        self.pause_button.toggled.connect(self._on_pause)
        self.snapshot_button.clicked.connect(self.snapshot)
        self.record_button.toggled.connect(self._on_record)
        self.folder_button.clicked.connect(self._choose_folder)
        self.line_button.toggled.connect(self.view.set_line_mode)
        self.clear_lines_button.clicked.connect(lambda: self.set_lines(()))
        self.view.line_drawn.connect(self._on_line_drawn)
        self.zone_button.toggled.connect(self.view.set_zone_mode)
        self.clear_zones_button.clicked.connect(lambda: self.set_zones(()))
        self.view.zone_drawn.connect(self._on_zone_drawn)
        self._probed.connect(self._on_probed)
        self._result.connect(self._on_result)
        self._failed.connect(self._on_failed)
        self._recorded.connect(self._on_recorded)
        self._meter = QTimer(self, interval=500)
        self._meter.timeout.connect(self._watch)
        self._set_live_controls(False)
        self.probe()

    # ----- devices -------------------------------------------------------------------------------------------
    def probe(self) -> None:
        """Find cameras 0–9 on a background thread (opening a device can take seconds)."""
        self.device.clear()
        self.device.addItem("Looking for cameras…")
        self.device.setEnabled(False)
        self.rescan_button.setEnabled(False)
        self._spawn(lambda: self._probed.emit(probe_cameras()), "camera-probe")

    @Slot(object)
    def _on_probed(self, found: list[tuple[int, VideoInfo]]) -> None:
        self.device.clear()
        for index, info in found:
            self.device.addItem(f"Camera {index} ({info.width}×{info.height})", index)
        if not found:
            self.device.addItem("No camera found")
        self.device.setEnabled(bool(found))
        self.rescan_button.setEnabled(True)

    def source(self) -> int | str | None:
        text = self.url.text().strip()
        if text:
            return parse_source(text)
        data = self.device.currentData()
        return data if isinstance(data, int) else None

    # ----- live ----------------------------------------------------------------------------------------------
    @property
    def live(self) -> bool:
        return self.capture is not None

    def start(self) -> None:
        source = self.source()
        if source is None:
            self._say("No camera found: type a stream URL (or a video file) instead.")
            return
        choice = self.session.choice
        if choice is None or self.session.model_info is None:
            self._say("No model is loaded yet.")
            return
        self.stop()
        # As the window's photos: tiles included (each camera frame then costs one run per tile).
        self._selected_at = choice.settings
        self._run += 1
        run = self._run
        self.capture = CameraCapture(source).start()
        self.detection = LiveDetection(
            self.capture,
            lambda: Detector.chosen(choice),  # built on the detection thread, which alone uses it
            lambda frame, result: self._result.emit(run, frame, result),
            lambda message: self._failed.emit(run, message),
        ).start()
        self.frames_shown, self.last, self._last_shown = 0, None, time.monotonic()
        tracking = self.session.state.tracking
        options = replace(tracking, lines=self.lines, zones=self.zones) if tracking is not None else None
        self.tracker = Tracker(options) if options is not None else None
        self._show_counts()
        self.view.set_image(None)
        self._set_live_controls(True)
        self._say(f"Opening {self.capture.name}…")
        self._meter.start()

    def stop(self) -> None:
        """Stop detecting and release the device; returns at once (the threads finish on their own)."""
        if self.record_button.isChecked():
            self.record_button.setChecked(False)  # finishes the recording in the background
        if self.detection is not None:
            self.detection.stop()
        if self.capture is not None:
            self.capture.stop()
        self.capture, self.detection = None, None
        self._meter.stop()
        self._set_live_controls(False)

    def _set_live_controls(self, live: bool) -> None:
        self.start_button.setText("Stop" if live else "Start")
        for widget in (self.pause_button, self.snapshot_button, self.record_button):
            widget.setEnabled(live)
        if not live:
            self.pause_button.setChecked(False)
            self.fps_label.clear()

    @Slot(int, object, object)
    def _on_result(self, run: int, frame: CameraFrame, result: ImageResult) -> None:
        if run != self._run or self.capture is None or self.pause_button.isChecked():
            return
        detections = self._at_thresholds(result).detections
        crossings, events = [], []
        if self.tracker is not None:
            before, seen = len(self.tracker.crossings), len(self.tracker.events)
            detections = self.tracker.update(frame.seq, frame.time, detections)
            crossings, events = self.tracker.crossings[before:], self.tracker.events[seen:]
        self.last = (frame, result)
        self.view.set_image(pixmap_from_rgb(frame.rgb))
        self.view.set_detections(detections)
        if self.recording is not None:
            self.recording.add_result(frame, detections, crossings, events)
        self._show_counts()
        self.frames_shown += 1
        self._last_shown = time.monotonic()
        if self.frames_shown == 1:
            self._say(f"{self.capture.name}: live")
            self._load_setup(frame.rgb.shape[1], frame.rgb.shape[0])

    def _load_setup(self, width: int, height: int) -> None:
        """No lines or zones drawn yet: those saved with the recordings folder for this camera's size."""
        if self.lines or self.zones:
            return
        try:
            setup = ZoneBook.load(self.folder).for_size(width, height)
        except ZoneError as exc:
            self._say(str(exc))
            return
        if setup:
            self.set_lines(setup.lines)
            self.set_zones(setup.zones)

    def _at_thresholds(self, result: ImageResult) -> ImageResult:
        """``result`` at the thresholds and classes on screen: as detected, unless they changed since the start."""
        settings = self.session.settings
        if self._selected_at is not None and self._selected_at.selection == settings.selection:
            return result
        names = self.session.model_info.names if self.session.model_info else ()
        return refilter(result, settings, names)

    @Slot(str)
    def _on_failed(self, run: int, message: str) -> None:
        if run != self._run:
            return
        self._say(message)
        self.stop()

    @Slot()
    def _watch(self) -> None:
        capture, detection = self.capture, self.detection
        if capture is None or detection is None:
            return
        if capture.state in ("failed", "ended"):
            self._say(capture.error or f"{capture.name}: stopped")
            self.stop()
            return
        self.fps_label.setText(
            f"camera {capture.fps:.1f} fps · detecting {detection.rate:.1f} fps · {self.frames_shown} frames"
        )
        if (
            capture.state == "live"
            and not self.pause_button.isChecked()
            and time.monotonic() - self._last_shown > SILENT_AFTER_S
        ):
            self._say(f"{capture.name}: no frames for {time.monotonic() - self._last_shown:.0f} s (not answering?)")

    def _on_pause(self, paused: bool) -> None:
        if self.detection is not None:
            if paused:
                self.detection.paused.set()
            else:
                self.detection.paused.clear()
                self._last_shown = time.monotonic()

    # ----- snapshot and record -------------------------------------------------------------------------------
    def _stem(self, kind: str) -> str:
        now = time.time()
        return f"{kind} {time.strftime('%Y-%m-%d %H-%M-%S', time.localtime(now))}.{int(now * 1000) % 1000:03d}"

    def snapshot(self) -> list[Path]:
        """The frame on screen with its boxes (JPEG) and its detections (JSON), at the thresholds on screen."""
        if self.last is None:
            self._say("No frame to save yet.")
            return []
        frame, result = self.last
        try:
            written = save_snapshot(Path(self.folder), self._stem("snapshot"), frame.rgb, self._at_thresholds(result))
        except OSError as exc:
            self._say(f"Snapshot not saved in {self.folder}: {exc.strerror or exc}")
            return []
        self._say(f"Saved {written[0]}")
        return written

    def _on_record(self, on: bool) -> None:
        capture = self.capture
        if on:
            if capture is None or capture.info is None:
                self._say("Not live yet: try again when frames appear.")
                self.record_button.setChecked(False)
                return
            info = capture.info
            fps = info.fps if info.fps_known else max(1.0, round(capture.fps) or 30.0)
            try:
                size = (info.width, info.height)
                tracked = self.tracker is not None
                self.recording = Recording(Path(self.folder), self._stem("recording"), size, fps, tracked=tracked)
            except (OSError, VideoWriteError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                self._say(f"Cannot record in {self.folder}: {reason}")
                self.record_button.setChecked(False)
                return
            capture.on_frame = self.recording.add_frame
            self._say(f"Recording to {self.recording.video.target}")
            return
        recording, self.recording = self.recording, None
        if capture is not None:
            capture.on_frame = None
        if recording is not None:

            def finish() -> None:
                try:
                    written = recording.finish()
                    self._recorded.emit(written, f" ({recording.dropped} frames dropped)" if recording.dropped else "")
                except Exception as exc:
                    self._recorded.emit([], str(exc))

            self._spawn(finish, "camera-record-finish")

    @Slot(object, str)
    def _on_recorded(self, written: list[Path], problem: str) -> None:
        if written:
            self._say(f"Recorded {', '.join(p.name for p in written)}{problem}")
        else:
            self._say(f"Recording not saved: {problem}")

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Save snapshots and recordings in", self.folder)
        if folder:
            self.folder = folder
            self.store.set("camera/folder", folder)

    # ----- tracking ------------------------------------------------------------------------------------------
    def set_lines(self, lines) -> None:
        """The counting lines (crossings counted from now on; a line's count goes when the line does)."""
        self.lines = tuple(lines)
        if self.tracker is not None:
            self.tracker.set_lines(self.lines)
            kept = {line.name for line in self.lines}  # a line drawn later under a cleared one's name starts at 0
            self.tracker.crossings = [c for c in self.tracker.crossings if c.line in kept]
        self.clear_lines_button.setVisible(bool(self.lines))
        self._save_setup()
        self._show_counts()

    @Slot(float, float, float, float)
    def _on_line_drawn(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self.line_button.setChecked(False)
        names = {line.name for line in self.lines}
        number = len(self.lines) + 1
        while f"line {number}" in names:
            number += 1
        self.set_lines((*self.lines, CountLine(x1, y1, x2, y2, name=f"line {number}")))

    def set_zones(self, zones) -> None:
        """The zones (counted from now on; a zone's counts go when the zone does)."""
        self.zones = tuple(zones)
        if self.tracker is not None:
            self.tracker.set_zones(self.zones)
        self.clear_zones_button.setVisible(bool(self.zones))
        self._save_setup()
        self._show_counts()

    @Slot(object)
    def _on_zone_drawn(self, points: list) -> None:
        self.zone_button.setChecked(False)
        names = {zone.name for zone in self.zones} | {line.name for line in self.lines}
        number = len(self.zones) + 1
        while f"zone {number}" in names:
            number += 1
        try:
            self.set_zones((*self.zones, Zone(tuple((round(x, 1), round(y, 1)) for x, y in points), f"zone {number}")))
        except ZoneError as exc:
            self._say(str(exc))

    def _save_setup(self) -> None:
        """The zones and lines, saved with the recordings folder for this camera's size."""
        info = self.capture.info if self.capture is not None else None
        if info is None:
            return
        try:
            ZoneBook.load(self.folder).set(info.width, info.height, CameraSetup(self.zones, self.lines))
        except (OSError, ZoneError) as exc:
            self._say(f"Zones not saved in {self.folder}: {exc}")

    def _show_counts(self) -> None:
        """Distinct objects since Start and, per line and zone, its counts (on the picture too)."""
        texts, lines, zones = live_counts(self.tracker, self.lines, self.zones)
        self.counts_label.setText("\n".join(texts))
        self.view.set_lines(lines)
        self.view.set_zones(zones)

    # ----- misc ----------------------------------------------------------------------------------------------
    def _say(self, message: str) -> None:
        self.messages.append(message)
        self.status.setText(message)

    def _spawn(self, target, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def shutdown(self, timeout: float = 2.0) -> None:
        """Stop everything; wait (at most ``timeout``) for recordings to be finished and threads to end."""
        detection, capture = self.detection, self.capture
        self.stop()
        deadline = time.monotonic() + timeout
        for worker in (detection, capture):
            if worker is not None:
                worker.join(max(0.0, deadline - time.monotonic()))
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def closeEvent(self, event) -> None:
        self.stop()
        super().closeEvent(event)
