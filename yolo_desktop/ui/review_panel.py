"""The Labels tab: where this folder's labels live, how far the review is ("312 of 1,000 reviewed"), the photo's
labels as a table (class editable in place), accepting proposals above a score, and adding or renaming classes.

Widgets only: ``ui/review.py`` fills them and connects what they report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..imaging.palette import class_color
from ..results import Detections

COLUMNS = ("Class", "x1", "y1", "x2", "y2", "Width", "Height")
Index = QModelIndex | QPersistentModelIndex


class LabelTableModel(QAbstractTableModel):
    class_edited = Signal(int, str)  # row, the class typed or picked in the table

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.labels = Detections.empty()

    def set_labels(self, labels: Detections) -> None:
        self.beginResetModel()
        self.labels = labels
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.labels)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        return flags | Qt.ItemFlag.ItemIsEditable if index.column() == 0 else flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.labels[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if column == 0:
                return row.label
            return f"{(row.x1, row.y1, row.x2, row.y2, row.width, row.height)[column - 1]:.0f}"
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return QColor(*class_color(row.class_id))
        if role == Qt.ItemDataRole.TextAlignmentRole and column:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if index.column() != 0 or role != Qt.ItemDataRole.EditRole or not str(value).strip():
            return False
        self.class_edited.emit(index.row(), str(value).strip())
        return True  # the review saves it and sets the labels again


class ClassDelegate(QStyledItemDelegate):
    """The class column's editor: the classes in the chooser's order, or a new name typed."""

    def __init__(self, choices: Callable[[], Sequence[str]], parent=None) -> None:
        super().__init__(parent)
        self.choices = choices

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        combo = QComboBox(parent)
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.addItems(list(self.choices()))
        return combo

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        editor.setCurrentText(str(index.data(Qt.ItemDataRole.EditRole)))

    def setModelData(self, editor: QWidget, model, index: Index) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentText(), Qt.ItemDataRole.EditRole)


class LabelTable(QTableView):
    rows_selected = Signal(set)

    def __init__(self, choices: Callable[[], Sequence[str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = LabelTableModel(self)
        self.setModel(self.source)
        self.setItemDelegateForColumn(0, ClassDelegate(choices, self))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.SelectedClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.selectionModel().selectionChanged.connect(self._emit_selection)
        self._quiet = False

    def set_labels(self, labels: Detections, selected: set[int]) -> None:
        self._quiet = True
        self.source.set_labels(labels)
        self.select_rows(selected)
        self._quiet = False

    def selected_rows(self) -> set[int]:
        return {index.row() for index in self.selectionModel().selectedRows()}

    def select_rows(self, rows: set[int]) -> None:
        quiet, self._quiet = self._quiet, True
        self.clearSelection()
        flags = self.selectionModel().SelectionFlag.Select | self.selectionModel().SelectionFlag.Rows
        for row in sorted(rows):
            if row < self.source.rowCount():
                self.selectionModel().select(self.source.index(row, 0), flags)
                self.scrollTo(self.source.index(row, 0))
        self._quiet = quiet

    def _emit_selection(self, *_args) -> None:
        if not self._quiet:
            self.rows_selected.emit(self.selected_rows())


class ReviewPanel(QWidget):
    def __init__(self, choices: Callable[[], Sequence[str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.where = QLabel("Labels: open a folder")
        self.where.setWordWrap(True)
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QLabel()
        self.photo_state = QLabel()
        self.photo_state.setWordWrap(True)
        self.score = QDoubleSpinBox()
        self.score.setRange(0.0, 1.0)
        self.score.setSingleStep(0.05)
        self.score.setDecimals(2)
        self.score.setValue(0.5)
        self.score.setPrefix("score ≥ ")
        self.accept_photo = QPushButton("Accept on photo")
        self.accept_folder = QPushButton("Accept in folder")
        self.accept_photo.setToolTip("Every proposal on this photo scoring at least this becomes a label")
        self.accept_folder.setToolTip("The same on every photo of the folder not yet reviewed")
        self.table = LabelTable(choices)
        self.add_class = QPushButton("Add class…")
        self.rename_class = QPushButton("Rename class…")
        accept_row = QHBoxLayout()
        for widget in (self.score, self.accept_photo, self.accept_folder):
            accept_row.addWidget(widget)
        class_row = QHBoxLayout()
        class_row.addWidget(self.add_class)
        class_row.addWidget(self.rename_class)
        class_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        for item in (self.where, self.progress, self.photo_state, accept_row, self.table, class_row):
            if isinstance(item, QWidget):
                layout.addWidget(item, 1 if item is self.table else 0)
            else:
                layout.addLayout(item)
