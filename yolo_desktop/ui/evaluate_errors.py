"""The error browser: every run's false positives, missed objects and class confusions at its threshold, best score
first; choosing one loads its photo (off the GUI thread) and shows it with the error drawn — a false positive solid
red, a missed object dashed orange, a confusion the found box solid magenta over the labelled one dashed. "Open in
the window" shows the photo there, where the review tools fix a wrong label; "Update numbers" then rescores."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from ..evaluation.errors import CONFUSED, FALSE_POSITIVE, MISSED, Error
from ..evaluation.outcome import Outcome
from .evaluate_tables import cell, new_table

MOST_ROWS = 5000  # a list longer than this is not read: the worst first
COLOURS = {FALSE_POSITIVE: QColor(230, 40, 40), MISSED: QColor(255, 150, 0), CONFUSED: QColor(220, 0, 220)}
KIND_FILTERS = (("Every error", None), ("False positives", FALSE_POSITIVE), ("Missed objects", MISSED),
                ("Confused classes", CONFUSED))  # fmt: skip


class ErrorBrowser(QWidget):
    photo_wanted = Signal(str)  # load this photo (the panel does, off the GUI thread)
    open_requested = Signal(str)  # show this photo in the window

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = QComboBox()
        for text, kind in KIND_FILTERS:
            self.kind.addItem(text, kind)
        self.table = new_table(("Kind", "Model", "Class", "Score", "Photo"))
        self.preview = QLabel("Choose an error to see it on its photo")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(320, 240)
        self.open_button = QPushButton("Open in the window")
        self.open_button.setToolTip("Show this photo in the main window, where the review tools fix its labels")
        self.open_button.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(self.kind)
        top.addStretch(1)
        top.addWidget(self.open_button)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.preview)
        split.setSizes([420, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self.outcome: Outcome | None = None
        self.shown: list[tuple[int, Error]] = []
        self.current: tuple[int, Error] | None = None
        self.kind.currentIndexChanged.connect(lambda _i: self._fill())
        self.table.currentCellChanged.connect(lambda row, *_: self._choose(row))
        self.open_button.clicked.connect(self._open)

    def set_outcome(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self._fill()

    def _fill(self) -> None:
        outcome, kind = self.outcome, self.kind.currentData()
        self.shown = [] if outcome is None else [(m, e) for m, e in outcome.errors if kind is None or e.kind == kind]
        self.shown = self.shown[:MOST_ROWS]
        self.table.setRowCount(len(self.shown))
        for row, (m, error) in enumerate(self.shown):
            assert outcome is not None
            for column, text in enumerate(
                (
                    error.kind,
                    f"#{m + 1}",
                    self.class_text(error),
                    f"{error.score:.3f}",
                    outcome.inputs.photos[error.photo].rel,
                )
            ):
                self.table.setItem(row, column, cell(text))
        self.table.resizeColumnsToContents()
        self.current = None
        self.open_button.setEnabled(False)

    def class_text(self, error: Error) -> str:
        assert self.outcome is not None
        names = self.outcome.inputs.names
        if error.kind == CONFUSED:
            return f"{names[error.true_class]} → {names[error.found_class]}"
        return names[error.found_class if error.kind == FALSE_POSITIVE else error.true_class]

    def _choose(self, row: int) -> None:
        if self.outcome is None or not 0 <= row < len(self.shown):
            return
        self.current = self.shown[row]
        self.open_button.setEnabled(True)
        self.photo_wanted.emit(str(self.outcome.inputs.photos[self.current[1].photo].path))

    def _open(self) -> None:
        if self.outcome is not None and self.current is not None:
            self.open_requested.emit(str(self.outcome.inputs.photos[self.current[1].photo].path))

    def show_photo(self, path: str, image: QImage) -> None:
        """The loaded photo, if it is still the chosen error's: drawn with the error."""
        if self.outcome is None or self.current is None:
            return
        error = self.current[1]
        if str(self.outcome.inputs.photos[error.photo].path) != path:
            return  # another error was chosen meanwhile
        if image.isNull():
            self.preview.setText(f"{path}: cannot be read")
            return
        self.preview.setPixmap(
            QPixmap.fromImage(draw_error(image, error, self.class_text(error))).scaled(
                self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        )


def draw_error(image: QImage, error: Error, text: str) -> QImage:
    """A copy of ``image`` with ``error`` drawn (boxes in its pixels)."""
    out = image.convertToFormat(QImage.Format.Format_ARGB32)
    width = max(2.0, max(out.width(), out.height()) / 300)
    painter = QPainter(out)
    colour = COLOURS[error.kind]

    def box(values: tuple[float, float, float, float], dashed: bool) -> None:
        pen = QPen(colour, width)
        pen.setStyle(Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
        painter.setPen(pen)
        x1, y1, x2, y2 = values
        painter.drawRect(QRectF(x1, y1, x2 - x1, y2 - y1))

    if error.kind == CONFUSED and error.truth_box is not None:
        box(error.truth_box, dashed=True)
    box(error.box, dashed=error.kind == MISSED)
    font = painter.font()
    font.setPixelSize(int(width * 7))
    painter.setFont(font)
    painter.setPen(colour)
    painter.drawText(int(error.box[0]), max(int(error.box[1] - width * 2), int(width * 7)), f"{error.kind}: {text}")
    painter.end()
    return out
