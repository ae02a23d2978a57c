"""Footage analysis in the window, for the video on screen: zones drawn on the player, the heatmap overlay, the
event log as a filterable table (a click seeks the video to the event) and a chart of events per interval.

    controls  a row under the player: Zone (click the points on the picture, double-click to close), Clear
              zones, Heatmap
    events    a tab beside the detections: filters (event, class, place), the table, the chart with its interval

Everything comes from the player's tracks (``video/retrack.StoreTracks``: the kept candidates tracked again at
the thresholds on screen, with the video's lines and zones), recomputed without the network when any of those
change; the zones are saved with the video's folder for its camera size (``session_model``). This module takes
the session and the player it works with; the main window only places its two widgets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..imaging.palette import class_color
from ..video.clock import clip_start, wall_text
from ..video.event_files import event_record
from ..video.events import KINDS, Event, EventQuery, per_class
from ..video.intervals import ClipEvents, interval_table
from ..video.timecode import format_time
from ..video.zones import Zone, ZoneError
from .count_texts import zone_summary

if TYPE_CHECKING:
    from .session import Session
    from .video_player import VideoPlayer

INTERVALS = (("10 s", 10.0), ("1 min", 60.0), ("5 min", 300.0), ("15 min", 900.0), ("1 h", 3600.0))
Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Time", "Wall clock", "Event", "Place", "Class", "Track", "Dwell (s)", "Score")
ARROWS = {"left-to-right": "→", "right-to-left": "←", "top-to-bottom": "↓", "bottom-to-top": "↑"}


class EventModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[Event] = []
        self.start = None  # the clip's wall clock (datetime) or None

    def set_events(self, events: list[Event], start) -> None:
        self.beginResetModel()
        self.events, self.start = events, start
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.events)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        e = self.events[index.row()]
        if role == Qt.ItemDataRole.DecorationRole and index.column() == 4:
            return QColor(*class_color(e.class_id))
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        kind = f"{e.kind} {ARROWS.get(e.direction, '')}".strip()
        dwell = "" if e.dwell is None else f"{e.dwell:.1f}"
        wall = wall_text(self.start, e.time)[11:19]
        values = (format_time(e.time), wall, kind, e.place, e.label, e.track_id, dwell, f"{e.score:.2f}")
        return values[index.column()]


class IntervalChart(QWidget):
    """Events per interval: one bar per interval (its label under it), the busiest the tallest."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bars: list[tuple[str, int]] = []
        self.setMinimumHeight(90)

    def set_bars(self, bars: Sequence[tuple[str, int]]) -> None:
        self.bars = list(bars)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(300, 140)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        palette = self.palette()
        if not any(count for _label, count in self.bars):
            painter.setPen(palette.placeholderText().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No events yet: draw a zone or a count line")
            return
        metrics = self.fontMetrics()
        bottom = self.height() - metrics.height() - 4
        width = max(2.0, (self.width() - 8) / len(self.bars))
        peak = max(count for _label, count in self.bars)
        step = max(1, int(np.ceil(metrics.horizontalAdvance("00:00:00") / width)))  # labels that fit
        for k, (label, count) in enumerate(self.bars):
            x = 4 + k * width
            height = (bottom - metrics.height() - 4) * count / peak
            painter.fillRect(QRectF(x + 1, bottom - height, width - 2, height), QColor(0, 160, 220))
            painter.setPen(palette.text().color())
            if count:
                painter.drawText(QRectF(x, bottom - height - metrics.height(), width, metrics.height()),
                                 Qt.AlignmentFlag.AlignCenter, str(count))  # fmt: skip
            if k % step == 0:
                painter.drawText(
                    QRectF(x, bottom + 2, width * step, metrics.height()), Qt.AlignmentFlag.AlignLeft, label
                )


class FootagePanel(QWidget):
    """The events tab; ``controls`` is the row of buttons placed under the player."""

    zones_changed = Signal()  # the video's zones changed (drawn or cleared): its tracks are computed again

    def __init__(self, session: Session, player: VideoPlayer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.player, self.view = session, player, player.view
        self.events: list[Event] = []  # the video's, all of them (the table shows those the filters let through)
        self.message = ""

        self.controls = QWidget()
        self.zone_button = QToolButton()
        self.zone_button.setText("Zone")
        self.zone_button.setCheckable(True)
        self.zone_button.setToolTip("Click the points of a zone on the picture; double-click (or Enter) to close it")
        self.clear_button = QToolButton()
        self.clear_button.setText("Clear zones")
        self.heatmap_button = QToolButton()
        self.heatmap_button.setText("Heatmap")
        self.heatmap_button.setCheckable(True)
        self.heatmap_button.setToolTip("Show where the tracked objects were (the classes shown)")
        self.zones_label = QLabel()
        self.zones_label.setWordWrap(True)
        self.zones_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout(self.controls)
        row.setContentsMargins(6, 0, 6, 2)
        for widget in (self.zone_button, self.clear_button, self.heatmap_button):
            row.addWidget(widget)
        row.addWidget(self.zones_label, 1)

        self.kind = QComboBox()
        self.kind.addItems(["All events", *KINDS])
        self.label = QComboBox()
        self.place = QComboBox()
        self.interval = QComboBox()
        self.interval.addItems([name for name, _seconds in INTERVALS])
        self.interval.setCurrentIndex(1)
        self.model = EventModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setToolTip("Click an event to see it in the video")
        self.chart = IntervalChart()
        filters = QHBoxLayout()
        for combo in (self.kind, self.label, self.place):
            filters.addWidget(combo, 1)
        chart_row = QHBoxLayout()
        chart_row.addWidget(QLabel("Per"))
        chart_row.addWidget(self.interval)
        chart_row.addStretch(1)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addLayout(chart_row)
        bottom_layout.addWidget(self.chart, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(bottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(split, 1)

        self.zone_button.toggled.connect(self.view.set_zone_mode)
        self.view.zone_drawn.connect(self._on_zone_drawn)
        self.clear_button.clicked.connect(lambda: self.set_zones(()))
        self.heatmap_button.toggled.connect(lambda _on: self._show_heatmap())
        for box in (self.kind, self.label, self.place, self.interval):
            box.currentIndexChanged.connect(self._show_events)
        self.table.clicked.connect(self._on_clicked)
        player.tracks_changed.connect(self.refresh)
        self.refresh()

    # ----- zones ---------------------------------------------------------------------------------------------
    def zones(self) -> tuple[Zone, ...]:
        return self.player.tracking.zones if self.player.tracking is not None else ()

    def set_zones(self, zones: Sequence[Zone]) -> None:
        """The video's zones (saved with its folder); its tracks are computed again."""
        row = self.session.current
        if not self.player.active or row < 0:
            return
        self.player.set_tracking(self.session.set_video_zones(row, zones))
        self.zones_changed.emit()
        self.refresh()

    def _on_zone_drawn(self, points: list) -> None:
        self.zone_button.setChecked(False)
        if not self.player.active or self.player.tracking is None:
            return
        names = {z.name for z in self.zones()} | {line.name for line in self.player.tracking.lines}
        number = len(self.zones()) + 1
        while f"zone {number}" in names:
            number += 1
        try:
            zone = Zone(tuple((round(x, 1), round(y, 1)) for x, y in points), f"zone {number}")
        except ZoneError as exc:
            self.zones_label.setText(str(exc))
            return
        self.set_zones((*self.zones(), zone))

    # ----- what is shown ------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """The video's tracks were computed (again), or another video is on screen."""
        tracks = self.player.tracks if self.player.active else None
        complete = tracks is not None and tracks.complete
        self.events = tracks.tracker.sorted_events() if complete and tracks is not None else []
        zones = self.zones() if self.player.active else ()
        counts = {z["name"]: z["counts"] for z in tracks.zone_counts()} if complete and tracks is not None else {}
        shown, texts = [], []
        for zone in zones:
            tag, text = zone_summary(zone, counts.get(zone.name, {}), live=False)
            shown.append((zone.points, tag))
            texts.append(text)
        self.view.set_zones(shown)
        self.zones_label.setText(self.session.state.setups.problem or "\n".join(texts))
        self.clear_button.setVisible(bool(zones))
        self.zone_button.setEnabled(self.player.active and self.player.tracking is not None)
        self._fill_filters()
        self._show_events()
        self._show_heatmap()

    def _fill_filters(self) -> None:
        for combo, first, values in (
            (self.label, "All classes", sorted({e.label for e in self.events})),
            (self.place, "All places", sorted({e.place for e in self.events})),
        ):
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([first, *values])
            combo.setCurrentIndex(max(0, combo.findText(current)))
            combo.blockSignals(False)

    def query(self) -> EventQuery:
        def chosen(combo: QComboBox) -> str:
            return combo.currentText() if combo.currentIndex() > 0 else ""

        return EventQuery(chosen(self.kind), chosen(self.label), chosen(self.place))

    def _clip_start(self):
        track = self.player.track
        if track is None:
            return None
        return clip_start(self.player.path, track.info.duration)

    def _show_events(self) -> None:
        shown = self.query().apply(self.events)
        start = self._clip_start() if shown else None
        self.model.set_events(shown, start)
        track = self.player.track
        if track is None or not len(track.store):
            self.chart.set_bars([])
            return
        seconds = INTERVALS[self.interval.currentIndex()][1]
        duration = (track.info.frame_count or track.frames_read) / track.info.fps
        records = [event_record(e, self.player.path, None) for e in shown]
        table = interval_table([ClipEvents(self.player.path, start, duration, records)], seconds)
        totals = [(key[0][11:] if start is not None else key[0], sum(c.values())) for key, _r, c in table.ordered()]
        self.chart.set_bars(totals)

    def _on_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.player.seek(self.model.events[index.row()].frame)

    def _show_heatmap(self) -> None:
        tracks = self.player.tracks if self.player.active else None
        overlay = None
        if self.heatmap_button.isChecked() and tracks is not None and tracks.complete:
            classes = self.session.settings.classes
            names = tracks.store.names
            ids = None if classes is None else {k for k, n in enumerate(names) if n in classes}
            rgba = tracks.heatmap.rgba(ids)
            if rgba is not None:
                height, width = rgba.shape[:2]
                image = QImage(rgba.data, width, height, rgba.strides[0], QImage.Format.Format_RGBA8888).copy()
                overlay = QPixmap.fromImage(image)
        self.view.set_heatmap(overlay)

    def events_per_class(self) -> dict[str, int] | None:
        """The video's events per class (None: no lines or zones)."""
        tracking = self.player.tracking if self.player.active else None
        if tracking is None or not (tracking.lines or tracking.zones):
            return None
        return per_class(self.events)
