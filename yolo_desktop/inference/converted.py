"""Converted LiteRT models: find one in the caches, or convert (TensorFlow) and cache it atomically."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from ..atomic import write_bytes
from .darknet_cfg import DarknetConfig
from .errors import ModelError
from .model_cache import converted_target, find_converted, model_key

def ensure_converted(model_name: str, cfg: DarknetConfig, cfg_path: Path, weights_path: Path, precision: str,
                     log: Callable[[str], None] | None = None) -> Path:
    """Path of the converted model (any input size) for these files and precision, converting on a cache miss."""
    key = model_key(cfg_path, weights_path, precision)
    found = find_converted(model_name, key, precision)
    if found is not None:
        return found
    try:  # TensorFlow from here on; the standalone app ships without it (and without these modules)
        from .convert import convert
        from .engines.tf_env import import_tensorflow

        import_tensorflow()
    except ImportError as exc:
        raise ModelError(
            f"{model_name} ({precision}) has not been converted for the LiteRT engine yet, and "
            f"converting needs TensorFlow, which this installation does not include ({exc.name}). Convert it "
            f"once with a pip installation of YOLO Desktop: yolo-desktop models convert "
            f"--cfg {cfg_path} --weights {weights_path} --names <names file> --precision {precision}; "
            f"the result is cached where this app finds it.") from None

    if log:
        log(f"Converting {model_name} ({precision}) once; it is cached for next time…")
    start = time.perf_counter()
    data = convert(cfg, str(weights_path), precision)
    target = converted_target(model_name, key, precision)
    write_bytes(target, data)
    if log:
        log(f"Converted in {time.perf_counter() - start:.1f} s: {target}")
    return target
