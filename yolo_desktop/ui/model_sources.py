"""Where a new model comes from in the window: *Add model…* (your own ONNX export or Darknet files), *Get more
models…* and the no-model banner's button (a known model fetched and verified, with progress in the status bar).

Takes what it uses — a parent for its dialogs, the picker, the settings store, the progress strip, the button to
disable while fetching, how to show a message and how to load a model — never the window.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QAbstractButton, QInputDialog, QMessageBox, QWidget

from ..inference.model_spec import DetectorChoice, ModelFiles
from .model_picker import ModelFetch, ModelPicker
from .progress_bar import ProgressStrip
from .settings_store import SettingsStore

Load = Callable[[DetectorChoice], None]
ShowMessage = Callable[[QMessageBox.Icon, str, str], QMessageBox]


class ModelSources(QObject):
    def __init__(
        self,
        parent: QWidget,
        picker: ModelPicker,
        store: SettingsStore,
        progress: ProgressStrip,
        fetch_button: QAbstractButton,
        show_message: ShowMessage,
        load: Load,
    ) -> None:
        super().__init__(parent)
        self.parent_widget, self.picker, self.store, self.progress = parent, picker, store, progress
        self.fetch_button, self.show_message, self.load = fetch_button, show_message, load
        self.fetching: ModelFetch | None = None

    def add(self) -> None:
        """*Add model…*: the user's own files, remembered in the picker and loaded."""
        from .dialogs import AddModelDialog

        dialog = AddModelDialog(self.store.text("models/last_dir"), self.parent_widget)
        if dialog.exec():
            model = dialog.model()
            self.store.set("models/last_dir", str(model.weights.parent))
            self.picker.add_custom(model)
            self.store.save_custom_models(self.picker.custom)
            self.load(self.picker.choice_for(model))

    def get_more(self) -> None:
        """*Get more models…*: choose a known model that is not installed (what it is, its size and accuracy), then
        fetch it."""
        choices = {
            f"{k.name} — {k.description}" + (f" — {k.measured}" if k.measured else ""): k.name
            for k in self.picker.fetchable()
        }
        if not choices:
            return
        label, ok = QInputDialog.getItem(
            self.parent_widget, "Get more models", "Fetch and verify:", list(choices), 0, False
        )
        if ok and label:
            self.fetch(choices[label])

    def fetch(self, name: str) -> ModelFetch:
        """Fetch and verify a known model on a background thread; loaded once it is installed."""
        self.fetch_button.setEnabled(False)
        self.progress.set_busy(True, f"Fetching {name}…")
        self.fetching = ModelFetch(name, self)
        self.fetching.progress.connect(self._on_progress)
        self.fetching.finished.connect(self._on_fetched)
        self.fetching.start()
        return self.fetching

    def _on_progress(self, done: int, total: int) -> None:
        name = self.fetching.name if self.fetching else ""
        size = f"{done / 1e6:.0f} of {total / 1e6:.0f} MB" if total else f"{done / 1e6:.0f} MB"
        self.progress.set_busy(True, f"Fetching {name}… {size}")

    def _on_fetched(self, model: ModelFiles | None, error: str) -> None:
        self.fetch_button.setEnabled(True)
        self.progress.set_busy(False, "")
        if model is None:
            self.show_message(QMessageBox.Icon.Critical, "Could not fetch the model", error)
            return
        self.picker.refresh(select=model.name)
        self.load(self.picker.choice_for(model))
