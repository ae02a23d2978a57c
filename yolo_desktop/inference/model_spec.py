"""A model's identity, in one place: its files, its class names, its fingerprint and input size, and the checks
every front door makes before using it (missing files, unknown class names), each worded once.

Plain data and file reads only: no engine, no TensorFlow, no OpenCV — the window, the light service front and the
queue coordinator learn about a model here without loading it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..settings import DEFAULT_TILE_OVERLAP, TILES_OFF
from .darknet_cfg import parse_cfg
from .errors import ModelError
from .model_cache import file_sha256


class NamesError(ModelError):
    pass


class UnknownClasses(ModelError):
    """Class labels asked for (``--classes``, a form field, the window's filter) that the model does not know."""


@dataclass(frozen=True)
class ModelFiles:
    name: str
    cfg: Path
    weights: Path
    names: Path

    @property
    def weights_digest(self) -> Path:
        """``<weights>.sha256``: stands in for the weights in the standalone app, which ships only the converted
        model (the Darknet weights would duplicate it); the digest still identifies which conversion belongs."""
        return self.weights.with_name(self.weights.name + ".sha256")

    def missing(self) -> list[Path]:
        weights_known = self.weights.is_file() or self.weights_digest.is_file()
        return [p for p in (self.cfg, self.names) if not p.is_file()] + ([] if weights_known else [self.weights])


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


def cfg_input_size(model: ModelFiles) -> int:
    """The network input size the cfg asks for (``[net] width``); no engine is built."""
    return parse_cfg(model.cfg).net.width


def input_size_of(model: ModelFiles, size: int | None) -> int:
    """The input size a detector will use: the one asked for, else the cfg's."""
    return size or cfg_input_size(model)


def model_fingerprint(model: ModelFiles) -> dict[str, str]:
    """What identifies a model's detections: its name and the sha256 of its weights, cfg and names files."""
    return {
        "name": model.name,
        "weights_sha256": file_sha256(model.weights),
        "cfg_sha256": file_sha256(model.cfg),
        "names_sha256": file_sha256(model.names),
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
