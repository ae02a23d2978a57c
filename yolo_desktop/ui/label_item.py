"""A tag (class and score, a line's or a zone's counts) drawn over the picture that stays the same size on screen
whatever the zoom: the viewer's boxes, counting lines and zones share it."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from ..imaging.palette import class_color, text_color_on


def qcolor(class_id: int, alpha: int = 255) -> QColor:
    r, g, b = class_color(class_id)
    return QColor(r, g, b, alpha)


class LabelItem(QGraphicsItem):
    """A class/score tag that stays the same size on screen whatever the zoom."""

    def __init__(
        self, text: str, class_id: int, parent: QGraphicsItem | None, background: QColor | None = None
    ) -> None:
        super().__init__(parent)
        self.text = text
        self.background = background or qcolor(class_id)
        r, g, b = text_color_on((self.background.red(), self.background.green(), self.background.blue()))
        self.foreground = QColor(r, g, b)
        self.font = QFont()
        self.font.setPointSizeF(max(8.0, self.font.pointSizeF() * 0.9))
        metrics = QFontMetricsF(self.font)
        self._rect = QRectF(0, -metrics.height() - 4, metrics.horizontalAdvance(text) + 8, metrics.height() + 4)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.background)
        painter.drawRoundedRect(self._rect, 2, 2)
        painter.setPen(self.foreground)
        painter.setFont(self.font)
        painter.drawText(
            self._rect.adjusted(4, 2, -4, -2), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.text
        )
