"""The review's file work off the GUI thread: opening a folder's labels (listing 10,000 photos and counting their
boxes takes 0.2–0.5 s), reading labels to import, writing a training set. Results come back as signals, on the GUI
thread, where the store is then used (a store is meant for one thread: it is handed over once opened).

Where labels live is the store's rule (``labels/place.py``), with the per-user memory of folders the user picked:
when the default place cannot be written, ``opened`` says so (``ask``) and the window asks for a folder, once.
A folder another window is editing opens read-only, with the lock's message.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from ..labels.place import PlaceMemory
from ..labels.problems import LabelsUnavailable
from .review_model import FolderReview, path_key


@dataclass(frozen=True)
class Opened:
    folder: str  # the photo folder
    review: FolderReview | None  # None: not opened (see message)
    rows: dict[int, str] = field(default_factory=dict)  # session row → the photo's name in the store
    scanned: int = 0  # the session's rows looked at (later ones are mapped on arrival)
    message: str = ""  # why read-only, or why not opened
    ask: bool = False  # the default place cannot be written: ask the user for a labels folder


class LabelFolders(QObject):
    opened = Signal(object)  # Opened
    write_failed = Signal(object)  # LabelProblem, from the store's writer thread
    finished = Signal(str, object)  # "import" | "export", the job's result (or the exception it raised)

    def __init__(self, memory: PlaceMemory | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.memory = memory
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="labels-files")
        self._opening: set[str] = set()

    def places(self) -> PlaceMemory:
        if self.memory is None:
            self.memory = PlaceMemory()
        return self.memory

    def open(self, folder: str, paths: list[str]) -> bool:
        """Open ``folder``'s labels on the thread; ``paths``: the session's photos, to find which rows it holds.
        False when it is already being opened."""
        key = path_key(folder)
        if key in self._opening:
            return False
        self._opening.add(key)
        self._pool.submit(self._open, folder, paths)
        return True

    def opened_done(self, folder: str) -> None:
        self._opening.discard(path_key(folder))

    def use_labels_folder(self, folder: str, labels: str, paths: list[str]) -> None:
        """The user's choice of where ``folder``'s labels live (remembered), then opened there."""
        self.places().remember(folder, labels)
        self.open(folder, paths)

    def _open(self, folder: str, paths: list[str]) -> None:
        from ..labels.store import LabelStore  # here, on this thread: the window starts without it

        place = self.places().place(folder)
        message, ask = "", False
        try:
            store = LabelStore(place, on_error=self.write_failed.emit)
        except LabelsUnavailable as exc:
            message = str(exc)
            ask = not place.writable()
            try:
                store = LabelStore(place, readonly=True)
            except LabelsUnavailable as again:
                self.opened.emit(Opened(folder, None, message=str(again)))
                return
        review = FolderReview(store, store.box_counts())
        rows = {row: rel for row, path in enumerate(paths) if (rel := review.by_key.get(path_key(path)))}
        self.opened.emit(Opened(folder, review, rows, len(paths), message, ask))

    def run(self, job: str, work: Any, *args: Any) -> Future:
        """``work(*args)`` on the thread; its result (or exception) comes back as ``finished(job, …)``."""

        def call() -> Any:
            try:
                result = work(*args)
            except Exception as exc:  # reported in the window, whatever it was
                result = exc
            self.finished.emit(job, result)
            return result

        return self._pool.submit(call)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def photo_folder(path: str) -> str:
    """The folder whose labels hold ``path``: itself for a folder, else the file's folder."""
    return path if os.path.isdir(path) else str(Path(path).parent)
