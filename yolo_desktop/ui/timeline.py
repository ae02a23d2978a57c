"""The per-class timeline under the player's slider: one strip per class (the most frequent first), each second
tinted by how many of that class were seen at once; a click (or drag) seeks there. With ``show_tracks`` it shows
the video's tracks instead: one bar per tracked object from when it was first to last seen, in its class's colour,
packed into a few rows (a track starts on the first row free by then)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ..imaging.palette import class_color
from ..video.frame_store import SecondCounts
from ..video.timecode import format_time
from ..video.tracking import TrackSummary

MAX_ROWS = 5
MAX_TRACK_ROWS = 6
ROW_HEIGHT = 11  # logical pixels
LABEL_WIDTH = 78


class Timeline(QWidget):
    seek_requested = Signal(float)  # seconds

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counts: SecondCounts | None = None
        self.names: tuple[str, ...] = ()
        self.duration = 0.0
        self.position = 0.0
        self.tracks: list[TrackSummary] = []
        self.lanes: list[list[TrackSummary]] = []  # tracks packed into rows (show_tracks)
        self.show_tracks = False
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("Objects per second (the most seen at once); click to go there")

    def set_counts(self, counts: SecondCounts | None, names: Sequence[str], duration: float) -> None:
        self.counts, self.names, self.duration = counts, tuple(names), max(duration, 1e-6)
        self.updateGeometry()
        self.update()

    def set_tracks(self, tracks: list[TrackSummary]) -> None:
        self.tracks = list(tracks)
        self.lanes = pack_lanes(self.tracks, MAX_TRACK_ROWS)
        if self.show_tracks:
            self.updateGeometry()
            self.update()

    def set_show_tracks(self, on: bool) -> None:
        self.show_tracks = on
        self.setToolTip(
            "Tracked objects: each bar from when it was first to last seen; click to go there"
            if on
            else "Objects per second (the most seen at once); click to go there"
        )
        self.updateGeometry()
        self.update()

    def set_position(self, seconds: float) -> None:
        self.position = seconds
        self.update()

    @property
    def rows(self) -> int:
        if self.show_tracks:
            return len(self.lanes)
        return 0 if self.counts is None else min(MAX_ROWS, len(self.counts.class_ids))

    def row_labels(self) -> list[str]:
        return [] if self.counts is None else [self.names[int(c)] for c in self.counts.class_ids[: self.rows]]

    def sizeHint(self) -> QSize:
        return QSize(400, max(1, self.rows) * ROW_HEIGHT + 4)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def _track(self) -> QRectF:
        return QRectF(LABEL_WIDTH, 2, max(1.0, self.width() - LABEL_WIDTH - 4), self.height() - 4)

    def _seconds_at(self, x: float) -> float:
        track = self._track()
        return min(max((x - track.left()) / track.width(), 0.0), 1.0) * self.duration

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        track = self._track()
        painter.fillRect(track, self.palette().color(self.backgroundRole()).darker(108))
        counts = self.counts
        if self.show_tracks:
            self._paint_tracks(painter, track)
        elif counts is not None and self.rows:
            peak = max(1, int(counts.counts[:, : self.rows].max()))
            per_second = track.width() / self.duration
            for row, (class_id, label) in enumerate(zip(counts.class_ids[: self.rows], self.row_labels())):
                top = track.top() + row * ROW_HEIGHT
                r, g, b = class_color(int(class_id))
                painter.setPen(self.palette().color(self.foregroundRole()))
                painter.drawText(
                    QRectF(2, top, LABEL_WIDTH - 6, ROW_HEIGHT),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    self.fontMetrics().elidedText(label, Qt.TextElideMode.ElideRight, LABEL_WIDTH - 6),
                )
                for second in map(int, counts.counts[:, row].nonzero()[0]):
                    alpha = 70 + int(185 * counts.counts[second, row] / peak)
                    x = track.left() + second * per_second
                    painter.fillRect(
                        QRectF(x, top + 1, max(1.0, per_second - 0.5), ROW_HEIGHT - 2), QColor(r, g, b, alpha)
                    )
        x = track.left() + track.width() * min(self.position / self.duration, 1.0) if self.duration else track.left()
        painter.setPen(QPen(self.palette().color(self.foregroundRole()), 1.5))
        painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))

    def _paint_tracks(self, painter: QPainter, area: QRectF) -> None:
        if not self.duration:  # nothing to place yet (the counts arrive with the first frames)
            return
        per_second = area.width() / self.duration
        metrics = self.fontMetrics()
        for row, lane in enumerate(self.lanes):
            top = area.top() + row * ROW_HEIGHT
            for t in lane:
                r, g, b = class_color(t.class_id)
                x = area.left() + t.first_time * per_second
                bar = QRectF(x, top + 1, max(2.0, (t.last_time - t.first_time) * per_second), ROW_HEIGHT - 2)
                painter.fillRect(bar, QColor(r, g, b, 200))
                text = f"#{t.track_id}"
                if metrics.horizontalAdvance(text) + 4 <= bar.width():
                    painter.setPen(QColor(0, 0, 0))
                    painter.drawText(bar, Qt.AlignmentFlag.AlignCenter, text)
        if self.lanes:
            painter.setPen(self.palette().color(self.foregroundRole()))
            painter.drawText(
                QRectF(2, area.top(), LABEL_WIDTH - 6, ROW_HEIGHT),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                f"{len(self.tracks)} tracks",
            )

    def tracks_at(self, seconds: float) -> list[TrackSummary]:
        return [t for t in self.tracks if t.first_time <= seconds <= t.last_time]

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.seek_requested.emit(self._seconds_at(event.position().x()))
            event.accept()

    def mouseMoveEvent(self, event) -> None:
        seconds = self._seconds_at(event.position().x())
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.seek_requested.emit(seconds)
        if self.show_tracks:
            here = [f"{t.label} #{t.track_id}" for t in self.tracks_at(seconds)]
            QToolTip.showText(
                event.globalPosition().toPoint(), f"{format_time(seconds)}: {', '.join(here) or 'nothing'}", self
            )
        elif self.counts is not None and self.rows:
            second = min(int(seconds), self.counts.seconds - 1)
            parts = [
                f"{label} {int(self.counts.counts[second, row])}"
                for row, label in enumerate(self.row_labels())
                if self.counts.counts[second, row]
            ]
            QToolTip.showText(
                event.globalPosition().toPoint(), f"{format_time(second)}: {', '.join(parts) or 'nothing'}", self
            )


def pack_lanes(tracks: list[TrackSummary], rows: int) -> list[list[TrackSummary]]:
    """Tracks into at most ``rows`` rows, in order of appearance, each on the first row free by its start (a track
    that finds none goes on the row that frees first: bars may then overlap)."""
    lanes: list[list[TrackSummary]] = []
    for t in sorted(tracks, key=lambda t: (t.first_time, t.track_id)):
        free = [i for i, lane in enumerate(lanes) if lane[-1].last_time < t.first_time]
        if free:
            lanes[free[0]].append(t)
        elif len(lanes) < rows:
            lanes.append([t])
        else:
            lanes[min(range(len(lanes)), key=lambda i: lanes[i][-1].last_time)].append(t)
    return lanes
