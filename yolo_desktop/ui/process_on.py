"""Batch ▸ Process On…: this computer (the default) or queue workers through Redis."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

URL_HINT = "redis://:PASSWORD@host:6379/0"


class ProcessOnDialog(QDialog):
    def __init__(self, current: str | None, last_url: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Process On")
        self.local = QRadioButton("This computer")
        self.cluster = QRadioButton("Queue workers through Redis:")
        self.url = QLineEdit(current or last_url)
        self.url.setPlaceholderText(URL_HINT)
        note = QLabel(
            "Start workers on each machine with <tt>yolo-desktop worker --redis URL</tt> (same model and precision "
            "as chosen here). They read your photos by their paths, so those must be the same on every machine "
            "(shared storage). Results come back into this window."
        )
        note.setWordWrap(True)
        (self.cluster if current else self.local).setChecked(True)
        self.url.setEnabled(bool(current))
        self.cluster.toggled.connect(self.url.setEnabled)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.local, self.cluster, self.url, note, buttons):
            layout.addWidget(widget)

    def choice(self) -> str | None:
        """None for this computer, else the Redis URL."""
        url = self.url.text().strip()
        return url if self.cluster.isChecked() and url else None
