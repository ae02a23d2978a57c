"""Small dialogs: export options, adding a model."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..inference.model_spec import ModelFiles
from .export_job import ExportOptions

FORMAT_LABELS = (
    ("csv", "CSV (one row per detection)"),
    ("json", "JSON (same schema as the command line)"),
    ("yolo", "YOLO txt (+ data.yaml; empty file when nothing was found)"),
    ("voc", "Pascal VOC XML"),
    ("coco", "COCO JSON"),
)


def _path_row(edit: QLineEdit, browse) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    button = QPushButton("Browse…")
    button.clicked.connect(browse)
    layout.addWidget(edit, 1)
    layout.addWidget(button)
    return row


class ExportDialog(QDialog):
    def __init__(
        self, folder: str, formats: set[str], images: bool, image_format: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export results")
        self.folder = QLineEdit(folder)
        self.folder.setPlaceholderText("Folder to write into (not inside an input folder)")
        self.images = QCheckBox("Annotated images (original resolution, folder tree mirrored)")
        self.images.setChecked(images)
        self.image_format = QComboBox()
        self.image_format.addItems(["JPEG", "PNG"])
        self.image_format.setCurrentText("PNG" if image_format == "png" else "JPEG")
        self.images.toggled.connect(self.image_format.setEnabled)
        self.image_format.setEnabled(images)
        self.checks = {key: QCheckBox(label) for key, label in FORMAT_LABELS}
        for key, box in self.checks.items():
            box.setChecked(key in formats)
        form = QFormLayout()
        form.addRow("Folder", _path_row(self.folder, self._browse))
        image_row = QHBoxLayout()
        image_row.addWidget(self.images, 1)
        image_row.addWidget(self.image_format)
        form.addRow("Images", image_row)
        for key, box in self.checks.items():
            form.addRow("Detections" if key == "csv" else "", box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        for widget in [self.folder.textChanged, self.images.toggled, *(b.toggled for b in self.checks.values())]:
            widget.connect(self._validate)
        self._validate()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export into", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def _validate(self, *_args) -> None:
        chosen = self.images.isChecked() or any(b.isChecked() for b in self.checks.values())
        self.ok_button.setEnabled(bool(self.folder.text().strip()) and chosen)

    def options(self) -> ExportOptions:
        return ExportOptions(
            folder=Path(self.folder.text().strip()),
            formats=tuple(k for k, b in self.checks.items() if b.isChecked()),
            images=self.images.isChecked(),
            image_format="png" if self.image_format.currentText() == "PNG" else "jpg",
        )


class AddModelDialog(QDialog):
    """Your own model: an ONNX export (Ultralytics YOLOv5/v8/11/26, YOLOX), or a Darknet model from three files.
    It is checked when loaded, and a bad one never replaces the current."""

    def __init__(self, start_folder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add model")
        self.start_folder = start_folder
        self.name = QLineEdit()
        self.kind = QComboBox()
        self.kind.addItems(["ONNX export (Ultralytics, YOLOX)", "Darknet (cfg + weights)"])
        self.onnx, self.cfg, self.weights, self.names = QLineEdit(), QLineEdit(), QLineEdit(), QLineEdit()
        self.names.setPlaceholderText("optional for ONNX: read from the model when it names its classes")
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Kind", self.kind)
        self._rows: dict[QLineEdit, QWidget] = {}
        for label, edit, pattern in (
            ("Model (.onnx)", self.onnx, "ONNX models (*.onnx)"),
            ("Config (.cfg)", self.cfg, "Darknet config (*.cfg)"),
            ("Weights (.weights)", self.weights, "Darknet weights (*.weights)"),
            ("Class names", self.names, "Class names (*.names *.txt)"),
        ):
            row = _path_row(edit, lambda _=False, e=edit, p=pattern: self._pick(e, p))
            form.addRow(label, row)
            self._rows[edit] = row
        self.form = form
        self.kind.currentIndexChanged.connect(self._show_kind)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        for edit in (self.name, self.onnx, self.cfg, self.weights, self.names):
            edit.textChanged.connect(self._validate)
        self._show_kind()

    @property
    def is_onnx(self) -> bool:
        return self.kind.currentIndex() == 0

    def _show_kind(self, *_args) -> None:
        for edit in (self.onnx, self.cfg, self.weights):
            self.form.setRowVisible(self._rows[edit], (edit is self.onnx) == self.is_onnx)
        self._validate()

    def _pick(self, edit: QLineEdit, pattern: str) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose file", edit.text() or self.start_folder, f"{pattern};;All files (*)"
        )
        if path:
            edit.setText(path)
            self.start_folder = str(Path(path).parent)
            if edit in (self.cfg, self.onnx) and not self.name.text():
                self.name.setText(Path(path).stem)

    def _validate(self, *_args) -> None:
        needed = (self.name, self.onnx) if self.is_onnx else (self.name, self.cfg, self.weights, self.names)
        self.ok_button.setEnabled(all(e.text().strip() for e in needed))

    def model(self) -> ModelFiles:
        names = Path(self.names.text().strip()) if self.names.text().strip() else None
        if self.is_onnx:
            return ModelFiles(self.name.text().strip(), None, Path(self.onnx.text().strip()), names)
        return ModelFiles(
            self.name.text().strip(), Path(self.cfg.text().strip()), Path(self.weights.text().strip()), names
        )
