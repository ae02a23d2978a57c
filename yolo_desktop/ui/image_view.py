"""The viewer: the image with its detections drawn as an overlay (never burned into the pixels).

Boxes keep a constant on-screen line width and labels a constant on-screen size at any zoom. Wheel zooms around
the cursor, dragging pans, fit / 1:1 are one call; clicking a box reports its index, and selected boxes are
highlighted; in review (``set_box_look``) the detections are proposals, dashed, and those already settled hidden
(the person's own labels are drawn above them by ``label_boxes.LabelOverlay``). Empty, it shows where to drop
images. A video's counting lines are drawn over the picture with their counts; in line mode (``set_line_mode``)
press-drag-release draws a new one (``line_drawn``, image pixels). Zones, the zone tool (``set_zone_mode``: click the
points, double-click to close; ``zone_drawn``) and the heatmap overlay are ``zone_layer.py``'s.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QLineF, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

from ..imaging.palette import label_text
from ..results import Detection, Detections
from .label_item import LabelItem, qcolor
from .zone_layer import ZoneLayer

LINE_COLOR = QColor(255, 214, 0)  # counting lines: one colour no class has (the palette's yellows are greener)
ZOOM_STEP = 1.25
DROP_HINT = "Drop photos or folders here\nor use Open Images (Ctrl+O) / Open Folder (Ctrl+Shift+O)"
MIN_ZOOM, MAX_ZOOM = 0.02, 40.0


class BoxItem(QGraphicsRectItem):
    def __init__(self, index: int, detection: Detection) -> None:
        super().__init__(QRectF(detection.x1, detection.y1, detection.width, detection.height))
        self.index = index
        self.detection = detection
        self.label: LabelItem | None = None
        self.setToolTip(
            f"{detection.label} {detection.score:.3f}\n"
            f"({detection.x1:.0f}, {detection.y1:.0f}) – ({detection.x2:.0f}, {detection.y2:.0f})"
        )
        self.set_selected(False, dimmed=False)

    def set_selected(self, selected: bool, dimmed: bool, dashed: bool = False) -> None:
        pen = QPen(qcolor(self.detection.class_id, 110 if dimmed else 255), 3.5 if selected else 2.0)
        pen.setCosmetic(True)  # width in screen pixels, not image pixels
        if dashed:  # a proposal, beside the person's labels (drawn solid)
            pen.setStyle(Qt.PenStyle.DashLine)
        self.setPen(pen)
        self.setBrush(QBrush(qcolor(self.detection.class_id, 60)) if selected else Qt.BrushStyle.NoBrush)
        self.setZValue(2 if selected else 1)
        if self.label is not None:
            self.label.setOpacity(0.45 if dimmed else 1.0)


class ImageView(QGraphicsView):
    box_clicked = Signal(int)  # index into the detections given to set_detections; -1 for empty space
    navigate = Signal(int)  # -1 previous image, +1 next (arrow keys)
    line_drawn = Signal(float, float, float, float)  # x1, y1, x2, y2 in image pixels (line mode)
    image_set = Signal()  # a new picture (or none): the scene was cleared, overlays draw again
    detections_set = Signal()  # new detection boxes: a review restyles them
    label_options_set = Signal()  # View ▸ Show Labels / Scores changed: overlays draw their tags again
    zone_drawn = Signal(object)  # [(x, y), …] image pixels (zone mode)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        # A neutral dark backdrop, as photo viewers use: it does not tint how the photo's colours look.
        self.setBackgroundBrush(QColor(48, 48, 50))
        self.setAcceptDrops(False)  # drops go to the window, which queues them
        self.viewport().setAcceptDrops(False)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pixmap_item: QGraphicsPixmapItem | None = None
        self._boxes: list[BoxItem] = []
        self._tiles: list[QGraphicsRectItem] = []
        self._selected: set[int] = set()
        self._dashed = False  # detections drawn as proposals (review)
        self._hidden: set[int] = set()  # detections not drawn (proposals accepted or rejected)
        self._fit = True
        self.show_labels = True
        self.show_scores = True
        self.hint = DROP_HINT
        self._lines: list[tuple[QLineF, str]] = []  # counting lines (image pixels) and their label
        self._line_items: list[QGraphicsItem] = []
        self._drawing: QGraphicsLineItem | None = None  # the line being drawn (line mode)
        self.line_mode = False
        self.zone_layer = ZoneLayer()

    # ----- content -------------------------------------------------------------------------------------------
    def set_image(self, pixmap: QPixmap | None) -> None:
        scene = self.scene()
        # A line being drawn survives a new frame (a playing video or a live camera replaces the picture many times
        # during one drag): it is drawn again on the new scene.
        drawing = self._drawing.line() if self._drawing is not None else None
        scene.clear()
        self._boxes, self._selected, self._pixmap_item, self._tiles = [], set(), None, []
        self._line_items, self._drawing = [], None  # deleted with the scene's other items
        self.zone_layer.forget()
        if drawing is not None and pixmap is not None and not pixmap.isNull():
            self._drawing = scene.addLine(drawing, self._line_pen())
            self._drawing.setZValue(5)
        if pixmap is None or pixmap.isNull():
            scene.setSceneRect(QRectF())
            self.viewport().update()
            self.image_set.emit()
            return
        self._pixmap_item = scene.addPixmap(pixmap)
        self._pixmap_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._pixmap_item.setZValue(0)
        scene.setSceneRect(QRectF(pixmap.rect()))
        self._draw_lines()
        self.zone_layer.redraw(scene, True)
        if self._fit:
            self.fit()
        self.image_set.emit()

    @property
    def has_image(self) -> bool:
        return self._pixmap_item is not None

    def set_detections(self, detections: Detections) -> None:
        for box in self._boxes:
            self.scene().removeItem(box)
        self._boxes = []
        if self._pixmap_item is None:
            return
        for index, detection in enumerate(detections):
            box = BoxItem(index, detection)
            self.scene().addItem(box)
            self._boxes.append(box)
        self._relabel()
        self._selected = {i for i in self._selected if i < len(self._boxes)}
        self._restyle()
        self.detections_set.emit()

    def boxes(self) -> list[BoxItem]:
        return list(self._boxes)

    @property
    def image_size(self) -> tuple[int, int] | None:
        """(width, height) of the image shown, pixels."""
        if self._pixmap_item is None:
            return None
        size = self._pixmap_item.pixmap().size()
        return size.width(), size.height()

    def set_tile_grid(self, tiles: Sequence[tuple[int, int, int, int]]) -> None:
        """Outline these tiles (x, y, width, height in image pixels) under the boxes; none clears the grid."""
        for item in self._tiles:
            self.scene().removeItem(item)
        self._tiles = []
        if self._pixmap_item is None:
            return
        for x, y, width, height in tiles:
            item = QGraphicsRectItem(QRectF(x, y, width, height))
            pen = QPen(QColor(255, 255, 255, 170), 1.0, Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            item.setPen(pen)
            item.setZValue(0.5)  # over the photo, under the boxes
            self.scene().addItem(item)
            self._tiles.append(item)

    def tile_grid(self) -> list[QRectF]:
        return [item.rect() for item in self._tiles]

    @property
    def selected(self) -> set[int]:
        """The detections selected (a click on the photo, or rows of the table)."""
        return set(self._selected)

    def set_selected(self, indices: set[int]) -> None:
        self._selected = set(indices)
        self._restyle()
        if len(self._selected) == 1:
            box = self._boxes[next(iter(self._selected))] if next(iter(self._selected)) < len(self._boxes) else None
            if box is not None and not self._fit:
                self.ensureVisible(box, 40, 40)

    def set_label_options(self, show_labels: bool, show_scores: bool) -> None:
        self.show_labels, self.show_scores = show_labels, show_scores
        self._relabel()
        self._restyle()
        self.label_options_set.emit()

    def _relabel(self) -> None:
        for box in self._boxes:
            if box.label is not None:
                self.scene().removeItem(box.label)
                box.label = None
            text = label_text(box.detection, self.show_labels, self.show_scores)
            if text:
                box.label = LabelItem(text, box.detection.class_id, box)
                box.label.setPos(QPointF(box.rect().left(), box.rect().top()))

    def set_box_look(self, dashed: bool, hidden: set[int]) -> None:
        """Detections as proposals (``dashed``), and which of them not to draw (settled in review)."""
        self._dashed, self._hidden = dashed, set(hidden)
        self._restyle()

    def _restyle(self) -> None:
        any_selected = bool(self._selected)
        for box in self._boxes:
            selected = box.index in self._selected
            box.set_selected(selected, dimmed=any_selected and not selected, dashed=self._dashed)
            box.setVisible(box.index not in self._hidden)

    # ----- counting lines ------------------------------------------------------------------------------------
    def set_lines(self, lines: Sequence[tuple[tuple[float, float, float, float], str]]) -> None:
        """Counting lines to show: (x1, y1, x2, y2) in image pixels, and the text beside each (its counts)."""
        self._lines = [(QLineF(*points), text) for points, text in lines]
        self._draw_lines()

    def line_texts(self) -> list[str]:
        return [text for _line, text in self._lines]

    def _draw_lines(self) -> None:
        scene = self.scene()
        for item in self._line_items:
            scene.removeItem(item)
        self._line_items = []
        if self._pixmap_item is None:
            return
        for line, text in self._lines:
            item = scene.addLine(line, self._line_pen())
            item.setZValue(3)
            self._line_items.append(item)
            if text:
                label = LabelItem(text, 0, None, LINE_COLOR)
                label.setPos(line.center())
                label.setZValue(4)
                scene.addItem(label)
                self._line_items.append(label)

    @staticmethod
    def _line_pen() -> QPen:
        pen = QPen(LINE_COLOR, 2.5, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        return pen

    # ----- zones and the heatmap -----------------------------------------------------------------------------
    def set_zones(self, zones: Sequence[tuple[Sequence[tuple[float, float]], str]]) -> None:
        """Zones to show: their points (image pixels) and the text beside each."""
        self.zone_layer.set_zones(zones)
        self.zone_layer.redraw(self.scene(), self._pixmap_item is not None)

    def set_heatmap(self, pixmap: QPixmap | None) -> None:
        """An overlay the picture's size (the heatmap), or None."""
        self.zone_layer.heatmap = pixmap
        self.zone_layer.redraw(self.scene(), self._pixmap_item is not None)

    def set_zone_mode(self, on: bool) -> None:
        """Zone mode: clicks add the points of a new zone instead of panning."""
        self.zone_layer.start() if on else self.zone_layer.cancel()
        self.setDragMode(QGraphicsView.DragMode.NoDrag if on else QGraphicsView.DragMode.ScrollHandDrag)
        self.viewport().setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.OpenHandCursor)
        self.zone_layer.redraw(self.scene(), self._pixmap_item is not None)

    def _zone_click(self, event) -> None:
        layer = self.zone_layer
        if event.button() == Qt.MouseButton.RightButton:
            self._end_zone(None)
            return
        point = self.mapToScene(event.position().toPoint())
        first = None
        if layer.drawing:
            x, y = layer.drawing[0]
            first = QLineF(QPointF(self.mapFromScene(QPointF(x, y))), event.position()).length()
        done = layer.click((point.x(), point.y()), first)
        if done is not None:
            self._end_zone(done)
        else:
            layer.redraw(self.scene(), True)

    def _end_zone(self, points: list | None) -> None:
        self.set_zone_mode(False)
        if points is not None:
            self.zone_drawn.emit(points)

    def set_line_mode(self, on: bool) -> None:
        """Line mode: dragging draws a counting line instead of panning."""
        self.line_mode = on
        self.setDragMode(QGraphicsView.DragMode.NoDrag if on else QGraphicsView.DragMode.ScrollHandDrag)
        self.viewport().setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.OpenHandCursor)

    # ----- zoom ----------------------------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def fit(self) -> None:
        self._fit = True
        if self._pixmap_item is not None:
            self.fitInView(self._pixmap_item, Qt.AspectRatioMode.KeepAspectRatio)

    def actual_size(self) -> None:
        self._fit = False
        self.resetTransform()

    def zoom_by(self, factor: float) -> None:
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom * factor))
        if self._pixmap_item is None or target == self.zoom:
            return
        self._fit = False
        self.scale(target / self.zoom, target / self.zoom)

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120
        if steps and self._pixmap_item is not None:
            self.zoom_by(ZOOM_STEP**steps)
            event.accept()
        else:
            super().wheelEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fit:
            self.fit()

    # ----- interaction ---------------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        if self.zone_layer.active and self._pixmap_item is not None:
            self._zone_click(event)
            event.accept()
            return
        if self.line_mode and event.button() == Qt.MouseButton.LeftButton and self._pixmap_item is not None:
            start = self.mapToScene(event.position().toPoint())
            self._drawing = self.scene().addLine(QLineF(start, start), self._line_pen())
            self._drawing.setZValue(5)
            event.accept()
            return
        if event.button() == Qt.MouseButton.LeftButton and self._pixmap_item is not None:
            box = self._box_at(event.position().toPoint())
            if box is not None:
                self.box_clicked.emit(box.index)
                event.accept()
                return
            self.box_clicked.emit(-1)
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        if self.zone_layer.active:
            points = self.zone_layer.finish()
            if points is not None:
                self._end_zone(points)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self.zone_layer.drawing:
            point = self.mapToScene(event.position().toPoint())
            self.zone_layer.cursor = (point.x(), point.y())
            self.zone_layer.redraw(self.scene(), self._pixmap_item is not None)
            event.accept()
            return
        if self._drawing is not None:
            line = self._drawing.line()
            self._drawing.setLine(QLineF(line.p1(), self.mapToScene(event.position().toPoint())))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._drawing is not None and event.button() == Qt.MouseButton.LeftButton:
            line = QLineF(self._drawing.line().p1(), self.mapToScene(event.position().toPoint()))
            self.scene().removeItem(self._drawing)
            self._drawing = None
            event.accept()
            if line.length() >= 4:  # a click is not a line
                self.line_drawn.emit(line.x1(), line.y1(), line.x2(), line.y2())
            return
        super().mouseReleaseEvent(event)

    def _box_at(self, point) -> BoxItem | None:
        # The smallest box under the cursor wins, so a box inside another can still be picked.
        under = self.items(point)
        candidates = under + [item.parentItem() for item in under if isinstance(item, LabelItem)]
        hits = [h for h in candidates if isinstance(h, BoxItem) and h.isVisible()]
        return min(hits, key=lambda b: b.rect().width() * b.rect().height()) if hits else None

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if self.zone_layer.active and key in (Qt.Key.Key_Escape, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._end_zone(self.zone_layer.finish() if key != Qt.Key.Key_Escape else None)
            return
        scrollable = self.horizontalScrollBar().maximum() > 0 or self.verticalScrollBar().maximum() > 0
        if not scrollable and key in (Qt.Key.Key_Left, Qt.Key.Key_Up):
            self.navigate.emit(-1)
        elif not scrollable and key in (Qt.Key.Key_Right, Qt.Key.Key_Down):
            self.navigate.emit(1)
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(ZOOM_STEP)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(1 / ZOOM_STEP)
        else:
            super().keyPressEvent(event)

    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        if self._pixmap_item is not None or not self.hint:
            return
        painter.save()
        painter.resetTransform()
        area = QRectF(self.viewport().rect()).adjusted(24, 24, -24, -24)
        pen = QPen(QColor(150, 150, 155), 2, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(area, 12, 12)
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        painter.setFont(font)
        painter.setPen(QColor(200, 200, 205))
        painter.drawText(area, Qt.AlignmentFlag.AlignCenter, self.hint)
        painter.restore()
