"""The detector's flags, declared once for every command that takes them, and the one function that turns what a
command was given into a ``DetectorChoice`` (model files, settings, engine, device).

Each command takes the groups it needs (``detect`` every flag; ``evaluate`` no thresholds; ``serve`` and ``worker``
the model and network; ``models add`` the model files) and the defaults it lacks come from ``DetectorSettings``,
so the command line, the window and the service reach the same settings for the same choices.
"""

from __future__ import annotations

import argparse
from collections.abc import Collection, Iterable, Mapping
from dataclasses import fields
from typing import Any

from ..inference.model_spec import DetectorChoice, check_size
from ..models.catalog import DEFAULT_MODEL
from ..models.installed import resolve_model
from ..settings import (
    DEFAULT_ENGINE,
    DEFAULTS,
    DEVICES,
    ENGINES,
    MAX_TILE_OVERLAP,
    PRECISIONS,
    RESIZES,
    DetectorSettings,
    SettingsError,
    normalize_tiles,
)

MODEL_FILES = ("cfg", "weights", "onnx", "names")
MODEL = ("model", *MODEL_FILES)
NETWORK = ("size", "precision", "engine", "device", "resize")
THRESHOLDS = ("conf", "iou", "classes", "max_detections")
TILES = ("tiles", "tile_overlap")
EVERY = MODEL + NETWORK + THRESHOLDS + TILES
_GROUPS = {"model": MODEL, "network": NETWORK, "thresholds": THRESHOLDS, "tiles": TILES}


def csv_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _tiles(text: str) -> str:
    try:
        return normalize_tiles(text)
    except SettingsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# Every detector flag: its option string and argparse's arguments, once.
_FLAGS: dict[str, tuple[str, dict[str, Any]]] = {
    "model": ("--model", {"metavar": "NAME", "help": f"installed model name (default: {DEFAULT_MODEL})"}),
    "cfg": ("--cfg", {"help": "Darknet .cfg file (with --weights and --names)"}),
    "weights": ("--weights", {"help": "Darknet .weights file"}),
    "onnx": (
        "--onnx",
        {
            "metavar": "FILE",
            "help": "an exported detector: Ultralytics YOLOv5/v8/11/26 or YOLOX .onnx (its metadata names the "
            "classes, else give --names)",
        },
    ),
    "names": ("--names", {"help": "class names file, one per line"}),
    "size": ("--size", {"type": int, "help": "network input size, a multiple of 32 (default: the cfg's)"}),
    "precision": (
        "--precision",
        {
            "choices": PRECISIONS,
            "default": DEFAULTS.precision,
            "help": "accurate (default): float32, or bf16 where the processor has it (same boxes); fast: the fastest "
            "engine for this machine, int8 where that is faster",
        },
    ),
    "engine": (
        "--engine",
        {
            "choices": ENGINES,
            "default": DEFAULT_ENGINE,
            "help": "auto (default: chosen for this machine, and said which), openvino, litert, or keras (the float32 "
            "reference)",
        },
    ),
    "device": (
        "--device",
        {
            "type": str.upper,
            "choices": DEVICES,
            "default": None,
            "help": "OpenVINO device: CPU (default), or an Intel GPU/NPU where its plugin is installed "
            "($YOLO_DESKTOP_DEVICE does the same)",
        },
    ),
    "resize": (
        "--resize",
        {
            "choices": RESIZES,
            "default": DEFAULTS.resize,
            "help": f"how photos are shrunk to the network size: area (default {DEFAULTS.resize}) or bilinear (as "
            "Darknet and OpenCV DNN do, to reproduce their output)",
        },
    ),
    "conf": ("--conf", {"type": float, "default": DEFAULTS.conf, "help": f"minimum score (default {DEFAULTS.conf})"}),
    "iou": ("--iou", {"type": float, "default": DEFAULTS.iou, "help": f"NMS IoU threshold (default {DEFAULTS.iou})"}),
    "classes": ("--classes", {"type": csv_list, "metavar": "A,B", "help": "only these class labels, e.g. person,car"}),
    "max_detections": (
        "--max-detections",
        {
            "type": int,
            "default": DEFAULTS.max_detections,
            "help": f"per image (default {DEFAULTS.max_detections})",
        },
    ),
    "tiles": (
        "--tiles",
        {
            "type": _tiles,
            "default": DEFAULTS.tiles,
            "metavar": "off|auto|SIZE",
            "help": "small objects in large photos: cut each photo into overlapping tiles of SIZE photo pixels (e.g. "
            "416), each detected at the network size, plus one run on the whole photo; auto tiles only photos more "
            "than 3× the network size (tiles of 1.5× it, at most 36). Costs one network run per tile (a 1920×1440 "
            "photo at 416: 13 runs with auto, 31 with 416) (default off)",
        },
    ),
    "tile_overlap": (
        "--tile-overlap",
        {
            "type": float,
            "default": DEFAULTS.tile_overlap,
            "metavar": "F",
            "help": f"fraction of a tile shared with its neighbour, 0–{MAX_TILE_OVERLAP} (default "
            f"{DEFAULTS.tile_overlap})",
        },
    ),
}


def add_detector_arguments(
    parser: argparse.ArgumentParser,
    flags: Iterable[str] = EVERY,
    *,
    hidden: Collection[str] = (),
    changes: Mapping[str, Mapping[str, Any]] | None = None,
) -> None:
    """Declare ``flags`` (names from MODEL, NETWORK, THRESHOLDS, TILES) in their groups of ``--help``. ``hidden``:
    accepted but left out of the help; ``changes``: a command's own take on a flag (``models convert`` repeats
    --precision)."""
    wanted = set(flags)
    for title, group_flags in _GROUPS.items():
        mine = [flag for flag in group_flags if flag in wanted]
        if not mine:
            continue
        group = parser.add_argument_group(title)
        for flag in mine:
            option, arguments = _FLAGS[flag]
            arguments = {**arguments, **(changes or {}).get(flag, {})}
            if flag in hidden:
                arguments["help"] = argparse.SUPPRESS
            group.add_argument(option, **arguments)
        wanted -= set(mine)
    if wanted:
        raise ValueError(f"not detector flags: {', '.join(sorted(wanted))}")


_SETTINGS_FIELDS = {field.name for field in fields(DetectorSettings)}


def detector_choice(args: argparse.Namespace) -> DetectorChoice:
    """What a command's detector flags ask for: the model (installed by --model NAME, the default one, or the
    user's own files), its settings (a flag the command does not take stays at its default) and the engine. Raises
    ``SettingsError`` or ``ModelError`` with the message for the user."""
    given = {name: value for name, value in vars(args).items() if value is not None}
    values = {name: given[name] for name in _SETTINGS_FIELDS & given.keys()}
    values["classes"] = frozenset(given["classes"]) if given.get("classes") else None
    settings = DetectorSettings(**values)
    model = resolve_model(
        given.get("model"), given.get("cfg"), given.get("weights"), given.get("names"), given.get("onnx")
    )
    check_size(model, settings.size)
    return DetectorChoice(model, settings, given.get("engine", DEFAULT_ENGINE), given.get("device"))
