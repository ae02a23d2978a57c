"""The Evaluate panel (its own window): which model, which settings, for these photos. Models and settings to
compare (each row the window's own model picker), the labelled photos (all, or only reviewed), run with progress
and cancel; then per model and per class numbers with the differences between two models highlighted, the F1-best
threshold applied to the window in one click, ms per photo measured here, the plots, the error browser and
"Review next". All work runs on the panel's own thread (``evaluate_work``), each model's detector built and used
there; the GUI thread only shows results. matplotlib is imported there, when a plot is first drawn."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..evaluation.outcome import Outcome
from ..evaluation.plots import PLOTS
from ..inference.model_spec import DetectorChoice, ModelFiles
from .evaluate_errors import ErrorBrowser
from .evaluate_tables import MODEL_COLUMNS, cell, fill_classes, fill_models, new_table
from .evaluate_work import Checked, EvaluateWork
from .model_picker import ModelPicker

EVALUATE_WHAT_MATCHES, STOP = "Evaluate what matches", "Stop"


class EvaluatePanel(QWidget):
    finished = Signal()  # an evaluation ended (results shown, or failed, or cancelled)

    def __init__(
        self,
        custom: list[ModelFiles],
        first: DetectorChoice | None,
        conf: float,
        apply_conf: Callable[[float], None],
        open_photo: Callable[[str], None],
        folder: str = "",
        parent: QWidget | None = None,
        flush_labels: Callable[[], object] = lambda: None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Evaluate models — YOLO Desktop")
        self.custom, self.apply_conf, self._open_photo, self.flush_labels = custom, apply_conf, open_photo, flush_labels
        self._sent_away = False  # a photo was opened in the window (to fix its labels): rescore on coming back
        self.work = EvaluateWork(self)
        self.outcome: Outcome | None = None
        self.checked: Checked | None = None
        self.mismatch_box: QMessageBox | None = None
        self._build(folder, conf)
        self.add_model(first)
        self._wire()

    # ----- construction --------------------------------------------------------------------------------------
    def _build(self, folder: str, conf: float) -> None:
        self.source = QLineEdit(folder)
        self.source.setPlaceholderText("folder of labelled photos, or a COCO JSON")
        self.labels = QLineEdit()
        self.labels.setPlaceholderText("optional: labels folder or file, when not where their format puts them")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.reviewed_only = QCheckBox("Only photos marked reviewed")
        source_row = QHBoxLayout()
        source_row.addWidget(self.source, 1)
        source_row.addWidget(browse)
        self.models_box = QVBoxLayout()
        self.pickers: list[ModelPicker] = []
        self.add_button = QPushButton("Add model")
        self.add_button.setToolTip("Compare another model, or the same one with other settings (size, tiles…)")
        self.conf = QDoubleSpinBox()
        self.conf.setRange(0.01, 0.99)
        self.conf.setDecimals(3)
        self.conf.setSingleStep(0.05)
        self.conf.setValue(conf)
        self.conf.setToolTip("Score threshold of the counts (precision, recall, errors); AP uses every score")
        form = QFormLayout()
        form.addRow("Photos", source_row)
        form.addRow("Labels", self.labels)
        form.addRow("", self.reviewed_only)
        form.addRow("Models", self.models_box)
        form.addRow("", self.add_button)
        form.addRow("Threshold", self.conf)
        self.run_button = QPushButton("Evaluate")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.status = QLabel("Choose the photos and the models, then Evaluate")
        self.status.setWordWrap(True)
        run_row = QHBoxLayout()
        run_row.addWidget(self.run_button)
        run_row.addWidget(self.cancel_button)
        run_row.addWidget(self.progress, 1)

        self.models_table = new_table(MODEL_COLUMNS)
        self.apply_button = QPushButton("Apply the best threshold")
        self.apply_button.setToolTip("Set the window's confidence to the first model's F1-best threshold")
        self.apply_button.setEnabled(False)
        self.update_button = QPushButton("Update numbers")
        self.update_button.setToolTip("Read the labels again (fixed in the review) and rescore: no model runs again")
        self.update_button.setEnabled(False)
        models_page = QWidget()
        models_layout = QVBoxLayout(models_page)
        models_layout.addWidget(self.models_table, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.update_button)
        buttons.addStretch(1)
        models_layout.addLayout(buttons)
        self.classes_table = new_table(("Class",))
        self.errors = ErrorBrowser()
        self.review_table = new_table(("Photo", "Priority", "Why"))
        self.plot_model = QComboBox()
        self.plot_kind = QComboBox()
        for kind, title in PLOTS.items():
            self.plot_kind.addItem(title, kind)
        self.plot = QLabel()
        self.plot.setAlignment(Qt.AlignmentFlag.AlignCenter)
        plot_scroll = QScrollArea()
        plot_scroll.setWidget(self.plot)
        plot_scroll.setWidgetResizable(True)
        plots_page = QWidget()
        plots_layout = QVBoxLayout(plots_page)
        choose = QHBoxLayout()
        choose.addWidget(self.plot_model)
        choose.addWidget(self.plot_kind)
        choose.addStretch(1)
        plots_layout.addLayout(choose)
        plots_layout.addWidget(plot_scroll, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(models_page, "Models")
        self.tabs.addTab(self.classes_table, "Classes")
        self.tabs.addTab(plots_page, "Plots")
        self.tabs.addTab(self.errors, "Errors")
        self.tabs.addTab(self.review_table, "Review next")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(run_row)
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)
        self.resize(1100, 760)

    def _wire(self) -> None:
        self.add_button.clicked.connect(lambda: self.add_model(None))
        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.apply_button.clicked.connect(self._apply_best)
        self.update_button.clicked.connect(self.update_numbers)
        self._rescore_timer = QTimer(self, singleShot=True, interval=300)  # one rescore once the threshold settles
        self._rescore_timer.timeout.connect(self._rescore)
        self.conf.valueChanged.connect(lambda _v: self._rescore_timer.start())
        self.work.progress.connect(self._on_progress)
        self.work.finished.connect(self._on_finished)
        self.plot_model.currentIndexChanged.connect(lambda _i: self._show_plot())
        self.plot_kind.currentIndexChanged.connect(lambda _i: self._show_plot())
        self.errors.photo_wanted.connect(self.work.load_photo)
        self.errors.open_requested.connect(self.open_photo)
        self.review_table.cellDoubleClicked.connect(self._open_ranked)

    def add_model(self, choice: DetectorChoice | None) -> ModelPicker:
        picker = ModelPicker(self.custom)
        if choice is not None:
            picker.select(choice.model.name, choice.settings)
        elif self.pickers:
            picker.select(self.pickers[-1].current_name(), self.pickers[-1].settings())
        remove = QPushButton("Remove")
        row = QWidget()
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(picker, 1)
        row_layout.addWidget(remove)
        remove.clicked.connect(lambda: self._remove(row, picker))
        self.models_box.addWidget(row)
        self.pickers.append(picker)
        return picker

    def _remove(self, row: QWidget, picker: ModelPicker) -> None:
        if len(self.pickers) > 1:
            self.pickers.remove(picker)
            row.deleteLater()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of labelled photos", self.source.text())
        if folder:
            self.source.setText(folder)

    # ----- running ---------------------------------------------------------------------------------------------
    def choices(self) -> list[tuple[str, DetectorChoice]]:
        """(label, choice) per model row; rows of one model are labelled by their settings too."""
        picked = [c for c in (picker.choice() for picker in self.pickers) if c is not None]
        names = [c.model.name for c in picked]
        labelled: list[tuple[str, DetectorChoice]] = []
        for choice in picked:
            label, settings = choice.model.name, choice.settings
            if names.count(label) > 1:
                label += f":size={settings.size},tiles={settings.tiles},precision={settings.precision}"
            if label in (known for known, _c in labelled):
                label += f" ({len(labelled) + 1})"
            labelled.append((label, choice))
        return labelled

    def start(self) -> None:
        if not self.source.text().strip():
            self.status.setText("Choose the folder of labelled photos first")
            return
        self._busy(True, "Reading the labels…")
        choices = [choice for _label, choice in self.choices()]
        self.work.check(self.source.text().strip(), self.labels.text().strip(), self.reviewed_only.isChecked(), choices)

    def _go(self) -> None:
        assert self.checked is not None
        confs = [self.conf.value()] * len(self.pickers)
        self._busy(True, f"Evaluating {len(self.checked.inputs.photos)} photo(s)…")
        self.progress.setRange(0, max(len(self.checked.inputs.photos), 1) * len(self.pickers))
        self.progress.setValue(0)
        self.work.run(self.checked, self.choices(), confs, self.reviewed_only.isChecked())

    def cancel(self) -> None:
        self.work.cancel.set()
        self.status.setText("Cancelling…")

    def open_photo(self, path: str) -> None:
        self._sent_away = True
        self._open_photo(path)

    def changeEvent(self, event) -> None:
        """Back from the window where a label was fixed: the numbers follow (the review's edits written first)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.ActivationChange and self.isActiveWindow() and self._sent_away:
            self._sent_away = False
            if self.run_button.isEnabled():
                self.update_numbers()

    def update_numbers(self) -> None:
        if self.outcome is not None:
            self.flush_labels()  # the review's edits still waiting to be written
            self._busy(True, "Reading the labels again…")
            self.work.relabel(self.outcome, self.source.text().strip(), self.labels.text().strip(), self._confs(),
                              self.reviewed_only.isChecked())  # fmt: skip

    def _rescore(self) -> None:
        if self.outcome is not None and not self.cancel_button.isEnabled():
            self.work.rescore(self.outcome, self._confs(), self.reviewed_only.isChecked())

    def _confs(self) -> list[float]:
        assert self.outcome is not None
        return [self.conf.value()] * len(self.outcome.runs)

    def _busy(self, busy: bool, text: str) -> None:
        self.run_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.status.setText(text)

    def _on_progress(self, model: int, done: int, photos: int) -> None:
        self.progress.setValue(model * photos + done)

    def _on_finished(self, job: str, result: object) -> None:
        if job == "photo":
            if isinstance(result, tuple):
                self.errors.show_photo(*result)
            return
        if isinstance(result, Exception):
            self._busy(False, f"Could not evaluate: {result}")
            self.finished.emit()
            return
        if job == "check":
            assert isinstance(result, Checked)
            self.checked = result
            self._after_check(result)
            return
        assert isinstance(result, Outcome)
        self.outcome = result
        self._show_outcome()
        self.finished.emit()

    def _after_check(self, checked: Checked) -> None:
        if not checked.inputs.photos:
            self._busy(False, "Nothing to evaluate: no labelled photo here\n" + "\n".join(checked.lines))
            self.finished.emit()
            return
        if not checked.mismatched:
            self._go()
            return
        question = f"\n\nEvaluate the {len(checked.inputs.photos)} photo(s) that match?"
        text = f"{checked.mismatched} mismatch(es):\n\n" + "\n".join(checked.lines) + question
        box = QMessageBox(QMessageBox.Icon.Question, "Labels and photos do not all match", text, parent=self)
        go = box.addButton(EVALUATE_WHAT_MATCHES, QMessageBox.ButtonRole.AcceptRole)
        box.addButton(STOP, QMessageBox.ButtonRole.RejectRole)
        self.mismatch_box = box

        def chosen(button: object) -> None:
            self.mismatch_box = None
            if button is go:
                self._go()
            else:
                self._busy(False, "Stopped: " + "; ".join(checked.lines))
                self.finished.emit()

        box.buttonClicked.connect(chosen)
        box.open()

    # ----- results -----------------------------------------------------------------------------------------------
    def _show_outcome(self) -> None:
        outcome = self.outcome
        assert outcome is not None
        fill_models(self.models_table, outcome.document)
        fill_classes(self.classes_table, outcome.document)
        self.errors.set_outcome(outcome)
        photos = outcome.inputs.photos
        self.review_table.setRowCount(len(outcome.ranked))
        for row, ranked in enumerate(outcome.ranked):
            for column, text in enumerate((photos[ranked.photo].rel, f"{ranked.priority:.1f}", ranked.reasons())):
                self.review_table.setItem(row, column, cell(text))
        self.review_table.resizeColumnsToContents()
        current = self.plot_model.currentIndex()
        self.plot_model.blockSignals(True)
        self.plot_model.clear()
        self.plot_model.addItems([f"#{n} {run.label}" for n, run in enumerate(outcome.runs, start=1)])
        self.plot_model.setCurrentIndex(max(current, 0))
        self.plot_model.blockSignals(False)
        self._show_plot()
        best = outcome.scores[0].best if outcome.scores and outcome.scores[0] is not None else None
        self.apply_button.setEnabled(best is not None)
        self.apply_button.setText(
            "Apply the best threshold" if best is None else f"Apply the best threshold ({best.conf:.3f}) to the window"
        )
        self.update_button.setEnabled(True)
        cancelled = self.work.cancel.is_set()
        failed = sum(len(run.errors) for run in outcome.runs)
        self._busy(False, f"{len(photos)} photo(s) evaluated" + (" (cancelled: partial)" if cancelled else "")
                   + (f"; {failed} photo(s) failed: see the Errors column" if failed else ""))  # fmt: skip

    def _show_plot(self) -> None:
        outcome, m = self.outcome, self.plot_model.currentIndex()
        if outcome is None or not 0 <= m < len(outcome.plots):
            return
        if outcome.no_plots:
            self.plot.setText(outcome.no_plots)
            return
        png = outcome.plots[m].get(self.plot_kind.currentData())
        if png is None:
            self.plot.setText("No plot: this model detected nothing")
            return
        self.plot.setPixmap(QPixmap.fromImage(QImage.fromData(png)))

    def _apply_best(self) -> None:
        if self.outcome is not None and self.outcome.scores and self.outcome.scores[0] is not None:
            best = self.outcome.scores[0].best
            if best is not None:
                self.apply_conf(best.conf)
                self.conf.setValue(best.conf)

    def _open_ranked(self, row: int, _column: int) -> None:
        if self.outcome is not None and 0 <= row < len(self.outcome.ranked):
            self.open_photo(str(self.outcome.inputs.photos[self.outcome.ranked[row].photo].path))

    def shutdown(self) -> None:
        self.work.shutdown()
