"""The per-class timeline under the player's slider: one strip per class (the most frequent first), each second
tinted by how many of that class were seen at once; a click (or drag) seeks there."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ..palette import class_color
from ..video.frame_store import SecondCounts
from ..video.timecode import format_time

MAX_ROWS = 5
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
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("Objects per second (the most seen at once); click to go there")

    def set_counts(self, counts: SecondCounts | None, names: Sequence[str], duration: float) -> None:
        self.counts, self.names, self.duration = counts, tuple(names), max(duration, 1e-6)
        self.updateGeometry()
        self.update()

    def set_position(self, seconds: float) -> None:
        self.position = seconds
        self.update()

    @property
    def rows(self) -> int:
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
        if counts is not None and self.rows:
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

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.seek_requested.emit(self._seconds_at(event.position().x()))
            event.accept()

    def mouseMoveEvent(self, event) -> None:
        seconds = self._seconds_at(event.position().x())
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.seek_requested.emit(seconds)
        if self.counts is not None and self.rows:
            second = min(int(seconds), self.counts.seconds - 1)
            parts = [
                f"{label} {int(self.counts.counts[second, row])}"
                for row, label in enumerate(self.row_labels())
                if self.counts.counts[second, row]
            ]
            QToolTip.showText(
                event.globalPosition().toPoint(), f"{format_time(second)}: {', '.join(parts) or 'nothing'}", self
            )
