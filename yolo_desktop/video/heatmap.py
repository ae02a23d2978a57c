"""Where tracked objects were: per class, the seconds objects spent in each cell of a coarse grid over the frame,
from their anchor points (``zones.anchor_points``: where a person stands, the middle of a cup). Only confirmed
tracks count (a one-frame false detection leaves no mark).

    heat = Heatmap(width, height)
    heat.add(detections, seconds)            # a processed frame's tracked detections, worth ``seconds`` of video
    rgba = heat.rgba(classes)                # (H, W, 4) colour overlay: the player draws it over the picture
    heat.write_png(path, frame_rgb)          # <name>.heatmap.png: the overlay over a frame of the video

Memory: one float32 grid per class seen, a cell per ``CELL`` × ``CELL`` pixels (a 720p video: 160 × 90 cells, 57 KB
a class). The picture is the grid smoothed, scaled up, coloured (OpenCV's Turbo map: blue little, red most) and
blended in proportion to the time spent there, so places nobody went show the frame as it is.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from pathlib import Path

import numpy as np

from ..atomic import atomic_open
from ..results import Detections
from .zones import anchor_points

CELL = 8  # pixels per grid cell (each way)
MAX_ALPHA = 0.7  # the busiest place's overlay opacity


class Heatmap:
    def __init__(self, width: int, height: int, anchor: str = "auto") -> None:
        self.width, self.height, self.anchor = width, height, anchor
        self.shape = (max(1, math.ceil(height / CELL)), max(1, math.ceil(width / CELL)))  # rows, columns
        self.grids: dict[int, np.ndarray] = {}  # class id → (rows, columns) float32 seconds

    def add(self, detections: Detections, seconds: float) -> None:
        """Confirmed tracked detections of one processed frame, each worth ``seconds`` (the stride's time)."""
        ids = detections.track_ids
        if ids is None or not len(ids):
            return
        confirmed = ids >= 0
        if not confirmed.any():
            return
        points = anchor_points(detections, self.anchor)[confirmed]
        rows = np.clip((points[:, 1] / CELL).astype(np.int64), 0, self.shape[0] - 1)
        columns = np.clip((points[:, 0] / CELL).astype(np.int64), 0, self.shape[1] - 1)
        for class_id, row, column in zip(detections.class_ids[confirmed].tolist(), rows, columns):
            grid = self.grids.get(class_id)
            if grid is None:
                grid = self.grids[class_id] = np.zeros(self.shape, np.float32)
            grid[row, column] += seconds

    def total(self, classes: Collection[int] | None = None) -> np.ndarray:
        """(rows, columns) seconds of the given classes (None: all)."""
        total = np.zeros(self.shape, np.float32)
        for class_id, grid in self.grids.items():
            if classes is None or class_id in classes:
                total += grid
        return total

    def rgba(self, classes: Collection[int] | None = None) -> np.ndarray | None:
        """(height, width, 4) uint8: the colour overlay at the frame's size, alpha where objects were; None when
        none was."""
        import cv2

        total = self.total(classes)
        if not total.any():
            return None
        # Smooth over ~3 cells (an object's footprint), then scale: the busiest place is 1.
        smooth = cv2.GaussianBlur(total, (0, 0), sigmaX=1.5)
        level = np.sqrt(smooth / smooth.max())  # square root: a place used a tenth as much still shows
        big = cv2.resize(level, (self.width, self.height), interpolation=cv2.INTER_LINEAR)
        colour = cv2.applyColorMap((big * 255).astype(np.uint8), cv2.COLORMAP_TURBO)[:, :, ::-1]  # BGR → RGB
        alpha = (np.clip(big * 1.5, 0, 1) * MAX_ALPHA * 255).astype(np.uint8)
        return np.dstack([colour, alpha])

    def over(self, rgb: np.ndarray, classes: Collection[int] | None = None) -> np.ndarray:
        """The overlay blended over an RGB frame of the video (a copy)."""
        overlay = self.rgba(classes)
        if overlay is None:
            return rgb.copy()
        alpha = overlay[:, :, 3:4].astype(np.float32) / 255
        return (rgb.astype(np.float32) * (1 - alpha) + overlay[:, :, :3].astype(np.float32) * alpha).astype(np.uint8)

    def write_png(self, path: Path, rgb: np.ndarray, classes: Collection[int] | None = None) -> None:
        import cv2

        ok, data = cv2.imencode(".png", self.over(rgb, classes)[:, :, ::-1])
        if not ok:
            raise OSError(f"{path}: the heatmap could not be encoded")
        with atomic_open(path, "wb") as handle:
            handle.write(data.tobytes())
