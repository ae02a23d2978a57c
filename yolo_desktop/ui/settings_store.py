"""Persisted window and detector settings (QSettings), typed, with safe fallbacks for damaged values."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from ..inference.model_spec import DetectorChoice, ModelFiles
from ..models.catalog import DEFAULT_MODEL
from ..settings import DEFAULTS, INPUT_SIZES, PRECISIONS, RESIZES, DetectorSettings, SettingsError, normalize_tiles

ORGANIZATION = "yolo-desktop"
APPLICATION = "YOLO Desktop"


class SettingsStore:
    def __init__(self, path: str | None = None) -> None:
        # A path gives an isolated INI file (tests, portable use); otherwise the platform's usual place.
        self.q = QSettings(path, QSettings.Format.IniFormat) if path else QSettings(ORGANIZATION, APPLICATION)

    def _get(self, key: str, default: Any, kind: type) -> Any:
        value = self.q.value(key, default)
        try:
            if kind is bool:
                return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
            return kind(value)
        except (TypeError, ValueError):
            return default

    def set(self, key: str, value: Any) -> None:
        self.q.setValue(key, value)

    def sync(self) -> None:
        self.q.sync()

    # window ------------------------------------------------------------------------------------------------------
    def state(self, key: str) -> QByteArray | None:
        value = self.q.value(key)
        return value if isinstance(value, QByteArray) else None

    def text(self, key: str, default: str = "") -> str:
        return self._get(key, default, str)

    def flag(self, key: str, default: bool) -> bool:
        return self._get(key, default, bool)

    # detector ----------------------------------------------------------------------------------------------------
    def model_name(self) -> str:
        return self.text("model/name", DEFAULT_MODEL)

    def detector_settings(self) -> DetectorSettings:
        """The last model's size, precision, resize and tiles, and the thresholds and classes; a damaged value
        falls back to its default (thresholds and classes together)."""
        network = DetectorSettings(
            size=self._input_size(),
            precision=self._one_of("detector/precision", PRECISIONS, DEFAULTS.precision),
            resize=self._one_of("detector/resize", RESIZES, DEFAULTS.resize),
            tiles=self._tiles(),
        )
        try:
            classes = json.loads(self.text("detector/classes", "null"))
            return replace(
                network,
                conf=self._get("detector/conf", DEFAULTS.conf, float),
                iou=self._get("detector/iou", DEFAULTS.iou, float),
                classes=frozenset(classes) if isinstance(classes, list) else None,
            )
        except (SettingsError, ValueError):
            return network

    def save_detector_settings(self, settings: DetectorSettings) -> None:
        self.set("detector/size", settings.size)
        self.set("detector/precision", settings.precision)
        self.set("detector/resize", settings.resize)
        self.set("detector/tiles", settings.tiles)
        self.set("detector/conf", settings.conf)
        self.set("detector/iou", settings.iou)
        self.set("detector/classes", json.dumps(sorted(settings.classes) if settings.classes is not None else None))

    def save_model_choice(self, choice: DetectorChoice) -> None:
        """The model loaded, and how: the window starts with it next time."""
        self.set("model/name", choice.model.name)
        self.save_detector_settings(choice.settings)

    def _tiles(self) -> str:
        try:
            return normalize_tiles(self.text("detector/tiles", DEFAULTS.tiles))
        except SettingsError:
            return DEFAULTS.tiles

    def _input_size(self) -> int | None:
        size = self._get("detector/size", 0, int)
        return size if size in INPUT_SIZES else None

    def _one_of(self, key: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.text(key, default)
        return value if value in allowed else default

    # models ------------------------------------------------------------------------------------------------------
    def custom_models(self) -> list[ModelFiles]:
        try:
            raw = json.loads(self.text("models/custom", "[]"))
            return [ModelFiles(m["name"], _path(m["cfg"]), Path(m["weights"]), _path(m["names"])) for m in raw]
        except (ValueError, KeyError, TypeError):
            return []

    def save_custom_models(self, models: list[ModelFiles]) -> None:
        self.set(
            "models/custom",
            json.dumps(
                [
                    {"name": m.name, "cfg": _text(m.cfg), "weights": str(m.weights), "names": _text(m.names)}
                    for m in models
                ]
            ),
        )


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None  # an ONNX model has no cfg, and may have no names file


def _text(path: Path | None) -> str | None:
    return str(path) if path is not None else None
