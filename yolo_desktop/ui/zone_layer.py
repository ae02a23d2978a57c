"""What the viewer draws for footage analysis, over the picture and under the boxes: the zones (translucent
polygons with their names and counts), the polygon being drawn (the zone tool), and the heatmap overlay.

The zone tool: each click adds a point; the outline follows the mouse; a double-click, Enter, or a click on the
first point closes the polygon (at least 3 points); Esc or a right-click drops it. The points are image pixels.
The items are made again whenever the viewer's scene is cleared (a new frame), so the layer keeps only values.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene

from .label_item import LabelItem

ZONE_COLOR = QColor(0, 200, 255)  # a colour no class has: cyan
CLOSE_DISTANCE = 10.0  # screen pixels from the first point: a click there closes the polygon

Points = Sequence[tuple[float, float]]


class ZoneLayer:
    def __init__(self) -> None:
        self.zones: list[tuple[tuple[tuple[float, float], ...], str]] = []  # (points, label)
        self.heatmap: QPixmap | None = None
        self.drawing: list[tuple[float, float]] | None = None  # points so far (zone tool)
        self.cursor: tuple[float, float] | None = None
        self._items: list[QGraphicsItem] = []

    # ----- what to show --------------------------------------------------------------------------------------
    def set_zones(self, zones: Sequence[tuple[Points, str]]) -> None:
        self.zones = [(tuple((float(x), float(y)) for x, y in points), text) for points, text in zones]

    def texts(self) -> list[str]:
        return [text for _points, text in self.zones]

    def forget(self) -> None:
        """The scene was cleared: its items (ours among them) are gone."""
        self._items = []

    def redraw(self, scene: QGraphicsScene, has_image: bool) -> None:
        for item in self._items:
            scene.removeItem(item)
        self._items = []
        if not has_image:
            return
        if self.heatmap is not None:
            item = scene.addPixmap(self.heatmap)
            item.setZValue(0.3)  # over the picture, under the zones and the boxes
            self._items.append(item)
        pen = QPen(ZONE_COLOR, 2.0)
        pen.setCosmetic(True)
        for points, text in self.zones:
            polygon = QPolygonF([QPointF(x, y) for x, y in points])
            item = scene.addPolygon(polygon, pen, QBrush(QColor(0, 200, 255, 45)))
            item.setZValue(0.6)
            self._items.append(item)
            if text:
                label = LabelItem(text, 0, None, ZONE_COLOR)
                label.setPos(polygon.boundingRect().topLeft())
                label.setZValue(4)
                scene.addItem(label)
                self._items.append(label)
        if self.drawing:
            dashed = QPen(ZONE_COLOR, 2.0, Qt.PenStyle.DashLine)
            dashed.setCosmetic(True)
            outline = [*self.drawing, *([self.cursor] if self.cursor else [])]
            for (x1, y1), (x2, y2) in pairwise(outline):
                item = scene.addLine(x1, y1, x2, y2, dashed)
                item.setZValue(5)
                self._items.append(item)
            for x, y in self.drawing:  # a dot on each point, the same size on screen at any zoom
                item = scene.addEllipse(-4, -4, 8, 8, pen, QBrush(ZONE_COLOR))
                item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
                item.setPos(x, y)
                item.setZValue(5)
                self._items.append(item)

    # ----- the zone tool -------------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.drawing is not None

    def start(self) -> None:
        self.drawing, self.cursor = [], None

    def cancel(self) -> None:
        self.drawing, self.cursor = None, None

    def click(self, point: tuple[float, float], screen_distance_to_first: float | None) -> list | None:
        """A click at ``point`` (image pixels); returns the finished polygon when this click closes it."""
        assert self.drawing is not None
        if (
            screen_distance_to_first is not None
            and screen_distance_to_first <= CLOSE_DISTANCE
            and len(self.drawing) >= 3
        ):
            return self.finish()
        self.drawing.append(point)
        return None

    def finish(self) -> list | None:
        """Close the polygon (None, and keep drawing, with fewer than 3 points)."""
        if self.drawing is None or len(self.drawing) < 3:
            return None
        points, self.drawing, self.cursor = self.drawing, None, None
        return points
