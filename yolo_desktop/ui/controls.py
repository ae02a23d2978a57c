"""Threshold sliders with spin boxes, and the class filter (checkable list with search)."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ..settings import CANDIDATE_FLOOR

SLIDER_SCALE = 1000  # slider units per 1.0: a resolution of 0.001, page steps of 0.05


class ValueSlider(QWidget):
    """A slider and a spin box showing the same value in [minimum, maximum]."""

    value_changed = Signal(float)

    def __init__(self, minimum: float, maximum: float, value: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.minimum, self.maximum = minimum, maximum
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(round(minimum * SLIDER_SCALE), round(maximum * SLIDER_SCALE))
        self.slider.setPageStep(SLIDER_SCALE // 20)
        self.spin = QDoubleSpinBox()
        self.spin.setRange(minimum, maximum)
        self.spin.setDecimals(3)
        self.spin.setSingleStep(0.01)
        self.spin.setKeyboardTracking(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self._value = -1.0
        self.slider.valueChanged.connect(lambda step: self.set_value(self._from_step(step)))
        self.spin.valueChanged.connect(self.set_value)
        self.set_value(value)

    def _to_step(self, value: float) -> int:
        return round(value * SLIDER_SCALE)

    def _from_step(self, step: int) -> float:
        return step / SLIDER_SCALE

    def value(self) -> float:
        return self._value

    def set_value(self, value: float) -> None:
        value = min(max(float(value), self.minimum), self.maximum)
        if abs(value - self._value) < 1e-9:
            return
        self._value = value
        for widget, update in (
            (self.slider, lambda: self.slider.setValue(self._to_step(value))),
            (self.spin, lambda: self.spin.setValue(value)),
        ):
            widget.blockSignals(True)
            update()
            widget.blockSignals(False)
        self.value_changed.emit(value)


class ThresholdPanel(QWidget):
    changed = Signal(float, float)  # confidence, NMS IoU

    def __init__(self, conf: float, iou: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.conf = ValueSlider(CANDIDATE_FLOOR, 1.0, conf)
        self.iou = ValueSlider(0.01, 1.0, iou)
        self.conf.setToolTip("Minimum score (objectness × class probability) a box needs to be shown")
        self.iou.setToolTip("Boxes of the same class overlapping more than this are merged into the best one")
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Confidence", self.conf)
        form.addRow("NMS IoU", self.iou)
        self.conf.value_changed.connect(lambda _: self.changed.emit(self.conf.value(), self.iou.value()))
        self.iou.value_changed.connect(lambda _: self.changed.emit(self.conf.value(), self.iou.value()))


class ClassFilter(QWidget):
    """Every class of the model, checkable; None from ``selected()`` means all classes."""

    changed = Signal(object)  # frozenset[str] | None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search classes…")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.list.setUniformItemSizes(True)
        all_button, none_button = QPushButton("All"), QPushButton("None")
        buttons = QHBoxLayout()
        buttons.addWidget(all_button)
        buttons.addWidget(none_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.search.textChanged.connect(self._filter)
        self.list.itemChanged.connect(lambda _item: self.changed.emit(self.selected()))
        all_button.clicked.connect(lambda: self._check_visible(True))
        none_button.clicked.connect(lambda: self._check_visible(False))

    def set_classes(self, names: Iterable[str], selected: Iterable[str] | None) -> None:
        chosen = None if selected is None else set(selected)
        self.list.blockSignals(True)
        self.list.clear()
        for name in names:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if chosen is None or name in chosen else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        self.list.blockSignals(False)
        self._filter(self.search.text())

    def selected(self) -> frozenset[str] | None:
        items = [self.list.item(i) for i in range(self.list.count())]
        checked = frozenset(i.text() for i in items if i.checkState() == Qt.CheckState.Checked)
        return None if len(checked) == len(items) else checked

    def _filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setHidden(bool(needle) and needle not in item.text().casefold())

    def _check_visible(self, checked: bool) -> None:
        self.list.blockSignals(True)
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        for i in range(self.list.count()):
            if not self.list.item(i).isHidden():
                self.list.item(i).setCheckState(state)
        self.list.blockSignals(False)
        self.changed.emit(self.selected())
