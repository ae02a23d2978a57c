"""Request options (form fields or query parameters) → ``DetectOptions``; bad values are the client's error (400)."""

from __future__ import annotations

from collections.abc import Mapping

from ..settings import CANDIDATE_FLOOR, DEFAULTS, PRECISIONS, SettingsError, normalize_tiles
from .backend import DetectOptions

DEEPSTACK_DEFAULT_CONF = 0.40  # DeepStack's own default for min_confidence, which its clients rely on


class OptionError(ValueError):
    pass


def _number(values: Mapping[str, str], key: str, kind: type, default: float | int | None) -> float | int | None:
    raw = values.get(key)
    if raw is None or raw.strip() == "":
        return default
    try:
        return kind(raw.strip())
    except ValueError:
        raise OptionError(f"{key}={raw!r} is not a {'whole ' if kind is int else ''}number") from None


def _classes(values: Mapping[str, str]) -> frozenset[str] | None:
    raw = values.get("classes")
    if raw is None:
        return None
    labels = frozenset(part.strip() for part in raw.split(",") if part.strip())
    return labels or None


def _tiles(values: Mapping[str, str]) -> str:
    try:
        return normalize_tiles((values.get("tiles") or "").strip() or DEFAULTS.tiles)
    except SettingsError as exc:
        raise OptionError(str(exc)) from None


def parse_options(values: Mapping[str, str], model: str | None = None, conf_key: str = "conf") -> DetectOptions:
    """Options of the native and seed routes (the CLI's names and defaults); ``conf_key`` lets the DeepStack
    routes read ``min_confidence`` (default 0.40) instead."""
    precision = values.get("precision") or None
    if precision is not None and precision not in PRECISIONS:
        raise OptionError(f"precision {precision!r} must be one of {', '.join(PRECISIONS)}")
    default_conf = DEEPSTACK_DEFAULT_CONF if conf_key == "min_confidence" else DEFAULTS.conf
    conf = _number(values, conf_key, float, default_conf)
    if conf_key == "min_confidence" and conf is not None:
        conf = max(float(conf), CANDIDATE_FLOOR)  # DeepStack clients send 0 for "everything"
    options = DetectOptions(
        model=model or values.get("model") or None,
        size=_number(values, "size", int, None),  # type: ignore[arg-type]
        precision=precision,
        conf=float(conf),  # type: ignore[arg-type]
        iou=float(_number(values, "iou", float, DEFAULTS.iou)),  # type: ignore[arg-type]
        classes=_classes(values),
        max_detections=int(_number(values, "max_detections", int, DEFAULTS.max_detections)),  # type: ignore[arg-type]
        tiles=_tiles(values),
        tile_overlap=float(_number(values, "tile_overlap", float, DEFAULTS.tile_overlap)),  # type: ignore[arg-type]
    )
    try:
        options.settings()  # validates ranges with the CLI's messages
    except SettingsError as exc:
        raise OptionError(str(exc)) from None
    return options
