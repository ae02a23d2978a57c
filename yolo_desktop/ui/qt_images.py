"""numpy ⇄ Qt image conversions. Only ever called on the GUI thread; every QImage owns a copy of its pixels."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPixmap


def qimage_from_rgb(rgb: np.ndarray) -> QImage:
    """(H, W, 3) uint8 RGB → QImage that owns its pixels (the numpy buffer may be freed right after)."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    height, width = rgb.shape[:2]
    image = QImage(rgb.data, width, height, rgb.strides[0], QImage.Format.Format_RGB888)
    return image.copy()  # QImage would otherwise point into numpy's memory


def pixmap_from_rgb(rgb: np.ndarray) -> QPixmap:
    return QPixmap.fromImage(qimage_from_rgb(rgb))
