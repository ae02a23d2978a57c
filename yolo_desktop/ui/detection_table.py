"""The detection table: a model over one image's detections, sortable, with copy of the selected rows."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from ..imaging.palette import class_color
from ..results import Detection, Detections

COLUMNS = ("#", "Class", "Confidence", "x1", "y1", "x2", "y2", "Width", "Height")
TOOLTIPS = (
    "Rank by score",
    "Class label",
    "Objectness × class probability",
    "Left (pixels)",
    "Top (pixels)",
    "Right (pixels)",
    "Bottom (pixels)",
    "Box width (pixels)",
    "Box height (pixels)",
)
SORT_ROLE = Qt.ItemDataRole.UserRole + 1

Index = QModelIndex | QPersistentModelIndex


def _cells(number: int, d: Detection) -> tuple[Any, ...]:
    return (number, d.label, d.score, d.x1, d.y1, d.x2, d.y2, d.width, d.height)


class DetectionTableModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.detections = Detections.empty()

    def set_detections(self, detections: Detections) -> None:
        self.beginResetModel()
        self.detections = detections
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.detections)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return TOOLTIPS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        detection = self.detections[row]
        value = _cells(row + 1, detection)[column]
        if role == Qt.ItemDataRole.DisplayRole:
            return display(column, value)
        if role == SORT_ROLE:
            return value
        if role == Qt.ItemDataRole.TextAlignmentRole and column != 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.DecorationRole and column == 1:
            return QColor(*class_color(detection.class_id))
        return None


def display(column: int, value: Any) -> str:
    if column == 0:
        return str(value)
    if column == 1:
        return value
    if column == 2:
        return f"{value:.3f}"
    return f"{value:.0f}"


class DetectionTable(QTableView):
    """Selection is reported as source-model rows (= detection indices), whatever the sort order."""

    rows_selected = Signal(set)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = DetectionTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.source)
        self.proxy.setSortRole(SORT_ROLE)
        self.setModel(self.proxy)
        self.setSortingEnabled(True)
        self.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # the class name takes what is left
        self.selectionModel().selectionChanged.connect(self._emit_selection)
        self._quiet = False

    def set_detections(self, detections: Detections) -> None:
        self._quiet = True
        self.source.set_detections(detections)
        self._quiet = False
        self.rows_selected.emit(set())

    def selected_rows(self) -> set[int]:
        return {self.proxy.mapToSource(i).row() for i in self.selectionModel().selectedRows()}

    def select_rows(self, rows: set[int]) -> None:
        """Select detections by index (from a click on the image) without echoing the change back."""
        self._quiet = True
        self.clearSelection()
        for row in sorted(rows):
            index = self.proxy.mapFromSource(self.source.index(row, 0))
            if index.isValid():
                self.selectionModel().select(
                    index, self.selectionModel().SelectionFlag.Select | self.selectionModel().SelectionFlag.Rows
                )
                self.scrollTo(index)
        self._quiet = False

    def _emit_selection(self, *_args) -> None:
        if not self._quiet:
            self.rows_selected.emit(self.selected_rows())

    def copy_selection(self) -> str:
        """Selected rows (all rows when none is selected) as tab-separated text with a header, to the clipboard."""
        rows = sorted(self.selected_rows()) or list(range(len(self.source.detections)))
        lines = ["\t".join(COLUMNS)]
        for row in rows:
            cells = _cells(row + 1, self.source.detections[row])
            lines.append("\t".join(display(c, v) for c, v in enumerate(cells)))
        text = "\n".join(lines) + "\n"
        QGuiApplication.clipboard().setText(text)
        return text

    def keyPressEvent(self, event) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selection()
            event.accept()
            return
        super().keyPressEvent(event)
