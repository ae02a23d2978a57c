"""The Labels menu's folder commands of ``review.ReviewController``: classes added and renamed, where a folder's labels
live, labels imported, a training set exported — each asked with a non-blocking dialog (``review_dialogs``), the file
work done off the GUI thread (``review_files``), the outcome said in a message.

A mixin, kept apart so the controller's editing stays readable: it uses the controller's ``parts``, ``rows``,
``row``, ``model``, ``files`` and ``session``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox

from ..labels.problems import LabelProblem, LabelsUnavailable
from ..labels.states import UNLABELLED
from .review_model import FolderReview

if TYPE_CHECKING:
    from concurrent.futures import Future

    from ..labels.training_set import ExportOptions
    from .review_files import LabelFolders
    from .review_model import ReviewModel
    from .review_panel import ReviewPanel
    from .review_parts import ReviewParts
    from .session import Session


class FolderCommands:
    parts: ReviewParts
    rows: dict[int, tuple[FolderReview, str]]
    row: int
    model: ReviewModel
    files: LabelFolders
    session: Session
    _import_into: FolderReview
    panel: ReviewPanel

    if TYPE_CHECKING:  # the controller's

        def _show_labels(self, selected: set[int] | None = None) -> None: ...
        def _refresh_list(self, rows: list[int] | None = None) -> None: ...
        def show_current(self) -> None: ...

    # ----- classes, files --------------------------------------------------------------------------------------
    def ask_add_class(self) -> None:
        from .review_dialogs import ask_text

        found = self.rows.get(self.row)
        if found is not None:
            ask_text(self.parts.window, "Add class", "New class:", "", lambda name: self._classes(found[0], None, name))

    def ask_rename_class(self) -> None:
        from .review_dialogs import ask_rename

        found = self.rows.get(self.row)
        if found is not None and found[0].store.names:
            ask_rename(self.parts.window, found[0].store.names, lambda i, name: self._classes(found[0], i, name))

    def _classes(self, folder: FolderReview, index: int | None, name: str) -> None:
        try:
            folder.store.add_class(name) if index is None else folder.store.rename_class(index, name)
        except (LabelsUnavailable, ValueError) as exc:
            self.parts.show_message(QMessageBox.Icon.Warning, "Classes", str(exc))
            return
        self._show_labels()

    def ask_labels_folder(self, folder: str | None = None) -> None:
        from .review_dialogs import ask_folder

        found = self.rows.get(self.row)
        photos = folder or (str(found[0].store.place.photos) if found is not None else None)
        if photos is not None:
            title = f"Where the labels of {photos} live"
            ask_folder(self.parts.window, title, lambda chosen: self.use_labels_folder(photos, chosen))

    def use_labels_folder(self, photos: str, labels: str) -> None:
        """``photos``' labels live in ``labels`` from now on (remembered); the folder is opened there."""
        for folder in [f for f in self.model.folders if str(f.store.place.photos) == photos]:
            self.model.folders.remove(folder)
            folder.store.close()
            self.rows = {row: found for row, found in self.rows.items() if found[0] is not folder}
        self.files.use_labels_folder(photos, labels, [entry.path for entry in self.session.entries])

    def ask_import(self) -> None:
        from .review_dialogs import ask_import_source

        found = self.rows.get(self.row)
        if found is not None:
            ask_import_source(self.parts.window, lambda source: self.import_labels(found[0], source))

    def import_labels(self, folder: FolderReview, source: str | None) -> Future:
        """Read ``source`` (a COCO/detections.json file or a VOC/YOLO folder; None: found in the folder) off the
        GUI thread; then saved into ``folder``'s labels (photos that have labels keep them)."""
        from ..labels.dataset import read_labels

        self._import_into = folder
        return self.files.run("import", read_labels, str(folder.store.place.photos), source, self.files.places())

    def ask_export(self) -> None:
        from .review_dialogs import ExportDialog

        found = self.rows.get(self.row)
        if found is not None:
            ExportDialog.ask(self.parts.window, lambda out, options: self.export_training_set(found[0], out, options))

    def export_training_set(self, folder: FolderReview, out: str, options: ExportOptions) -> Future:
        """The folder's labels (every edit written first) as a training set under ``out``, off the GUI thread."""
        from ..labels.dataset import read_labels
        from ..labels.training_set import export_training_set

        folder.store.flush()
        photos, memory = str(folder.store.place.photos), self.files.places()
        return self.files.run("export", lambda: export_training_set(read_labels(photos, None, memory), out, options))

    def _on_finished(self, job: str, result: object) -> None:
        from .review_dialogs import export_summary, import_summary

        if isinstance(result, Exception):
            self.parts.show_message(QMessageBox.Icon.Warning, f"Labels {job} failed", str(result))
            return
        if job == "import":
            from ..labels.importing import import_label_set

            folder = self._import_into
            report = import_label_set(folder.store, result)  # type: ignore[arg-type]
            folder.counts.update(report.saved)
            for rel in report.saved:
                folder.photos.pop(rel, None)  # read again, with what was imported
                folder.recount(rel, UNLABELLED)
            self._refresh_list()
            self.show_current()
            summary = import_summary(report, result)  # type: ignore[arg-type]
            self.parts.show_message(QMessageBox.Icon.Information, "Labels imported", summary)
        else:
            summary = export_summary(result)  # type: ignore[arg-type]
            self.parts.show_message(QMessageBox.Icon.Information, "Training set exported", summary)

    def _on_write_failed(self, problem: LabelProblem) -> None:
        self.panel.photo_state.setText(str(problem))

    def _tell_problems(self, title: str, problems: list[LabelProblem]) -> None:
        self.parts.show_message(QMessageBox.Icon.Warning, title, "\n".join(str(p) for p in problems[:20]))
