"""The class chooser shown over the photo after a box is drawn (or with ``E``): type to filter, the last class used
first; Enter takes the highlighted row — a class, or the last row, the typed name as a new class; Esc cancels.

A frame inside the viewer, not a popup window: it never grabs the mouse, and the event loop keeps running.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

VISIBLE_ROWS = 8
NAME_ROLE = Qt.ItemDataRole.UserRole


class ClassChooser(QFrame):
    chosen = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.title = QLabel("Class")
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("type to filter, or a new class")
        self.list = QListWidget()
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # typing stays in the edit; the list follows it
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        for widget in (self.title, self.edit, self.list):
            layout.addWidget(widget)
        self.names: list[str] = []
        self.edit.textChanged.connect(self._filter)
        self.edit.installEventFilter(self)
        self.list.itemClicked.connect(lambda item: self._choose(item.data(NAME_ROLE)))
        self.hide()

    def ask(self, names: Sequence[str], at: QPoint, title: str = "Class of the new box") -> None:
        """Show the chooser at ``at`` (parent coordinates) with ``names`` in order (the last used first)."""
        self.names = list(names)
        self.title.setText(title)
        self.edit.clear()
        self._filter("")
        row_height = self.list.sizeHintForRow(0) if self.names else 18
        self.list.setFixedHeight(max(1, min(len(self.names), VISIBLE_ROWS)) * row_height + 6)
        self.resize(240, self.sizeHint().height())
        parent = self.parentWidget()
        assert parent is not None
        x = min(max(at.x(), 0), max(parent.width() - self.width(), 0))
        y = min(max(at.y(), 0), max(parent.height() - self.height(), 0))
        self.move(x, y)
        self.show()
        self.raise_()
        self.edit.setFocus()

    def shown_names(self) -> list[str]:
        """The rows' classes, in order (the last one may be the typed name, as a new class)."""
        return [self.list.item(i).data(NAME_ROLE) for i in range(self.list.count())]

    def _filter(self, text: str) -> None:
        typed = text.strip()
        folded = typed.casefold()
        starts = [n for n in self.names if n.casefold().startswith(folded)]
        within = [n for n in self.names if folded in n.casefold() and n not in starts]
        self.list.clear()
        for name in starts + within:
            self._add_row(name, name)
        if typed and folded not in (n.casefold() for n in self.names):
            self._add_row(f"+ new class “{typed}”", typed)
        if self.list.count():
            self.list.setCurrentRow(0)

    def _add_row(self, text: str, name: str) -> None:
        item = QListWidgetItem(text)
        item.setData(NAME_ROLE, name)
        self.list.addItem(item)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                item = self.list.currentItem()
                if item is not None:
                    self._choose(item.data(NAME_ROLE))
                return True
            if key == Qt.Key.Key_Escape:
                self.hide()
                self.cancelled.emit()
                return True
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.list.count():
                step = 1 if key == Qt.Key.Key_Down else -1
                self.list.setCurrentRow((self.list.currentRow() + step) % self.list.count())
                return True
        return False

    def _choose(self, name: str) -> None:
        if not name.strip():
            return
        self.hide()
        self.chosen.emit(name.strip())
