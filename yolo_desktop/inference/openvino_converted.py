"""The OpenVINO int8 model (``.xml`` + ``.bin``): quantised by NNCF from the converted float32 ``.tflite``,
calibrated on photos, cached beside the LiteRT files. It is only made when photos are given (``yolo-desktop models
convert --precision fast --calibration DIR``, or ``$YOLO_DESKTOP_CALIBRATION``); the standalone app ships it for its
default model."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ..atomic import write_bytes
from .converted import ensure_converted
from .darknet_cfg import DarknetConfig
from .errors import ModelError
from .model_cache import converted_target, find_converted, making, model_key

CALIBRATION_ENV = "YOLO_DESKTOP_CALIBRATION"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}
Calibration = str | os.PathLike | Sequence[os.PathLike] | None  # a folder of photos, or the photos
OPENVINO_INT8 = "fast-openvino"  # the cache's precision tag of the OpenVINO int8 model
# The accurate model as OpenVINO IR with its weights stored in float16: half the .tflite's size, for the
# standalone app only (the pip installation runs the float32 .tflite). Its accuracy against the float32 weights is
# measured on the COCO sample: docs/accuracy.md, "The standalone app's float16 weights".
OPENVINO_F16 = "accurate-f16"  # also recognised by name in engines/openvino_engine.py (f16_weights)
# The accurate model as OpenVINO IR with float32 weights: what OpenVINO runs in a pip installation (the same graph
# as the .tflite, which OpenVINO reads far faster as IR than through its TFLite reader).
OPENVINO_F32 = "accurate-openvino"


def find_openvino_int8(model_name: str, cfg_path: Path, weights_path: Path) -> Path | None:
    """The cached OpenVINO int8 model (its .xml; the .bin beside it), or None."""
    found = find_converted(model_name, model_key(cfg_path, weights_path, OPENVINO_INT8), OPENVINO_INT8, ".xml")
    return found if found is not None and found.with_suffix(".bin").is_file() else None


def calibration_photos(calibration: Calibration = None) -> list[Path]:
    """The photos of a folder (recursively, sorted), or the given list; $YOLO_DESKTOP_CALIBRATION by default."""
    chosen = calibration or os.environ.get(CALIBRATION_ENV)
    if not chosen:
        return []
    if isinstance(chosen, (str, os.PathLike)):
        return sorted(p for p in Path(chosen).rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES)
    return [Path(p) for p in chosen]


def ensure_openvino_int8(
    model_name: str,
    cfg: DarknetConfig,
    cfg_path: Path,
    weights_path: Path,
    log: Callable[[str], None] | None = None,
    calibration: Calibration = None,
    size: int = 416,
) -> Path:
    """Path of the OpenVINO int8 model, quantising it on a cache miss when calibration photos are given
    (``calibration`` or $YOLO_DESKTOP_CALIBRATION: a folder of photos like the ones the model will see)."""
    found = find_openvino_int8(model_name, cfg_path, weights_path)
    if found is not None:
        return found
    photos = calibration_photos(calibration)
    if not photos:
        raise ModelError(
            f"{model_name} has no OpenVINO int8 model yet: quantising needs calibration photos. Make it once with "
            f"yolo-desktop models convert {model_name} --precision fast --calibration <folder of photos> (a few "
            f"hundred photos like yours), or use --engine litert for the int8 model that needs none."
        )
    try:
        from .openvino_int8 import OV_FAST_RECIPE, calibration_batches, quantize
    except ImportError as exc:
        raise ModelError(f"quantising for OpenVINO needs the nncf package ({exc.name} is missing)") from None
    tflite = ensure_converted(model_name, cfg, cfg_path, weights_path, "accurate", log)
    target = converted_target(model_name, model_key(cfg_path, weights_path, OPENVINO_INT8), OPENVINO_INT8, ".xml")
    with making(target):
        found = find_openvino_int8(model_name, cfg_path, weights_path)  # made by another process meanwhile
        if found is not None:
            return found
        batches = calibration_batches(photos, size, OV_FAST_RECIPE.calibration_images)
        if log:
            log(f"Quantising {model_name} to int8 for OpenVINO on {len(batches)} photos…")
        start = time.perf_counter()
        model = quantize(str(tflite), batches, OV_FAST_RECIPE)
        save_openvino(model, target)
    if log:
        log(f"Quantised in {time.perf_counter() - start:.1f} s: {target}")
    return target


def save_openvino(model, target: Path, compress_to_fp16: bool = False) -> None:
    """Write ``target`` (.xml) and its .bin atomically: the .bin first, so an .xml never points at a missing or
    partial .bin. ``compress_to_fp16`` stores float weights in float16 (off by default: the int8 model's float
    layers are float for accuracy)."""
    import openvino

    with tempfile.TemporaryDirectory(prefix="yolo-desktop-ov-") as folder:
        staged = Path(folder) / "model.xml"
        openvino.save_model(model, staged, compress_to_fp16=compress_to_fp16)
        write_bytes(target.with_suffix(".bin"), staged.with_suffix(".bin").read_bytes())
        write_bytes(target, staged.read_bytes())


def find_openvino_ir(model_name: str, cfg_path: Path, weights_path: Path, tag: str) -> Path | None:
    """A cached accurate model as OpenVINO IR (its .xml; the .bin beside it): ``OPENVINO_F32`` or ``OPENVINO_F16``."""
    found = find_converted(model_name, model_key(cfg_path, weights_path, tag), tag, ".xml")
    return found if found is not None and found.with_suffix(".bin").is_file() else None


def find_openvino_f16(model_name: str, cfg_path: Path, weights_path: Path) -> Path | None:
    """The compact accurate model (.xml, float16 weights; the standalone app ships it instead of the .tflite)."""
    return find_openvino_ir(model_name, cfg_path, weights_path, OPENVINO_F16)


def ensure_openvino_ir(
    model_name: str,
    cfg: DarknetConfig,
    cfg_path: Path,
    weights_path: Path,
    log: Callable[[str], None] | None = None,
    tag: str = OPENVINO_F32,
    cancel: threading.Event | None = None,
) -> Path:
    """Path of the accurate model as OpenVINO IR, made once from the float32 .tflite on a cache miss (OpenVINO's
    TFLite reader takes ~0.4 s at every start; the IR reads in ~10 ms). ``tag``: ``OPENVINO_F32`` (float32
    weights, what a pip installation runs) or ``OPENVINO_F16`` (float16 weights, the standalone app's)."""
    found = find_openvino_ir(model_name, cfg_path, weights_path, tag)
    if found is not None:
        return found
    from .engines.openvino_engine import core, name_outputs

    tflite = ensure_converted(model_name, cfg, cfg_path, weights_path, "accurate", log, cancel)
    try:
        model = core().read_model(str(tflite))
    except RuntimeError as exc:  # the standalone app has no TFLite reader: a pip installation writes the IR
        raise ModelError(
            f"{model_name}: its OpenVINO model is not made yet ({exc.__class__.__name__}); run 'yolo-desktop models "
            f"convert {model_name}' once from a pip installation (it writes the model this app reads)"
        ) from None
    name_outputs(model, str(tflite))  # the IR keeps the signature's output names (yolo_<layer>)
    target = converted_target(model_name, model_key(cfg_path, weights_path, tag), tag, ".xml")
    with making(target):
        found = find_openvino_ir(model_name, cfg_path, weights_path, tag)  # made by another process meanwhile
        if found is None:
            save_openvino(model, target, compress_to_fp16=tag == OPENVINO_F16)
    return found or target


def ensure_openvino_f16(
    model_name: str, cfg: DarknetConfig, cfg_path: Path, weights_path: Path, log: Callable[[str], None] | None = None
) -> Path:
    """Path of the compact accurate model, made from the float32 .tflite on a cache miss (OpenVINO only)."""
    return ensure_openvino_ir(model_name, cfg, cfg_path, weights_path, log, OPENVINO_F16)
