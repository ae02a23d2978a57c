"""Export of the session's results (current thresholds and filter) on a background thread."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ..batch import UsageError, check_output_dir
from ..export.writer import BatchWriter, ExportReport
from ..results import ImageResult
from .session import Entry


@dataclass(frozen=True)
class ExportOptions:
    folder: Path
    formats: tuple[str, ...]  # json, csv, yolo, voc, coco
    images: bool
    image_format: str  # jpg | png


class ExportJob(QObject):
    progress = Signal(int, int)  # done, total
    finished = Signal(object, str)  # ExportReport, error ("" when the export ran)

    def __init__(
        self,
        entries: list[Entry],
        roots: list[str],
        names: list[str],
        model: dict,
        settings: dict,
        options: ExportOptions,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.entries, self.roots, self.names = entries, roots, names
        self.model, self.settings, self.options = model, settings, options
        self.cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, name="export", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        options = self.options
        try:
            check_output_dir(options.folder, self.roots)
            options.folder.mkdir(parents=True, exist_ok=True)
        except (UsageError, OSError) as exc:
            self.finished.emit(ExportReport(), str(exc))
            return
        writer = BatchWriter(options.folder, options.formats, options.images, options.image_format, self.names)
        results: list[ImageResult] = []
        start = time.perf_counter()
        for done, entry in enumerate(self.entries, start=1):
            if self.cancel.is_set():
                break
            if entry.shown is not None:
                writer.add(entry.item, entry.shown)
                results.append(entry.shown)
            elif entry.error is not None:
                results.append(ImageResult(path=entry.path, error=entry.error))
            self.progress.emit(done, len(self.entries))
        report = writer.finish(results, self.model, self.settings, time.perf_counter() - start)
        self.finished.emit(report, "cancelled" if self.cancel.is_set() else "")
