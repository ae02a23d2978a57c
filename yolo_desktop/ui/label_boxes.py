"""A photo's own labels drawn over the viewer, and the mouse and keys that edit them.

Geometry only: this layer turns presses, drags and keys into signals in photo pixels — a box drawn, moved or resized
(on release), a nudge, a selection — and draws what it is given back (``set_labels``); the review
(``ui/review.py``) decides what they mean and saves them. It listens to the view (an event filter on the view and its
viewport), so zoom, pan, wheel and the detections' clicks keep working wherever no label is hit.

Handles and the snap distance are in screen pixels, so they work the same at any zoom; a dragged edge within
``SNAP_PX`` of the photo's border lands on it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QMouseEvent, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem

from ..results import Detections
from .image_view import ImageView, LabelItem, qcolor

HANDLE_PX = 7  # a resize handle's side on screen
GRAB_PX = 6  # how near (screen pixels) a press must be to a handle to take it
SNAP_PX = 8  # an edge dragged this near the photo's border snaps to it
MIN_DRAWN_PX = 4  # a drag shorter than this on screen is a click, not a box
NUDGE_KEYS = {
    Qt.Key.Key_Left: (-1, 0),
    Qt.Key.Key_Right: (1, 0),
    Qt.Key.Key_Up: (0, -1),
    Qt.Key.Key_Down: (0, 1),
}
# The 8 handles: which edges each one drags (left, top, right, bottom), in order around the box from the top left.
HANDLES = (
    (1, 1, 0, 0),
    (0, 1, 0, 0),
    (0, 1, 1, 0),
    (0, 0, 1, 0),
    (0, 0, 1, 1),
    (0, 0, 0, 1),
    (1, 0, 0, 1),
    (1, 0, 0, 0),
)

Box = tuple[float, float, float, float]


class LabelBox(QGraphicsRectItem):
    """One label: a solid outline in its class's colour (proposals are dashed), with its class's tag."""

    def __init__(self, index: int, class_id: int, name: str, box: Box, show_tag: bool) -> None:
        super().__init__(QRectF(QPointF(box[0], box[1]), QPointF(box[2], box[3])))
        self.index = index
        self.class_id = class_id
        self.tag = LabelItem(name, class_id, self) if show_tag else None
        self.setZValue(3)  # over the detections
        self.set_selected(False)

    def set_selected(self, selected: bool) -> None:
        pen = QPen(qcolor(self.class_id), 3.5 if selected else 2.5)
        pen.setCosmetic(True)
        self.setPen(pen)
        self.setBrush(QBrush(qcolor(self.class_id, 70)) if selected else Qt.BrushStyle.NoBrush)
        self.setZValue(4 if selected else 3)

    def set_box(self, rect: QRectF) -> None:
        self.setRect(rect)
        if self.tag is not None:
            self.tag.setPos(rect.topLeft())


class Handle(QGraphicsRectItem):
    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(QRectF(-HANDLE_PX / 2, -HANDLE_PX / 2, HANDLE_PX, HANDLE_PX), parent)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)  # same size at any zoom
        self.setBrush(QColor(255, 255, 255))
        self.setPen(QPen(QColor(20, 20, 20), 1))


class LabelOverlay(QObject):
    drawn = Signal(object)  # Box: a new box (its class is chosen next)
    changed = Signal(int, object)  # label index, Box: moved or resized (on release)
    nudged = Signal(float, float)  # dx, dy photo pixels for the selected labels (arrows; Shift: ×10)
    selection_changed = Signal(object)  # set[int] of label indices (a click on a label, Tab, or empty space)
    proposal_activated = Signal(int)  # a double-click on a proposal (a detection box): accept it
    accept_pressed = Signal()  # Enter: accept the selected proposals
    draw_mode_changed = Signal(bool)

    def __init__(self, view: ImageView) -> None:
        super().__init__(view)
        self.view = view
        self.enabled = False
        self.draw_mode = False
        self.selected: set[int] = set()
        self._labels: Detections | None = None
        self._items: list[LabelBox] = []
        self._handles: list[Handle] = []
        self._drag: tuple[str, int, QPointF, QRectF, tuple[int, ...]] | None = None  # kind, index, start, rect, edges
        self._drawing: QGraphicsRectItem | None = None
        self._draw_start = QPointF()
        view.image_set.connect(self._on_image_set)
        view.label_options_set.connect(self._draw)
        self._viewport = view.viewport()  # kept: compared without asking Qt (events come while a view is destroyed)
        view.installEventFilter(self)
        self._viewport.installEventFilter(self)

    # ----- what is drawn -------------------------------------------------------------------------------------
    def set_enabled(self, on: bool) -> None:
        self.enabled = on
        if not on:
            self.set_draw_mode(False)
            self.set_labels(None)

    def set_labels(self, labels: Detections | None, selected: set[int] | None = None) -> None:
        """The labels to draw (None: no labels layer, e.g. a photo not under review)."""
        self._labels = labels
        count = len(labels) if labels is not None else 0
        self.selected = {i for i in (self.selected if selected is None else selected) if i < count}
        self._draw()

    @property
    def labels(self) -> Detections | None:
        return self._labels

    def items(self) -> list[LabelBox]:
        return list(self._items)

    def set_selected(self, indices: set[int]) -> None:
        self.selected = set(indices)
        self._restyle()

    def set_draw_mode(self, on: bool) -> None:
        if on == self.draw_mode:
            return
        self.draw_mode = on
        self._cancel_drawing()
        self.view.setDragMode(self.view.DragMode.NoDrag if on else self.view.DragMode.ScrollHandDrag)
        self.view.viewport().setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.OpenHandCursor)
        self.draw_mode_changed.emit(on)

    def _on_image_set(self) -> None:
        self._items, self._handles, self._drawing, self._drag = [], [], None, None  # deleted with the scene
        self._draw()

    def _draw(self) -> None:
        scene = self.view.scene()
        for item in self._items:
            scene.removeItem(item)
        self._items, self._handles = [], []
        if self._labels is None or not self.view.has_image:
            return
        for index, row in enumerate(self._labels):
            item = LabelBox(index, row.class_id, row.label, row.box, self.view.show_labels)  # View ▸ Show Labels
            item.set_box(item.rect())
            scene.addItem(item)
            self._items.append(item)
        self._restyle()

    def _restyle(self) -> None:
        for handle in self._handles:
            self.view.scene().removeItem(handle)
        self._handles = []
        for item in self._items:
            item.set_selected(item.index in self.selected)
        if len(self.selected) == 1 and next(iter(self.selected)) < len(self._items):
            item = self._items[next(iter(self.selected))]
            self._handles = [Handle(item) for _ in HANDLES]
            self._place_handles(item)

    def _place_handles(self, item: LabelBox) -> None:
        for handle, point in zip(self._handles, _handle_points(item.rect())):
            handle.setPos(point)

    # ----- mouse ---------------------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.enabled or not self.view.has_image:
            return False
        kind = event.type()
        if watched is self._viewport:
            if kind == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent):
                return self._press(event)
            if kind == QEvent.Type.MouseMove and isinstance(event, QMouseEvent):
                return self._move(event)
            if kind == QEvent.Type.MouseButtonRelease and isinstance(event, QMouseEvent):
                return self._release(event)
            if kind == QEvent.Type.MouseButtonDblClick and isinstance(event, QMouseEvent):
                return self._double_click(event)
        elif watched is self.view:
            escape = isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Escape
            if kind == QEvent.Type.ShortcutOverride and escape and (self.draw_mode or self.selected):
                event.accept()  # Esc leaves drawing (or drops the selection) before it cancels a batch
                return True
            if kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
                return self._key(event)
        return False

    def _press(self, event: QMouseEvent) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        point = event.position()
        scene_point = self._clamped(self.view.mapToScene(point.toPoint()))
        if self.draw_mode:
            self._draw_start = scene_point
            self._drawing = self.view.scene().addRect(QRectF(scene_point, scene_point), _drawing_pen())
            self._drawing.setZValue(6)
            return True
        handle = self._handle_at(point)
        if handle is not None:
            index = next(iter(self.selected))
            self._drag = ("resize", index, scene_point, self._items[index].rect(), HANDLES[handle])
            return True
        hit = self._label_at(point)
        if hit is None:
            if self.selected:
                self.set_selected(set())
                self.selection_changed.emit(set())
            return False  # the view's: a detection's click, or a pan
        if hit not in self.selected or len(self.selected) != 1:
            self.set_selected({hit})
            self.selection_changed.emit({hit})
        self._drag = ("move", hit, scene_point, self._items[hit].rect(), ())
        return True

    def _move(self, event: QMouseEvent) -> bool:
        scene_point = self.view.mapToScene(event.position().toPoint())
        if self._drawing is not None:
            self._drawing.setRect(QRectF(self._draw_start, self._clamped(scene_point)).normalized())
            return True
        if self._drag is None:
            return False
        kind, index, start, rect, edges = self._drag
        delta = scene_point - start
        moved = self._moved(rect, delta) if kind == "move" else self._resized(rect, scene_point, edges)
        item = self._items[index]
        item.set_box(moved)
        self._place_handles(item)
        return True

    def _release(self, event: QMouseEvent) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        self._move(event)  # the release point is the drag's last
        if self._drawing is not None:
            rect = self._drawing.rect()
            self._cancel_drawing()
            on_screen = self.view.mapFromScene(rect).boundingRect()
            if min(on_screen.width(), on_screen.height()) >= MIN_DRAWN_PX:
                self.drawn.emit(_box(rect))
            return True
        if self._drag is None:
            return False
        _kind, index, _start, before, _edges = self._drag
        self._drag = None
        after = self._items[index].rect()
        if after != before:
            self.changed.emit(index, _box(after))
        return True

    def _double_click(self, event: QMouseEvent) -> bool:
        on_label = self._label_at(event.position()) is not None
        if event.button() != Qt.MouseButton.LeftButton or self.draw_mode or on_label:
            return self.draw_mode
        under = [b for b in self.view.boxes() if b.isVisible() and b.contains(self._scene(event.position()))]
        if not under:
            return False
        smallest = min(under, key=lambda b: b.rect().width() * b.rect().height())
        self.proposal_activated.emit(smallest.index)
        return True

    # ----- keys ----------------------------------------------------------------------------------------------
    def _key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key == Qt.Key.Key_Escape:
            if self.draw_mode:
                self.set_draw_mode(False)
            elif self.selected:
                self.set_selected(set())
                self.selection_changed.emit(set())
            return True
        if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and self._items:
            step = -1 if key == Qt.Key.Key_Backtab else 1
            current = min(self.selected) if self.selected else (-1 if step > 0 else 0)
            chosen = {(current + step) % len(self._items)}
            self.set_selected(chosen)
            self.selection_changed.emit(chosen)
            return True
        if key in NUDGE_KEYS and self.selected:
            dx, dy = NUDGE_KEYS[Qt.Key(key)]
            step = 10 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1
            self.nudged.emit(dx * step, dy * step)
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.accept_pressed.emit()
            return True
        return False

    # ----- geometry ------------------------------------------------------------------------------------------
    def _scene(self, point: QPointF) -> QPointF:
        return self.view.mapToScene(point.toPoint())

    def _photo(self) -> QRectF:
        return self.view.scene().sceneRect()

    def _clamped(self, point: QPointF) -> QPointF:
        photo = self._photo()
        return QPointF(min(max(point.x(), 0.0), photo.width()), min(max(point.y(), 0.0), photo.height()))

    def _snap_px(self) -> float:
        return SNAP_PX / max(self.view.zoom, 1e-6)  # screen pixels → photo pixels

    def _moved(self, rect: QRectF, delta: QPointF) -> QRectF:
        """``rect`` moved by ``delta``, kept inside the photo, snapping to its border."""
        photo, snap = self._photo(), self._snap_px()
        x = min(max(rect.x() + delta.x(), 0.0), photo.width() - rect.width())
        y = min(max(rect.y() + delta.y(), 0.0), photo.height() - rect.height())
        x = 0.0 if x < snap else photo.width() - rect.width() if x + rect.width() > photo.width() - snap else x
        y = 0.0 if y < snap else photo.height() - rect.height() if y + rect.height() > photo.height() - snap else y
        return QRectF(x, y, rect.width(), rect.height())

    def _resized(self, rect: QRectF, point: QPointF, edges: tuple[int, ...]) -> QRectF:
        """``rect`` with the handle's edges at ``point``, inside the photo, snapping to its border."""
        photo, snap = self._photo(), self._snap_px()
        x = _snapped(min(max(point.x(), 0.0), photo.width()), photo.width(), snap)
        y = _snapped(min(max(point.y(), 0.0), photo.height()), photo.height(), snap)
        left, top, right, bottom = rect.left(), rect.top(), rect.right(), rect.bottom()
        moves_left, moves_top, moves_right, moves_bottom = edges
        left, right = (x if moves_left else left), (x if moves_right else right)
        top, bottom = (y if moves_top else top), (y if moves_bottom else bottom)
        return QRectF(QPointF(min(left, right), min(top, bottom)), QPointF(max(left, right), max(top, bottom)))

    def _handle_at(self, point: QPointF) -> int | None:
        if len(self.selected) != 1 or next(iter(self.selected)) >= len(self._items):
            return None
        rect = self._items[next(iter(self.selected))].rect()
        for number, corner in enumerate(_handle_points(rect)):
            on_screen = self.view.mapFromScene(corner)
            if abs(on_screen.x() - point.x()) <= GRAB_PX and abs(on_screen.y() - point.y()) <= GRAB_PX:
                return number
        return None

    def _label_at(self, point: QPointF) -> int | None:
        """The smallest label under the point (a box inside another can still be taken)."""
        scene_point = self._scene(point)
        hits = [item for item in self._items if item.rect().contains(scene_point)]
        return min(hits, key=lambda i: i.rect().width() * i.rect().height()).index if hits else None

    def _cancel_drawing(self) -> None:
        if self._drawing is not None:
            self.view.scene().removeItem(self._drawing)
            self._drawing = None


def _handle_points(rect: QRectF) -> list[QPointF]:
    cx, cy = rect.center().x(), rect.center().y()
    left, top, right, bottom = rect.left(), rect.top(), rect.right(), rect.bottom()
    return [
        QPointF(left, top),
        QPointF(cx, top),
        QPointF(right, top),
        QPointF(right, cy),
        QPointF(right, bottom),
        QPointF(cx, bottom),
        QPointF(left, bottom),
        QPointF(left, cy),
    ]


def _snapped(value: float, limit: float, snap: float) -> float:
    return 0.0 if value < snap else limit if value > limit - snap else value


def _box(rect: QRectF) -> Box:
    return (rect.left(), rect.top(), rect.right(), rect.bottom())


def _drawing_pen() -> QPen:
    pen = QPen(QColor(255, 255, 255), 1.5, Qt.PenStyle.DashLine)
    pen.setCosmetic(True)
    return pen
