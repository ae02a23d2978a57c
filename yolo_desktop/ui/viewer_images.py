"""Full-resolution images for the viewer, decoded off the GUI thread, a few kept for quick back-and-forth.

Only thumbnails stay in memory for the whole session; a 20 MP photo is decoded when shown and dropped from the
small cache when others are viewed.
"""

from __future__ import annotations

from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QPixmap

from .qt_images import pixmap_from_rgb

CACHE_SIZE = 4


class ViewerImages(QObject):
    loaded = Signal(str, object)  # path, QPixmap (null when the file cannot be read)
    _decoded = Signal(str, object)  # path, RGB array or None (from the loader thread)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cache: OrderedDict[str, QPixmap] = OrderedDict()
        self._wanted = ""
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="viewer")
        self._decoded.connect(self._on_decoded)

    def request(self, path: str) -> None:
        """Emit ``loaded`` for ``path`` now if cached, else once decoded (unless another image is wanted by then)."""
        self._wanted = path
        if path in self._cache:
            self._cache.move_to_end(path)
            self.loaded.emit(path, self._cache[path])
            return
        self._pool.submit(self._decode, path)

    def _decode(self, path: str) -> None:
        if path != self._wanted:  # the user has moved on: skip the work
            return
        from ..imaging.read import ImageError, load  # on this thread, never on the GUI thread's start-up path

        try:
            rgb = load(path).rgb
        except (ImageError, MemoryError):
            rgb = None
        self._decoded.emit(path, rgb)

    @Slot(str, object)
    def _on_decoded(self, path: str, rgb) -> None:
        pixmap = pixmap_from_rgb(rgb) if rgb is not None else QPixmap()
        if rgb is not None:
            self._cache[path] = pixmap
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        if path == self._wanted:
            self.loaded.emit(path, pixmap)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
