"""The player under the viewer for a video entry: play/pause (Space), seek slider, frame step (, and .), the time,
and the per-class timeline. Frames are decoded by ``video.player.FrameFetcher`` on its own thread and shown in the
window's viewer; the detections of the shown frame come from the video's kept candidates at the thresholds on
screen (a stride's frames show the processed frame before them), so moving a slider never runs the network.

Tracking: the video's tracks (``video/retrack.py``) are computed again from those candidates whenever the
thresholds, the class filter or the counting lines change, a slice per event-loop turn; boxes show their ids
(``person #3``) once the tracker has reached their frame. "Tracks" switches the timeline to the tracks; "Count
line" lets the next drag on the picture draw a counting line, whose crossings are shown under the timeline and
on the line."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QStyle, QToolButton, QVBoxLayout, QWidget

from ..results import Detections
from ..settings import DEFAULTS, DetectorSettings
from ..video.lines import CountLine
from ..video.retrack import StoreTracks
from ..video.timecode import format_time
from ..video.track import VideoTrack
from ..video.tracking import TrackingOptions
from .image_view import ImageView
from .qt_images import pixmap_from_rgb
from .timeline import Timeline

if TYPE_CHECKING:
    from ..video.player import FrameFetcher

NMS_BUDGET_S = 0.012  # per event-loop turn while a new NMS IoU is applied to every frame of a video
TRACK_BUDGET_S = 0.012  # per event-loop turn while a video is tracked again
TIMELINE_WHILE_RUNNING_S = 2.0


class VideoPlayer(QWidget):
    frame_shown = Signal()  # a new frame (or new detections for it) is on screen: the table and counts follow
    tracks_changed = Signal()  # the video's tracks were computed (again): distinct counts and crossings follow
    line_drawn = Signal(object)  # a CountLine drawn on the picture (the window adds it to the video's lines)
    lines_cleared = Signal()
    # From the decoder thread: the video it belongs to (a counter), index, seconds, RGB, problem.
    _frame_ready = Signal(int, int, float, object, object)

    def __init__(self, view: ImageView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._timeline_at = 0.0  # when the timeline was last recounted (monotonic seconds)
        self._opened = 0  # how many videos were opened: tags the decoder thread's frames
        self.view = view
        self.track: VideoTrack | None = None
        self.path = ""
        self.settings = DEFAULTS
        self.tracking: TrackingOptions | None = None  # how this video is tracked (None: not)
        self.tracks: StoreTracks | None = None  # its tracks at the settings on screen (being computed, or done)
        self.frame = -1  # the frame on screen
        self.problem = ""
        self._detections = Detections.empty()
        self._fetcher: FrameFetcher | None = None
        self._frames = 0
        self._fps = 30.0
        self._playing = False
        self._clock: tuple[float, int] = (0.0, 0)  # (wall time, frame) playback is anchored to
        self._waiting = False  # a frame was asked for and has not arrived
        self._requested = 0  # the frame last asked for
        self._seconds = 0.0  # time of the frame on screen

        style = self.style()
        self.play_button = QToolButton()
        self.play_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.play_button.setToolTip("Play / pause (Space)")
        self.back_button = QToolButton()
        self.back_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekBackward))
        self.back_button.setToolTip("Previous frame (,)")
        self.forward_button = QToolButton()
        self.forward_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward))
        self.forward_button.setToolTip("Next frame (.)")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Seek")
        self.time_label = QLabel()
        self.time_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.timeline = Timeline()
        self.tracks_button = QToolButton()
        self.tracks_button.setText("Tracks")
        self.tracks_button.setCheckable(True)
        self.tracks_button.setToolTip("Show each tracked object on the timeline instead of the counts per second")
        self.line_button = QToolButton()
        self.line_button.setText("Count line")
        self.line_button.setCheckable(True)
        self.line_button.setToolTip("Drag on the picture to draw a line: objects crossing it are counted")
        self.clear_lines_button = QToolButton()
        self.clear_lines_button.setText("Clear lines")
        self.clear_lines_button.setVisible(False)
        self.lines_label = QLabel()  # each counting line's crossings
        self.lines_label.setWordWrap(True)
        self.lines_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.lines_label.setVisible(False)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.back_button, self.play_button, self.forward_button):
            row.addWidget(widget)
        row.addWidget(self.slider, 1)
        row.addWidget(self.time_label)
        for widget in (self.tracks_button, self.line_button, self.clear_lines_button):
            row.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 4)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.timeline)
        layout.addWidget(self.lines_label)

        self.play_button.clicked.connect(self.toggle)
        self.back_button.clicked.connect(lambda: self.step(-1))
        self.forward_button.clicked.connect(lambda: self.step(1))
        self.slider.valueChanged.connect(self._on_slider)
        self.timeline.seek_requested.connect(lambda seconds: self.seek(round(seconds * self._fps)))
        self._frame_ready.connect(self._on_frame)
        self._tick = QTimer(self, singleShot=True)
        self._tick.timeout.connect(self._next_frame)
        self._nms_timer = QTimer(self, singleShot=True, interval=0)
        self._nms_timer.timeout.connect(self._prepare_nms)
        self._track_timer = QTimer(self, singleShot=True, interval=0)
        self._track_timer.timeout.connect(self._advance_tracks)
        self.tracks_button.toggled.connect(self.timeline.set_show_tracks)
        self.line_button.toggled.connect(self.view.set_line_mode)
        self.clear_lines_button.clicked.connect(self.lines_cleared.emit)
        self.view.line_drawn.connect(self._on_line_drawn)
        self.shortcuts = []
        for keys, slot in ((Qt.Key.Key_Space, self.toggle), (",", lambda: self.step(-1)), (".", lambda: self.step(1))):
            shortcut = QShortcut(QKeySequence(keys), self, context=Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)
            shortcut.setEnabled(False)
            self.shortcuts.append(shortcut)

    # ----- what is shown -------------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return bool(self.path)

    @property
    def playing(self) -> bool:
        return self._playing

    def detections(self) -> Detections:
        """The detections of the frame on screen (at the current thresholds)."""
        return self._detections

    def open(
        self,
        path: str,
        track: VideoTrack | None,
        settings: DetectorSettings,
        tracking: TrackingOptions | None = None,
    ) -> None:
        """Show ``path`` from its first frame; ``track``: its processed frames so far (None: not processed yet);
        ``tracking``: how its objects are tracked (None: not)."""
        self.close_video()
        self.path, self.settings, self.tracking = path, settings, tracking
        self.line_button.setEnabled(tracking is not None)
        self._opened += 1
        opened = self._opened  # frames the previous video's fetcher still sends are dropped
        from ..video.player import FrameFetcher  # OpenCV: loaded with the first video, not at start-up

        self._fetcher = FrameFetcher(path, lambda *args: self._frame_ready.emit(opened, *args))
        self.frame, self.problem = -1, ""
        for shortcut in self.shortcuts:
            shortcut.setEnabled(True)
        self.set_track(track)
        self.seek(0)

    def close_video(self) -> None:
        self.pause()
        if self._fetcher is not None:
            self._fetcher.close()
            self._fetcher = None
        self.path, self.track, self.frame, self._detections = "", None, -1, Detections.empty()
        self.tracks, self.tracking = None, None
        self._track_timer.stop()
        for shortcut in self.shortcuts:
            shortcut.setEnabled(False)
        self.timeline.set_counts(None, (), 1.0)
        self.timeline.set_tracks([])
        self.line_button.setChecked(False)
        self.view.set_lines([])
        self.lines_label.setVisible(False)
        self.clear_lines_button.setVisible(False)

    def set_track(self, track: VideoTrack | None) -> None:
        """The video's processed frames changed (more arrived, or it finished): refresh boxes and timeline."""
        self.track = track
        if track is not None:
            self._frames = track.info.frame_count or max(1, track.frames_read)
            self._fps = track.info.fps
        elif self._fetcher is not None and self._fetcher.info is not None:
            self._frames, self._fps = self._fetcher.info.frame_count, self._fetcher.info.fps
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, self._frames - 1))
        self.slider.blockSignals(False)
        self._retrack()
        self._refresh_detections()
        # While frames keep arriving (4 chunks a second) the whole timeline is recounted at most every
        # TIMELINE_WHILE_RUNNING_S: a recount walks every frame so far, which grows with the video.
        now = time.monotonic()
        if track is None or track.finished or now - self._timeline_at >= TIMELINE_WHILE_RUNNING_S:
            self._timeline_at = now
            self._refresh_timeline()

    def _show_time(self) -> None:
        total = self._frames / self._fps if self._fps else 0.0
        text = f"{format_time(self._seconds)} / {format_time(total)} · frame {max(self.frame, 0)}"
        store = self.track.store if self.track is not None else None
        if store is not None and self.settings.conf < store.floor:
            # Videos keep candidates from a higher floor than photos (memory): say what is shown.
            text += f" · confidence {store.floor:g} (the lowest kept for videos)"
        self.time_label.setText(text)

    def set_settings(self, settings: DetectorSettings) -> None:
        """New thresholds or class filter: the frame on screen now, the timeline as soon as it is computed."""
        self.settings = settings
        self._show_time()
        self._retrack()
        self._refresh_detections()
        self._refresh_timeline()

    def set_tracking(self, tracking: TrackingOptions | None) -> None:
        """New tracking options (a counting line drawn or cleared): the tracks are computed again."""
        self.tracking = tracking
        self._retrack()
        self._refresh_detections()

    def _frame_detections(self) -> Detections:
        if self.track is not None and self.frame >= 0:
            position = self.track.store.position_of(self.frame)
            if position is not None:
                tracked = self.tracks.detections(position) if self.tracks is not None else None
                return tracked if tracked is not None else self.track.store.detections(position, self.settings)
        return Detections.empty()

    # ----- tracks --------------------------------------------------------------------------------------------
    def _retrack(self) -> None:
        """The tracks for the settings and lines now (kept if neither changed); computed a slice at a time."""
        track, tracking = self.track, self.tracking
        tracks = track.tracks(self.settings, tracking) if track is not None and tracking is not None else None
        changed = tracks is not self.tracks
        self.tracks = tracks
        if tracks is not None and (changed or not tracks.complete):
            self._track_timer.start()
        if changed:
            self._show_lines()

    @Slot()
    def _advance_tracks(self) -> None:
        tracks = self.tracks
        if tracks is None:
            return
        before = tracks.done
        complete = tracks.advance(TRACK_BUDGET_S)
        if not complete:
            self._track_timer.start()
        position = self.track.store.position_of(self.frame) if self.track is not None and self.frame >= 0 else None
        if position is not None and before <= position < tracks.done:
            self._refresh_detections()  # the frame on screen just got its ids
        if complete:
            self.timeline.set_tracks(tracks.tracker.tracks())
            self._show_lines()
            self.tracks_changed.emit()

    def distinct(self) -> dict[str, int] | None:
        """The video's distinct objects per class (so far, while its tracks are computed); None: not tracked."""
        return self.tracks.tracker.distinct() if self.tracks is not None else None

    def _show_lines(self) -> None:
        lines = self.tracking.lines if self.tracking is not None else ()
        counts = self.tracks.line_counts() if self.tracks is not None and self.tracks.complete else None
        shown, texts = [], []
        for number, line in enumerate(lines):
            crossed = counts[number]["crossings"] if counts is not None else {}
            first, second = line.directions
            total = [sum(c[first] for c in crossed.values()), sum(c[second] for c in crossed.values())]
            shown.append((line.points, f"{line.name}: {total[0]} {_arrow(first)} · {total[1]} {_arrow(second)}"))
            per_class = "; ".join(f"{label} {c[first]} {first}, {c[second]} {second}" for label, c in crossed.items())
            texts.append(f"{line.name}: {per_class or 'nothing crossed'}" if counts is not None else line.name)
        self.view.set_lines(shown)
        self.lines_label.setText("\n".join(texts))
        self.lines_label.setVisible(bool(lines))
        self.clear_lines_button.setVisible(bool(lines))

    @Slot(float, float, float, float)
    def _on_line_drawn(self, x1: float, y1: float, x2: float, y2: float) -> None:
        if not self.active or self.tracking is None:
            return
        self.line_button.setChecked(False)  # one line per press of the button
        names = {line.name for line in self.tracking.lines}
        number = len(self.tracking.lines) + 1
        while f"line {number}" in names:
            number += 1
        self.line_drawn.emit(CountLine(x1, y1, x2, y2, name=f"line {number}"))

    def _refresh_detections(self) -> None:
        detections = self._frame_detections()
        if detections != self._detections:
            self._detections = detections
            self.frame_shown.emit()

    def _refresh_timeline(self) -> None:
        track = self.track
        if track is None or not len(track.store):
            self.timeline.set_counts(None, (), self._frames / self._fps if self._fps else 1.0)
            return
        if not track.store.prepare_nms(self.settings.iou, NMS_BUDGET_S):
            self._nms_timer.start()  # a slice per event-loop turn: the window stays responsive
            return
        duration = (track.info.frame_count or track.frames_read) / track.info.fps
        self.timeline.set_counts(track.store.counts_per_second(self.settings, duration), track.store.names, duration)

    @Slot()
    def _prepare_nms(self) -> None:
        if self.track is not None:
            self._refresh_timeline()

    # ----- moving ----------------------------------------------------------------------------------------------
    def seek(self, frame: int) -> None:
        if self._fetcher is None:
            return
        frame = min(max(frame, 0), max(0, self._frames - 1)) if self._frames else max(frame, 0)
        self._waiting, self._requested = True, frame
        self._fetcher.request(frame)

    def step(self, delta: int) -> None:
        """One frame back or on; from the frame already asked for, so quick key presses add up."""
        self.pause()
        self.seek((self._requested if self._waiting else self.frame) + delta)

    def toggle(self) -> None:
        self.pause() if self._playing else self.play()

    def play(self) -> None:
        if self._fetcher is None or self._playing:
            return
        at_end = self._frames and self.frame >= self._frames - 1
        first = 0 if at_end else max(self.frame, 0)  # at the end: play from the start
        self._playing = True
        self._clock = (time.monotonic(), first)
        self.play_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPause))
        if first != self.frame:
            self.seek(first)
        elif not self._waiting:
            self._next_frame()

    def pause(self) -> None:
        self._playing = False
        self._tick.stop()
        self.play_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))

    def _on_slider(self, value: int) -> None:
        if value != self.frame:
            self.seek(value)

    @Slot()
    def _next_frame(self) -> None:
        """While playing: the frame due now (frames are skipped if decoding or drawing falls behind)."""
        if not self._playing or self._fetcher is None:
            return
        start, first = self._clock
        due = first + int((time.monotonic() - start) * self._fps)
        target = max(self.frame + 1, due)
        if self._frames and target >= self._frames:
            self.pause()
            return
        self.seek(target)

    @Slot(int, int, float, object, object)
    def _on_frame(self, opened: int, index: int, seconds: float, rgb: np.ndarray | None, problem: str | None) -> None:
        if opened != self._opened:
            return  # from a video closed since
        self._waiting = self._waiting and index != self._requested and index >= 0
        if not self.path:
            return
        if rgb is None:
            self.problem = problem or ""
            self.time_label.setText(self.problem)
            self.pause()
            return
        self.frame = index
        self.view.set_image(pixmap_from_rgb(rgb))
        self.slider.blockSignals(True)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        self._seconds = seconds
        self._show_time()
        self.timeline.set_position(seconds)
        self._detections = self._frame_detections()
        self.frame_shown.emit()
        if self._playing:
            start, first = self._clock
            due = start + (index + 1 - first) / self._fps  # wall time the next frame is due
            self._tick.start(max(0, int((due - time.monotonic()) * 1000)))


def _arrow(direction: str) -> str:
    return {"left-to-right": "→", "right-to-left": "←", "top-to-bottom": "↓", "bottom-to-top": "↑"}[direction]
