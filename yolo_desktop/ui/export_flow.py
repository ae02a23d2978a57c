"""Export from the window: the options dialog, the background job with a progress dialog, and the report.

``ExportFlow`` takes what it uses — a parent widget for its dialogs, the session, the settings store and how to
show a message — never the window; the window makes it the first time the user exports.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from ..export.writer import ExportReport
from ..records import model_record, settings_record
from .dialogs import ExportDialog
from .export_job import ExportJob, ExportOptions
from .session import Session
from .settings_store import SettingsStore

ShowMessage = Callable[[QMessageBox.Icon, str, str], QMessageBox]


class ExportFlow:
    def __init__(
        self,
        parent: QWidget,
        session: Session,
        store: SettingsStore,
        show_message: ShowMessage,
        on_finished: Callable[[ExportReport, str], None],
    ) -> None:
        """``on_finished(report, error)`` is told when an export ends (error "" when it went through)."""
        self.parent, self.session, self.store = parent, session, store
        self.show_message, self.on_finished = show_message, on_finished
        self.job: ExportJob | None = None

    def ask(self) -> None:
        """Export (Ctrl+E): ask where and what, then run it."""
        if not self.session.finished_entries():
            self.show_message(QMessageBox.Icon.Information, "Nothing to export", "No image has been processed yet.")
            return
        store = self.store
        dialog = ExportDialog(
            store.text("export/dir"),
            set(store.text("export/formats", "csv,json").split(",")),
            store.flag("export/images", True),
            store.text("export/image_format", "jpg"),
            self.parent,
        )
        if not dialog.exec():
            return
        options = dialog.options()
        store.set("export/dir", str(options.folder))
        store.set("export/formats", ",".join(options.formats))
        store.set("export/images", options.images)
        store.set("export/image_format", options.image_format)
        self.run(options)

    def run(self, options: ExportOptions) -> ExportJob:
        """Write the session's results with the thresholds on screen, on a background thread, with progress."""
        session = self.session
        info = session.model_info
        settings = session.settings  # the loaded model's, with the thresholds on screen
        model = model_record(info)
        items = session.export_snapshot()  # taken now: sliders moved during the export do not reach it
        videos = {  # each finished video's frames, and how it is tracked (its counting lines too) as on screen
            entry.path: (track.store, session.tracking_options(index))
            for index, entry in enumerate(session.entries)
            if (track := session.video(index)) is not None and track.finished
        }
        job = ExportJob(
            items,
            session.roots,
            list(info.names) if info else [],
            model,
            settings_record(settings),
            options,
            self.parent,
            videos=videos,
            detector_settings=settings,
        )
        dialog = QProgressDialog("Exporting…", "Cancel", 0, max(1, len(items)), self.parent)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(400)
        dialog.canceled.connect(job.cancel.set)
        job.progress.connect(lambda done, total: dialog.setValue(done))
        job.finished.connect(lambda report, error: self._finished(dialog, options, report, error))
        self.job = job
        job.start()
        return job

    def shutdown(self, timeout_s: float = 10) -> None:
        """The window is closing: stop an export in progress (files written so far stay complete)."""
        if self.job is not None:
            self.job.cancel.set()
            self.job.wait(timeout_s)

    def _finished(self, dialog: QProgressDialog, options: ExportOptions, report: ExportReport, error: str) -> None:
        dialog.reset()
        self.on_finished(report, error)
        if error and error != "cancelled":
            self.show_message(QMessageBox.Icon.Critical, "Export refused", error)
            return
        lines = [f"Wrote {len(report.written)} file{'s' if len(report.written) != 1 else ''} to {options.folder}."]
        if error == "cancelled":
            lines.append("Cancelled: the files listed were written completely; the rest were not written.")
        if report.failed:
            lines.append(f"{len(report.failed)} could not be written:")
            lines += [f"• {os.path.basename(path)}: {reason}" for path, reason in report.failed[:10]]
        box = self.show_message(
            QMessageBox.Icon.Warning if report.failed else QMessageBox.Icon.Information,
            "Export finished",
            "\n".join(lines),
        )
        open_button = box.addButton("Open Folder", QMessageBox.ButtonRole.ActionRole)
        open_button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(options.folder))))
