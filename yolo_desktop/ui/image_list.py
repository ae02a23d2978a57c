"""The image list: thumbnail, name and status of every image in the session, filterable by status; in review, each
photo's label state and box count too (from ``review``, a lookup by row: nothing per photo is read here)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QRegularExpression,
    QSize,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from .session import Session
from .session_model import Entry, Status

STATUS_ROLE = Qt.ItemDataRole.UserRole + 1
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 2
REVIEW_ROLE = Qt.ItemDataRole.UserRole + 3  # the photo's label state (review), or None
ROW_ROLE = Qt.ItemDataRole.UserRole + 4  # the entry's row in the session
THUMB = 56  # logical pixels

STATUS_COLORS = {
    Status.QUEUED: QColor(128, 128, 128),
    Status.RUNNING: QColor(30, 136, 229),
    Status.DONE: QColor(46, 160, 67),
    Status.FAILED: QColor(215, 58, 73),
}

Index = QModelIndex | QPersistentModelIndex


class ImageListModel(QAbstractListModel):
    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self._pixmaps: dict[int, QPixmap] = {}
        # row → (label state, boxes), or None for a photo not under review; set while reviewing
        self.review: Callable[[int], tuple[str, int] | None] | None = None
        session.entries_added.connect(self._on_added)
        session.entry_changed.connect(self._on_changed)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.session.entries)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry = self.session.entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return os.path.basename(entry.path)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{entry.path}\n{entry.status_text}"
        if role == REVIEW_ROLE:
            review = self.review(index.row()) if self.review is not None else None
            return review[0] if review is not None else None
        if role == Qt.ItemDataRole.DecorationRole:
            return self._pixmap(index.row())
        if role == STATUS_ROLE:
            return entry.status.value
        if role == ENTRY_ROLE:
            return entry
        if role == ROW_ROLE:
            return index.row()
        return None

    def _pixmap(self, row: int) -> QPixmap | None:
        """The thumbnail scaled once for the list's size and the screen's pixel ratio (painting stays cheap)."""
        thumbnail = self.session.thumbnail(row)
        if thumbnail is None:
            return None
        if row not in self._pixmaps:
            ratio = QGuiApplication.primaryScreen().devicePixelRatio() if QGuiApplication.primaryScreen() else 1.0
            pixmap = QPixmap.fromImage(
                thumbnail.scaled(
                    round(THUMB * ratio),
                    round(THUMB * ratio),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
            pixmap.setDevicePixelRatio(ratio)
            self._pixmaps[row] = pixmap
        return self._pixmaps[row]

    def _on_added(self, first: int, count: int) -> None:
        self.beginInsertRows(QModelIndex(), first, first + count - 1)
        self.endInsertRows()

    def _on_changed(self, row: int) -> None:
        self._pixmaps.pop(row, None)
        index = self.index(row)
        self.dataChanged.emit(index, index)

    def review_text(self, row: int) -> str:
        """ "labelled · 3 boxes" for a photo under review; "" otherwise."""
        review = self.review(row) if self.review is not None else None
        if review is None:
            return ""
        state, boxes = review
        return state if state in ("unlabelled", "problem") else f"{state} · {boxes} box{'es' if boxes != 1 else ''}"


class StatusFilter(QSortFilterProxyModel):
    """Shows the images whose ``role`` (a status, or in review a label state) is in ``statuses`` (all when empty).

    Qt's own role filter, not a Python ``filterAcceptsRow``: unfiltered, Qt accepts every row without asking the
    model, so inserting 10,000 photos costs no Python call per photo."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.statuses: set[str] = set()
        self.role = STATUS_ROLE

    def set_statuses(self, statuses: set[str], role: int = STATUS_ROLE) -> None:
        self.statuses, self.role = statuses, role
        self.setFilterRole(role)
        pattern = "|".join(QRegularExpression.escape(s) for s in sorted(statuses))
        self.setFilterRegularExpression(f"^({pattern})$" if statuses else "")


class ImageDelegate(QStyledItemDelegate):
    """Thumbnail on the left, file name and a coloured status line on the right."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(220, THUMB + 8)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        entry: Entry = index.data(ENTRY_ROLE)
        painter.save()
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        rect = option.rect.adjusted(4, 4, -4, -4)
        thumb_box = QRect(rect.left(), rect.top(), THUMB, THUMB)
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            size = pixmap.deviceIndependentSize().toSize()
            painter.drawPixmap(
                thumb_box.left() + (THUMB - size.width()) // 2, thumb_box.top() + (THUMB - size.height()) // 2, pixmap
            )
        else:
            painter.fillRect(thumb_box, option.palette.color(QPalette.ColorRole.AlternateBase))
        text_left = thumb_box.right() + 8
        text_rect = QRect(text_left, rect.top() + 2, rect.right() - text_left, rect.height() // 2)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setPen(option.palette.color(role))
        name = option.fontMetrics.elidedText(
            index.data(Qt.ItemDataRole.DisplayRole), Qt.TextElideMode.ElideMiddle, text_rect.width()
        )
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        status_rect = text_rect.translated(0, rect.height() // 2)
        nothing_found = entry.status is Status.DONE and entry.shown is not None and not entry.shown.detections
        color = (
            option.palette.color(QPalette.ColorRole.PlaceholderText) if nothing_found else STATUS_COLORS[entry.status]
        )
        painter.setPen(option.palette.color(role) if selected else color)
        model = index.model()
        source = model.sourceModel() if isinstance(model, QSortFilterProxyModel) else model
        review = source.review_text(index.data(ROW_ROLE)) if isinstance(source, ImageListModel) else ""
        text = f"{review} — {entry.status_text}" if review else entry.status_text
        status = option.fontMetrics.elidedText(text, Qt.TextElideMode.ElideRight, status_rect.width())
        painter.drawText(status_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, status)
        painter.restore()


class ImageList(QListView):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = ImageListModel(session, self)
        self.proxy = StatusFilter(self)
        self.proxy.setSourceModel(self.source)
        self.setModel(self.proxy)
        self.setItemDelegate(ImageDelegate(self))
        self.setUniformItemSizes(True)
        self.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)

    def current_row(self) -> int:
        index = self.currentIndex()
        return self.proxy.mapToSource(index).row() if index.isValid() else -1

    def set_current_row(self, row: int) -> None:
        index = self.proxy.mapFromSource(self.source.index(row))
        if index.isValid():
            self.setCurrentIndex(index)

    def step(self, delta: int) -> None:
        """Move to the previous/next visible image (arrow keys in the viewer)."""
        row = self.currentIndex().row() if self.currentIndex().isValid() else -1
        target = min(max(row + delta, 0), self.proxy.rowCount() - 1)
        if target >= 0:
            self.setCurrentIndex(self.proxy.index(target, 0))
