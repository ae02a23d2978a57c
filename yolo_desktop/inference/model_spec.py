"""A model's identity, in one place: its files and format (a Darknet cfg + weights, or an ONNX export), its class
names, its family, fingerprint and input size, and the checks every front door makes before using it (missing
files, unknown class names), each worded once.

Plain data and file reads only: no engine, no TensorFlow, no OpenCV — the window, the light service front and the
queue coordinator learn about a model here without loading it (an ONNX model's shapes and metadata are read from
its header: onnx_meta.py).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..settings import DEFAULT_ENGINE, DEFAULT_TILE_OVERLAP, DEFAULTS, TILES_OFF, DetectorSettings
from .darknet_cfg import DarknetConfig, parse_cfg
from .errors import ModelError
from .model_cache import file_sha256
from .onnx_layouts import OnnxLayout, identify
from .onnx_meta import read_header


class NamesError(ModelError):
    pass


class UnknownClasses(ModelError):
    """Class labels asked for (``--classes``, a form field, the window's filter) that the model does not know."""


@dataclass(frozen=True)
class ModelFiles:
    """A Darknet model (cfg, weights, names) or an ONNX export (the .onnx as ``weights``, no cfg, and a names file
    only when the model's metadata does not name its classes)."""

    name: str
    cfg: Path | None
    weights: Path
    names: Path | None

    @property
    def format(self) -> str:
        return "onnx" if self.cfg is None else "darknet"

    @property
    def darknet_cfg(self) -> Path:
        """The cfg of a Darknet model (``ModelError`` for an ONNX model, which has none)."""
        if self.cfg is None:
            raise ModelError(f"model '{self.name}' is an ONNX model: it has no Darknet cfg")
        return self.cfg

    @property
    def weights_digest(self) -> Path:
        """``<weights>.sha256``: stands in for the weights in the standalone app, which ships only the converted
        model (the Darknet weights would duplicate it); the digest still identifies which conversion belongs."""
        return self.weights.with_name(self.weights.name + ".sha256")

    def missing(self) -> list[Path]:
        weights_known = self.weights.is_file() or self.weights_digest.is_file()
        given = [p for p in (self.cfg, self.names) if p is not None]
        return [p for p in given if not p.is_file()] + ([] if weights_known else [self.weights])


@dataclass(frozen=True)
class DarknetModel:
    """A Darknet model as engines take it: its files and its cfg, parsed once by whoever builds the engine."""

    files: ModelFiles
    cfg: DarknetConfig

    @classmethod
    def read(cls, files: ModelFiles) -> DarknetModel:
        return cls(files, parse_cfg(files.darknet_cfg))

    @property
    def name(self) -> str:
        return self.files.name

    @property
    def cfg_path(self) -> Path:
        return self.files.darknet_cfg

    @property
    def weights(self) -> Path:
        return self.files.weights


@dataclass(frozen=True)
class DetectorChoice:
    """Which model and how it runs: what a command's flags (``cli/options.py``), the window's picker and a service's
    configuration each come to, so identical choices give identical settings in every front door."""

    model: ModelFiles
    settings: DetectorSettings = DEFAULTS
    engine: str = DEFAULT_ENGINE  # settings.ENGINES
    device: str | None = None  # OpenVINO device; None → $YOLO_DESKTOP_DEVICE or CPU


def check_files(model: ModelFiles, why: str = "") -> None:
    """Raise ``ModelError`` naming every missing file; ``why`` adds the caller's context to the message."""
    missing = model.missing()
    if missing:
        raise ModelError(f"model '{model.name}': missing file(s): {', '.join(str(p) for p in missing)}{why}")


def read_names(path: str | os.PathLike[str], classes: int | None = None, cfg_path: str = "") -> list[str]:
    """One class label per non-empty line; the count must equal the cfg's ``classes``."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NamesError(f"{path}: not a UTF-8 text file; a names file has one class label per line") from None
    except OSError as exc:
        raise NamesError(f"{path}: cannot read: {exc.strerror or exc}") from None
    names = [line.strip() for line in text.splitlines() if line.strip()]
    if classes is not None and len(names) != classes:
        cfg = os.path.basename(cfg_path) or "the cfg"
        raise NamesError(
            f"{path}: has {len(names)} class names but {cfg} has classes={classes}; "
            f"the names file must list exactly one label per class"
        )
    return names


def check_classes(requested: Iterable[str] | None, names: Sequence[str], model_name: str) -> None:
    """Raise ``UnknownClasses`` when a requested label is not one of the model's (a typo must not silently match
    nothing)."""
    if requested is None:
        return
    known = set(names)
    unknown = sorted(c for c in requested if c not in known)
    if unknown:
        raise UnknownClasses(f"unknown class name(s) {', '.join(unknown)} for model '{model_name}'")


@functools.lru_cache(maxsize=32)
def _onnx_layout(path: str, mtime_ns: int) -> OnnxLayout:
    return identify(read_header(path), path)


def onnx_layout(model: ModelFiles) -> OnnxLayout:
    """An ONNX model's layout, input size and metadata names (read once per file version); ``ModelError`` when it
    is not a detector this app knows, with the shapes it has and the ones expected."""
    try:
        mtime = model.weights.stat().st_mtime_ns
    except OSError as exc:
        raise ModelError(f"{model.weights}: cannot read: {exc.strerror or exc}") from None
    return _onnx_layout(str(model.weights), mtime)


def family(model: ModelFiles) -> str:
    """What kind of model it is, for lists and headers: "darknet" or the ONNX exporter's ("ultralytics", "yolov5",
    "yolox", "ultralytics-e2e")."""
    return onnx_layout(model).family if model.cfg is None else "darknet"


def class_names(model: ModelFiles) -> tuple[str, ...]:
    """The model's class labels: its names file (checked against the cfg's ``classes`` or the ONNX output), else
    the ONNX metadata's; ``ModelError`` when neither names them."""
    if model.cfg is not None:
        cfg = parse_cfg(model.cfg)
        if model.names is None:
            raise ModelError(f"model '{model.name}': a Darknet model needs a names file (one class label per line)")
        return tuple(read_names(model.names, cfg.classes, str(model.cfg)))
    layout = onnx_layout(model)
    if model.names is not None:
        classes = layout.classes or None  # an end-to-end output does not say how many classes there are
        return tuple(read_names(model.names, classes, str(model.weights)))
    if layout.names is None:
        raise ModelError(
            f"{model.weights}: the model does not name its classes (no 'names' metadata, as Ultralytics writes): "
            f"give a names file with one label per line (--names FILE)"
        )
    return layout.names


