"""Write a batch's outputs: per-image files as results arrive, batch-wide files at the end.

Per image (mirrored tree): the annotated image, a YOLO ``.txt``, a VOC ``.xml``. At the end, in OUT:
``detections.json``, ``detections.csv``, ``coco.json``, ``data.yaml``. Every file is written atomically; a write
that fails is recorded and reported, and the rest go on.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..imaging.read import ImageError, LoadedImage, load
from ..pipeline.inputs import InputFile
from ..results import ImageResult
from .coco import write_coco
from .csv_export import write_csv
from .images import full_size, write_annotated
from .json_export import write_json
from .voc import write_voc
from .yolo_txt import write_data_yaml, write_yolo_txt

FORMATS = ("json", "csv", "yolo", "voc", "coco")
JPEG_EXTENSIONS = frozenset({".jpg", ".jpeg", ".jpe", ".jfif"})


@dataclass
class ExportReport:
    written: list[Path] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)


def annotated_suffix(item: InputFile, image_format: str) -> str:
    """'auto' keeps JPEG photos JPEG and writes everything else losslessly as PNG."""
    if image_format == "auto":
        return ".jpg" if item.extension in JPEG_EXTENSIONS else ".png"
    return "." + image_format


def failure_reason(exc: BaseException) -> str:
    if isinstance(exc, ImageError):
        return exc.reason
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, MemoryError):
        return "not enough memory to write this file"
    if isinstance(exc, (OSError, ValueError)):
        return str(exc)
    return f"unexpected error: {exc!r}"


class BatchWriter:
    def __init__(
        self, out: Path, formats: Sequence[str], images: bool, image_format: str = "auto", names: Sequence[str] = ()
    ) -> None:
        unknown = sorted(set(formats) - set(FORMATS))
        if unknown:
            raise ValueError(f"unknown format(s) {', '.join(unknown)} (available: {', '.join(FORMATS)})")
        self.out = out
        self.formats = tuple(formats)
        self.images = images
        self.image_format = image_format
        self.names = list(names)
        self.report = ExportReport()
        self._coco_items: list[tuple[ImageResult, str]] = []

    def _write(self, path: Path, action: Callable[[Path], None]) -> None:
        try:
            action(path)
            self.report.written.append(path)
        except Exception as exc:  # every failure is reported (a cv2.error or MemoryError as much as a full disk)
            self.report.failed.append((str(path), failure_reason(exc)))

    def _image_name(self, item: InputFile) -> str:
        if self.images:
            return item.relative_output(annotated_suffix(item, self.image_format))
        return item.relative_output(item.extension)

    def record(self, item: InputFile, result: ImageResult) -> None:
        """Count a result whose per-image files are already written (a resumed batch, a cluster worker's part)
        in the batch-wide files, without writing anything now."""
        if result.ok:
            self._coco_items.append((result, self._image_name(item)))

    def add(self, item: InputFile, result: ImageResult, image: LoadedImage | None = None) -> None:
        """Write the per-image outputs of one finished result (failed results produce none)."""
        if not result.ok:
            return
        image_name = self._image_name(item)
        self._coco_items.append((result, image_name))
        if self.images:
            self._write(
                item.output_path(self.out, annotated_suffix(item, self.image_format)),
                lambda p: write_annotated(p, full_size(image, lambda: load(item.path)), result),
            )
        if "yolo" in self.formats:
            self._write(item.output_path(self.out, ".txt"), lambda p: write_yolo_txt(p, result))
        if "voc" in self.formats:
            self._write(
                item.output_path(self.out, ".xml"), lambda p: write_voc(p, result, os.path.basename(image_name))
            )

    def finish(
        self,
        results: Sequence[ImageResult],
        model: Mapping[str, Any],
        settings: Mapping[str, Any],
        seconds: float,
        order: Sequence[InputFile] | None = None,
        videos: Sequence[Mapping[str, Any]] = (),
    ) -> ExportReport:
        """Write the batch-wide files. ``order``: the inputs in batch order, when results were added or recorded
        out of order (a resumed batch), so coco.json lists images as a run that never stopped would. ``videos``:
        the video records of ``detections.json`` (``video/record.py``)."""
        if order is not None:
            position = {self._image_name(item): i for i, item in enumerate(order)}
            self._coco_items.sort(key=lambda entry: position.get(entry[1], len(position)))
        if "json" in self.formats:
            self._write(
                self.out / "detections.json", lambda p: write_json(p, results, model, settings, seconds, videos)
            )
        if "csv" in self.formats:
            self._write(self.out / "detections.csv", lambda p: write_csv(p, results))
        if "coco" in self.formats:
            self._write(self.out / "coco.json", lambda p: write_coco(p, self._coco_items, self.names))
        if "yolo" in self.formats:
            self._write(self.out / "data.yaml", lambda p: write_data_yaml(p, self.names))
        return self.report


class BackgroundWriter:
    """Runs ``BatchWriter.add`` (drawing, JPEG/PNG encoding, writing) on its own thread while the network works
    on the next image. At most ``max_pending`` full-size images wait, so memory stays bounded."""

    def __init__(self, writer: BatchWriter, max_pending: int = 4) -> None:
        self.writer = writer
        self._slots = threading.Semaphore(max_pending)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="write")
        self._escaped: list[tuple[str, str]] = []  # failures outside BatchWriter._write, never lost in a future

    def add(self, item: InputFile, result: ImageResult, image: LoadedImage | None = None) -> None:
        self._slots.acquire()
        future = self._pool.submit(self.writer.add, item, result, image)
        future.add_done_callback(lambda f: self._done(f, item))

    def call(self, action: Callable[[], object], name: str = "") -> Future[object]:
        """Run ``action`` on the writer thread after every image added so far is written (a resumable batch
        writes its part file this way: only once the chunk's files exist). A failure is reported under ``name``."""
        future = self._pool.submit(action)
        future.add_done_callback(
            lambda f: (
                self._escaped.append((name, failure_reason(f.exception())))  # type: ignore[arg-type]
                if not f.cancelled() and f.exception() is not None
                else None
            )
        )
        return future

    def drain(self) -> None:
        """Wait until every image added so far is written (the thread stays for more)."""
        self.call(lambda: None).result()

    @property
    def failed(self) -> list[tuple[str, str]]:
        """Every write that failed so far: (file, reason)."""
        return [*self.writer.report.failed, *self._escaped]

    def close(self) -> None:
        """Stop the thread without writing the batch-wide files (a worker's chunk; an abandoned batch)."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _done(self, future: Future[None], item: InputFile) -> None:
        self._slots.release()
        if not future.cancelled() and future.exception() is not None:
            self._escaped.append((item.path, failure_reason(future.exception())))  # type: ignore[arg-type]

    def finish(
        self,
        results: Sequence[ImageResult],
        model: Mapping[str, Any],
        settings: Mapping[str, Any],
        seconds: float,
        order: Sequence[InputFile] | None = None,
        videos: Sequence[Mapping[str, Any]] = (),
    ) -> ExportReport:
        self._pool.shutdown(wait=True)
        report = self.writer.finish(results, model, settings, seconds, order, videos)
        report.failed.extend(self._escaped)
        return report
