"""The review's small dialogs, all window-modal and non-blocking (``open``, never ``exec``: results keep arriving
behind them): a class name, a class to rename, a labels folder, labels to import, a training set to export; and the
summaries shown after an import or an export."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ..labels.dataset import LabelSet
from ..labels.importing import ImportReport
from ..labels.training_set import ExportOptions, ExportReport, parse_split


def ask_text(parent: QWidget, title: str, label: str, text: str, done: Callable[[str], None]) -> QInputDialog:
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setTextValue(text)
    dialog.textValueSelected.connect(lambda value: _if_given(value, done))
    dialog.open()
    return dialog


def ask_rename(parent: QWidget, names: Sequence[str], done: Callable[[int, str], None]) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle("Rename class")
    which = QComboBox()
    which.addItems(list(names))
    name = QLineEdit()
    which.currentTextChanged.connect(name.setText)
    name.setText(which.currentText())
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form = QFormLayout(dialog)
    form.addRow("Class:", which)
    form.addRow("New name:", name)
    form.addRow(buttons)
    dialog.accepted.connect(lambda: _if_given(name.text(), lambda text: done(which.currentIndex(), text)))
    dialog.open()
    return dialog


def _if_given(text: str, done: Callable[[str], None]) -> None:
    if text.strip():
        done(text.strip())


def ask_folder(parent: QWidget, title: str, done: Callable[[str], None]) -> QFileDialog:
    dialog = QFileDialog(parent, title)
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    dialog.fileSelected.connect(done)
    dialog.open()
    return dialog


def ask_import_source(parent: QWidget, done: Callable[[str], object]) -> QFileDialog:
    """A COCO or detections.json file, or a VOC annotation (its folder is read)."""
    dialog = QFileDialog(parent, "Import labels: a COCO or detections.json file, or one of the VOC .xml files")
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.setNameFilters(["Labels (*.json *.xml)", "All files (*)"])

    def chosen(path: str) -> None:
        done(path.rsplit("/", 1)[0] if path.lower().endswith(".xml") else path)

    dialog.fileSelected.connect(chosen)
    dialog.open()
    return dialog


class ExportDialog(QDialog):
    """Where and how to write the training set (the options of ``yolo-desktop dataset export``)."""

    def __init__(self, parent: QWidget, done: Callable[[str, ExportOptions], object]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export training set")
        self.done_with = done
        self.out = QLineEdit()
        browse = QPushButton("Choose…")
        browse.clicked.connect(lambda: ask_folder(self, "A new or empty folder", self.out.setText))
        where = QHBoxLayout()
        where.addWidget(self.out, 1)
        where.addWidget(browse)
        self.format = QComboBox()
        self.format.addItems(["yolo", "coco", "voc"])
        self.split = QLineEdit("0.8,0.2")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.reviewed_only = QCheckBox("Only photos marked reviewed")
        self.link = QCheckBox("Hard-link photos instead of copying them")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Into:", where)
        form.addRow("Format:", self.format)
        form.addRow("Split (train,val[,test]):", self.split)
        form.addRow("Seed:", self.seed)
        form.addRow(self.reviewed_only)
        form.addRow(self.link)
        form.addRow(buttons)

    @classmethod
    def ask(cls, parent: QWidget, done: Callable[[str, ExportOptions], object]) -> ExportDialog:
        dialog = cls(parent, done)
        dialog.open()
        return dialog

    def _accept(self) -> None:
        try:
            split = parse_split(self.split.text())
        except Exception as exc:  # a usage error: said where the split is typed
            self.split.setToolTip(str(exc))
            self.split.setStyleSheet("color: #c62828")
            return
        if not self.out.text().strip():
            return
        options = ExportOptions(
            self.format.currentText(), split, self.seed.value(), self.reviewed_only.isChecked(), self.link.isChecked()
        )
        self.accept()
        self.done_with(self.out.text().strip(), options)


def import_summary(report: ImportReport, source: LabelSet) -> str:
    lines = [f"{report.imported} photos, {report.boxes} boxes imported from {source.format} labels in {source.where}."]
    if report.kept:
        lines.append(f"{len(report.kept)} photos already had labels: kept as they were.")
    if report.outside:
        lines.append(f"{len(report.outside)} labelled photos are not in this folder: left out.")
    lines += [f"Note: {note}" for note in source.notes]
    lines += [str(problem) for problem in report.problems[:20]]
    if len(report.problems) > 20:
        lines.append(f"… and {len(report.problems) - 20} more problems")
    return "\n".join(lines)


def export_summary(report: ExportReport) -> str:
    lines = [f"Written in {report.out}:"]
    lines += [f"{split}: {photos} photos" for split, photos in report.photos.items()]
    lines += [f"Left out: {count} photos ({reason})" for reason, count in report.left_out.items()]
    lines += [f"Could not write {path}: {reason}" for path, reason in report.failed[:20]]
    return "\n".join(lines)