def cfg_input_size(model: ModelFiles) -> int:
    """The network input size the model asks for (Darknet ``[net] width``, an ONNX export's input width); no
    engine is built."""
    if model.cfg is None:
        return onnx_layout(model).width
    return parse_cfg(model.cfg).net.width


def input_size_of(model: ModelFiles, size: int | None) -> int:
    """The input size a detector will use: the one asked for (Darknet only: an ONNX export runs at its own), else
    the model's."""
    if model.cfg is None:
        return cfg_input_size(model)
    return size or cfg_input_size(model)


def check_size(model: ModelFiles, size: int | None) -> None:
    """An ONNX export runs at the input size it was exported for (its boxes are decoded for that grid)."""
    if size is not None and model.cfg is None and size != cfg_input_size(model):
        own = cfg_input_size(model)
        raise ModelError(
            f"model '{model.name}' is an ONNX export for {own}×{own} inputs and runs only at that size (asked: "
            f"{size}); export it again with imgsz={size} for another size"
        )


def model_fingerprint(model: ModelFiles) -> dict[str, str]:
    """What identifies a model's detections: its name and the sha256 of its weights (or .onnx), cfg and names files
    (an ONNX model without them: ``-``)."""
    return {
        "name": model.name,
        "weights_sha256": file_sha256(model.weights),
        "cfg_sha256": file_sha256(model.cfg) if model.cfg is not None else "-",
        "names_sha256": file_sha256(model.names) if model.names is not None else "-",
    }


@dataclass(frozen=True)
class ModelInfo:
    """A loaded model as front ends show and record it: which model, at which size and precision, on what."""

    name: str
    input_size: int
    names: tuple[str, ...]
    precision: str
    resize: str
    engine: str  # e.g. "openvino"
    engine_description: str = ""  # what runs and why, e.g. "openvino bf16 (CPU); auto: …" (status bars, headers)
    seconds: float = 0.0  # how long loading took
    files: ModelFiles | None = field(default=None, compare=False)  # where it was loaded from (headers name them)
    tiles: str = TILES_OFF  # tiled detection as it runs (DetectorSettings.tiles, tile_overlap)
    tile_overlap: float = DEFAULT_TILE_OVERLAP

    @property
    def identity(self) -> tuple[str, int, str, str, str, float]:
        """What changes the detections themselves (a change re-runs every finished image)."""
        return (self.name, self.input_size, self.precision, self.resize, self.tiles, self.tile_overlap)

    def for_run(self, settings: DetectorSettings) -> ModelInfo:
        """This model as a run with ``settings`` used it: how its photos were shrunk and cut (one engine serves
        every resize and tiling)."""
        return replace(self, resize=settings.resize, tiles=settings.tiles, tile_overlap=settings.tile_overlap)
