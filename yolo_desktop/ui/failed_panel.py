"""Failed files with their reasons, and Retry."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from .session import Session

ROW_ROLE = Qt.ItemDataRole.UserRole + 1


class FailedPanel(QWidget):
    retry_requested = Signal(object)  # list of entry indices, or None for all
    show_requested = Signal(int)  # entry index

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.heading = QLabel()
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.retry_selected = QPushButton("Retry selected")
        self.retry_all = QPushButton("Retry all")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.retry_selected)
        buttons.addWidget(self.retry_all)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.retry_all.clicked.connect(lambda: self.retry_requested.emit(None))
        self.retry_selected.clicked.connect(
            lambda: self.retry_requested.emit([i.data(ROW_ROLE) for i in self.list.selectedItems()])
        )
        self.list.itemActivated.connect(lambda item: self.show_requested.emit(item.data(ROW_ROLE)))
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.refresh()

    def refresh(self) -> None:
        failed = self.session.failed_entries()
        selected = {i.data(ROW_ROLE) for i in self.list.selectedItems()}
        self.list.clear()
        for row, entry in failed:
            item = QListWidgetItem(f"{os.path.basename(entry.path)} — {entry.error}")
            item.setToolTip(f"{entry.path}\n{entry.error}")
            item.setData(ROW_ROLE, row)
            self.list.addItem(item)
            item.setSelected(row in selected)
        self.heading.setText(
            f"{len(failed)} file{'s' if len(failed) != 1 else ''} could not be processed"
            if failed
            else "No failed files"
        )
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.retry_all.setEnabled(self.list.count() > 0)
        self.retry_selected.setEnabled(bool(self.list.selectedItems()))
