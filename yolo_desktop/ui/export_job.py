"""Export of the session's results (current thresholds and filter) on a background thread.

The job gets a snapshot taken when it starts (``SessionModel.export_snapshot``): a slider moved meanwhile re-filters
the live entries on the GUI thread, never the data being written, so every file has the thresholds its header
names. Whatever goes wrong, ``finished`` is emitted (the progress dialog always closes). A processed video is
exported as the command line writes it (annotated video, per-frame files, tracks and crossings, its
``detections.json`` record) from its kept candidates, tracked again with its counting lines (``video/export.py``).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from ..export.writer import BatchWriter, ExportReport, failure_reason
from ..pipeline.inputs import UsageError, check_output_dir
from ..results import ImageResult
from ..settings import DEFAULTS, DetectorSettings
from ..video.export import export_video
from ..video.frame_store import FrameStore
from ..video.output import VideoOutputOptions
from ..video.record import VideoStats, video_record
from ..video.tracking import TrackingOptions
from .session_model import ExportItem


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
        items: list[ExportItem],
        roots: list[str],
        names: list[str],
        model: dict[str, Any],
        settings: dict[str, Any],
        options: ExportOptions,
        parent: QObject | None = None,
        videos: dict[str, tuple[FrameStore, TrackingOptions | None]] | None = None,
        detector_settings: DetectorSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.items, self.roots, self.names = items, list(roots), names
        self.model, self.settings, self.options = model, settings, options
        self.videos = dict(videos or {})  # path → each finished video's processed frames, and its tracking
        self.detector_settings = detector_settings or DEFAULTS
        self.cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, name="export", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        report, error = ExportReport(), ""
        try:
            report, error = self._export()
        except Exception as exc:  # an export that breaks still ends, and says why
            error = f"the export stopped: {failure_reason(exc)}"
        finally:
            self.finished.emit(report, error)

    def _export(self) -> tuple[ExportReport, str]:
        options = self.options
        try:
            check_output_dir(options.folder, self.roots)
            options.folder.mkdir(parents=True, exist_ok=True)
        except (UsageError, OSError) as exc:
            return ExportReport(), str(exc)
        writer = BatchWriter(options.folder, options.formats, options.images, options.image_format, self.names)
        results: list[ImageResult] = []
        videos: list[dict[str, Any]] = []
        start = time.perf_counter()
        for done, item in enumerate(self.items, start=1):
            if self.cancel.is_set():
                break
            if item.item.is_video:
                videos += self._export_video(item, writer.report)
            elif item.shown is not None:
                writer.add(item.item, item.shown)
                results.append(item.shown)
            elif item.error is not None:
                results.append(ImageResult(path=item.item.path, error=item.error))
            self.progress.emit(done, len(self.items))
        report = writer.finish(results, self.model, self.settings, time.perf_counter() - start, videos=videos)
        return report, "cancelled" if self.cancel.is_set() else ""

    def _export_video(self, item: ExportItem, report: ExportReport) -> list[dict[str, Any]]:
        """A video's files and its record (none for a video never processed)."""
        kept = self.videos.get(item.item.path)
        if item.error is not None:
            return [video_record(item.item.path, None, VideoStats(), error=item.error)]
        if kept is None or item.shown is None:
            return []
        store, tracking = kept
        options = self.options
        outputs = VideoOutputOptions(
            video=options.images, jsonl="json" in options.formats, csv="csv" in options.formats, tracking=tracking
        )
        done = export_video(store, item.item, options.folder, self.detector_settings, outputs, cancel=self.cancel)
        report.written.extend(done.written)
        report.failed.extend(done.failed)
        return [done.record]
