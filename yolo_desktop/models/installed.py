"""Where model files live and what is installed: the folders searched, a model folder's files, the user's own
models by path or installed under a name, and what is known of each model's accuracy and speed here.

A model is a folder ``<models dir>/<name>/`` holding ``<name>.cfg``, ``<name>.weights`` and one ``.names`` file,
or ``<name>.onnx`` (and a names file when the export does not name its classes). Folders are searched in order:
the bundle of a frozen app, ``weights/`` of a source checkout, then the user's data folder — or only
``$YOLO_DESKTOP_MODELS`` when it is set. Fetching and installing: ``model_fetch.py``; the known models:
``model_catalog.py``.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from platformdirs import user_data_dir

from ..atomic import write_text
from ..inference.engines.auto_memo import remembered_for
from ..inference.errors import ModelError
from ..inference.model_cache import file_sha256
from ..inference.model_spec import ModelFiles, input_size_of
from ..inference.speed_memo import measured
from ..settings import DEFAULTS
from .catalog import DEFAULT_MODEL, KNOWN_MODELS, KnownModel
from .cfg_fixes import apply_fix, needs_fix

log = logging.getLogger(__name__)

APP_NAME = "yolo-desktop"
SOURCE_ROOT = Path(__file__).resolve().parents[2]  # the checkout holding yolo_desktop/models/this file

__all__ = ["DEFAULT_MODEL", "KNOWN_MODELS", "KnownModel"]  # the catalog, as every front door reads it with these


def _source_checkout() -> bool:
    return (SOURCE_ROOT / "pyproject.toml").is_file() and (SOURCE_ROOT / "yolo_desktop").is_dir()


def user_models_dir() -> Path:
    return Path(user_data_dir(APP_NAME, appauthor=False)) / "models"


def model_dirs() -> list[Path]:
    """Folders searched for models, first match wins. ``$YOLO_DESKTOP_MODELS`` replaces the search (a portable
    or test set-up sees only its own folder)."""
    if os.environ.get("YOLO_DESKTOP_MODELS"):
        return [Path(os.environ["YOLO_DESKTOP_MODELS"])]
    dirs: list[Path] = []
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        dirs.append(Path(sys._MEIPASS) / "weights")
    if _source_checkout():
        dirs.append(SOURCE_ROOT / "weights")
    dirs.append(user_models_dir())
    return dirs


def install_dir() -> Path:
    """Where ``fetch`` writes: the env override, else ``weights/`` of a checkout, else the user data folder."""
    if os.environ.get("YOLO_DESKTOP_MODELS"):
        return Path(os.environ["YOLO_DESKTOP_MODELS"])
    if _source_checkout() and not getattr(sys, "frozen", False):
        return SOURCE_ROOT / "weights"
    return user_models_dir()


def model_in(folder: Path) -> ModelFiles | None:
    """The model stored in ``folder`` (named after the folder): ``<name>.onnx`` (+ a names file if its metadata
    does not name its classes), else ``<name>.cfg`` + ``<name>.weights`` + a names file. None when not a folder."""
    if not folder.is_dir():
        return None
    name = folder.name
    names = sorted(folder.glob("*.names"))
    if (folder / f"{name}.onnx").is_file():
        return ModelFiles(name=name, cfg=None, weights=folder / f"{name}.onnx", names=names[0] if names else None)
    return ModelFiles(
        name=name,
        cfg=folder / f"{name}.cfg",
        weights=folder / f"{name}.weights",
        names=names[0] if names else folder / "classes.names",
    )


def installed_models() -> list[ModelFiles]:
    """Every complete model found, first location winning for a name."""
    found: dict[str, ModelFiles] = {}
    for directory in model_dirs():
        if not directory.is_dir():
            continue
        for folder in sorted(directory.iterdir()):
            if folder.name.startswith(".") or folder.name in found:
                continue
            model = model_in(folder)
            if model is not None and not model.missing():
                correct_known_cfg(model)
                found[folder.name] = model
    return list(found.values())


# (cfg path, its mtime) → whether it lacks its fix: models are listed often (the picker, /v1/models), checked once.
_outdated: dict[tuple[str, int], bool] = {}
_uncorrectable: set[Path] = set()


def outdated_cfg(model: ModelFiles) -> KnownModel | None:
    """The known model whose cfg correction ``model`` still lacks (its weights are that model's official ones)."""
    known = KNOWN_MODELS.get(model.name)
    if known is None or known.cfg_fix is None or model.cfg is None:
        return None
    try:
        key = (str(model.cfg.resolve()), model.cfg.stat().st_mtime_ns)
        if key not in _outdated:
            # The cfg first: reading it is cheap, hashing the weights is not.
            _outdated[key] = (
                needs_fix(model.cfg.read_text(encoding="utf-8"), known.cfg_fix)
                and file_sha256(model.weights) == known.weights_sha256
            )
        return known if _outdated[key] else None
    except (OSError, UnicodeDecodeError):
        return None


def correct_known_cfg(model: ModelFiles) -> bool:
    """Correct an installed known model's cfg in place (e.g. yolov3-tiny fetched before the mask fix). A cfg
    that cannot be written stays as it is and is reported with the command that fixes it. True if corrected."""
    known = outdated_cfg(model)
    if known is None or known.cfg_fix is None or model.cfg is None or model.cfg in _uncorrectable:
        return False
    try:
        write_text(model.cfg, apply_fix(model.cfg.read_text(encoding="utf-8"), known.cfg_fix))
    except (OSError, ValueError) as exc:
        _uncorrectable.add(model.cfg)  # said once; `models list` and the picker keep flagging it
        log.warning(
            "%s: this cfg does not match the official %s weights (wrong [yolo] mask), and it cannot be "
            "corrected here (%s); run 'yolo-desktop models fetch %s --force'",
            model.cfg,
            known.name,
            getattr(exc, "strerror", None) or exc,
            known.name,
        )
        return False
    log.warning(
        "%s: corrected the [yolo] masks to match the official %s weights (see the comment in the file)",
        model.cfg,
        known.name,
    )
    return True


def accuracy_and_speed(model: ModelFiles, size: int, precision: str = DEFAULTS.precision) -> tuple[str, str]:
    """What is known of a model, for choosing accuracy against speed: its measured mAP (known models, on the COCO
    sample; "" for others) and its time per image on this machine (``speed_memo``; "" until it has run here).
    ``size``: the input size in use (an ONNX export has its own)."""
    known = KNOWN_MODELS.get(model.name)
    accuracy = known.measured.split(" (")[0] if known is not None and known.measured else ""
    try:
        size = input_size_of(model, size)
    except ModelError:
        return accuracy, ""
    timed = measured(model.weights, size, precision)
    return accuracy, f"{timed['ms']:.0f} ms/image here" if timed else ""


def auto_choice(model: ModelFiles, size: int, precision: str = DEFAULTS.precision) -> str:
    """Which engine ``auto`` measured fastest for this model here, and by how much ("" until it has measured)."""
    try:
        size = input_size_of(model, size)
    except ModelError:
        return ""
    found = remembered_for(model.weights, model.cfg, size, precision)
    return found.reason if found is not None else ""


def find_model(name: str) -> ModelFiles:
    for model in installed_models():
        if model.name == name:
            return model
    hint = (
        f"run 'yolo-desktop models fetch {name}'"
        if name in KNOWN_MODELS
        else "give --cfg, --weights and --names (or --onnx), or see 'yolo-desktop models list'"
    )
    raise ModelError(f"model '{name}' is not installed; {hint}")


def resolve_model(
    name: str | None, cfg: str | None, weights: str | None, names: str | None, onnx: str | None = None
) -> ModelFiles:
    """An installed model by name (default: the default model), the user's own Darknet files, or an ONNX export
    (with a names file when its metadata does not name the classes): what --model, --cfg/--weights/--names and
    --onnx say (``cli/options.py``)."""
    if onnx:
        if cfg or weights:
            raise ModelError("--onnx is a whole model: give it without --cfg and --weights")
        if name:
            raise ModelError("give either --model or --onnx, not both")
        return ModelFiles(name=Path(onnx).stem, cfg=None, weights=Path(onnx), names=Path(names) if names else None)
    if cfg or weights or names:
        if not (cfg and weights and names):
            raise ModelError("--cfg, --weights and --names go together")
        if name:
            raise ModelError("give either --model or --cfg/--weights/--names, not both")
        return ModelFiles(name=Path(cfg).stem, cfg=Path(cfg), weights=Path(weights), names=Path(names))
    return find_model(name or DEFAULT_MODEL)
