"""Per-class counts for the current image and the whole batch: a table and a bar chart (the old object counter).
*All* and the chart count every photo's detections and every processed video's (each frame's, at the thresholds on
screen). For a tracked video the table also says how many distinct objects of each class the video has (its
tracks) and, with counting lines or zones, how many events."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QSplitter, QTableWidget, QTableWidgetItem, QWidget

from ..imaging.palette import class_color

MAX_BARS = 12


class BarChart(QWidget):
    """Horizontal bars, one per class, longest first; coloured like the boxes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counts: list[tuple[str, int, int]] = []  # label, count, class id
        self.setMinimumHeight(60)

    def set_counts(self, counts: list[tuple[str, int, int]]) -> None:
        self.counts = sorted(counts, key=lambda c: (-c[1], c[0]))[:MAX_BARS]
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(240, 160)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        if not self.counts:
            painter.setPen(palette.placeholderText().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No detections yet")
            return
        metrics = self.fontMetrics()
        label_width = min(max(metrics.horizontalAdvance(label) for label, _, _ in self.counts) + 8, self.width() // 3)
        number_width = metrics.horizontalAdvance(str(self.counts[0][1])) + 8
        row = min(22.0, (self.height() - 4) / len(self.counts))
        top = 2.0
        biggest = self.counts[0][1]
        available = max(1.0, self.width() - label_width - number_width - 8)
        for label, count, class_id in self.counts:
            text_rect = QRectF(0, top, label_width - 6, row)
            painter.setPen(palette.text().color())
            painter.drawText(
                text_rect,
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(text_rect.width())),
            )
            bar = QRectF(label_width, top + row * 0.15, max(2.0, available * count / biggest), row * 0.7)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(*class_color(class_id)))
            painter.drawRoundedRect(bar, 2, 2)
            painter.setPen(palette.text().color())
            painter.drawText(
                QRectF(bar.right() + 4, top, number_width, row),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                str(count),
            )
            top += row


class SummaryPanel(QSplitter):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Class", "Image", "All", "Objects", "Events"])
        self.table.setColumnHidden(3, True)  # shown for a tracked video
        self.table.setColumnHidden(4, True)  # shown for a video with counting lines or zones
        for column, tip in (
            (2, "Detections in every photo and every frame of the videos processed"),
            (3, "Distinct objects in this video (tracked)"),
            (4, "Events in this video: line crossings, zone entries, exits and visits"),
        ):
            header_item = self.table.horizontalHeaderItem(column)
            assert header_item is not None
            header_item.setToolTip(tip)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.sortItems(2, Qt.SortOrder.DescendingOrder)  # most frequent first until the user re-sorts
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.ResizeToContents)
        self.objects: dict[str, int] | None = None
        self.events: dict[str, int] | None = None
        self.chart = BarChart()
        self.addWidget(self.table)
        self.addWidget(self.chart)
        self.setChildrenCollapsible(False)

    def set_counts(
        self,
        image: Mapping[str, int],
        batch: Mapping[str, int],
        class_ids: Mapping[str, int],
        objects: Mapping[str, int] | None = None,
        events: Mapping[str, int] | None = None,
    ) -> None:
        """``objects``: a tracked video's distinct objects per class (None: a photo, or not tracked); ``events``: its
        events per class (None: no lines or zones)."""
        self.objects = dict(objects) if objects is not None else None
        self.events = dict(events) if events is not None else None
        self.table.setColumnHidden(3, objects is None)
        self.table.setColumnHidden(4, events is None)
        self.table.setHorizontalHeaderItem(1, QTableWidgetItem("Image" if objects is None else "Frame"))
        every = set(image) | set(batch) | set(objects or {}) | set(events or {})
        labels = sorted(every, key=lambda label: (-batch.get(label, 0), label))
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(labels))
        for row, label in enumerate(labels):
            name = QTableWidgetItem(label)
            name.setData(Qt.ItemDataRole.DecorationRole, QColor(*class_color(class_ids.get(label, 0))))
            self.table.setItem(row, 0, name)
            values = [(1, image.get(label, 0)), (2, batch.get(label, 0))]
            if objects is not None:
                values.append((3, objects.get(label, 0)))
            if events is not None:
                values.append((4, events.get(label, 0)))
            for column, value in values:
                item = QTableWidgetItem()
                item.setData(Qt.ItemDataRole.DisplayRole, value)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.table.setSortingEnabled(True)
        self.chart.set_counts([(label, count, class_ids.get(label, 0)) for label, count in batch.items()])
