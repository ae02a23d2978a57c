"""Converted LiteRT models: find one in the caches, or convert and cache it atomically.

Converting needs TensorFlow, and it runs in a child process (``convert_process``): TensorFlow's import and the
conversion would otherwise hold this process's GIL for seconds (the window's event loop stalled 100–700 ms at a
time), and its ~500 MB stay out of the app's memory. The child can be stopped (the window closing) and is killed
by its PID.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .darknet_cfg import DarknetConfig
from .darknet_weights import check_weights_size
from .errors import ModelError
from .model_cache import MakingCancelled, converted_target, find_converted, making, model_key

_PACKAGE_PARENT = Path(__file__).resolve().parents[2]  # what the child needs on sys.path to import us


def ensure_converted(
    model_name: str,
    cfg: DarknetConfig,
    cfg_path: Path,
    weights_path: Path,
    precision: str,
    log: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Path of the converted model (any input size) for these files and precision, converting on a cache miss."""
    key = model_key(cfg_path, weights_path, precision)
    found = find_converted(model_name, key, precision)
    if found is not None:
        return found
    if getattr(sys, "frozen", False) or importlib.util.find_spec("tensorflow") is None:
        # The standalone app ships without TensorFlow (and without the converter).
        raise ModelError(
            f"{model_name} ({precision}) has not been converted for the LiteRT engine yet, and converting needs "
            f"TensorFlow, which this installation does not include. Convert it once with a pip installation of "
            f"YOLO Desktop: yolo-desktop models convert --cfg {cfg_path} --weights {weights_path} --names <names "
            f"file> --precision {precision}; the result is cached where this app finds it."
        )
    check_weights_size(str(weights_path), cfg)  # a wrong weights file is reported as such, before any child
    target = converted_target(model_name, key, precision)
    try:
        with making(target, cancel):
            found = find_converted(model_name, key, precision)  # made by another process while this one waited
            if found is not None:
                return found
            if log:
                log(f"Converting {model_name} ({precision}) once; it is cached for next time…")
            start = time.perf_counter()
            _convert_in_child(cfg_path, weights_path, precision, target, cancel)
    except MakingCancelled:
        raise ModelError("conversion stopped") from None
    if log:
        log(f"Converted in {time.perf_counter() - start:.1f} s: {target}")
    return target


def _convert_in_child(
    cfg_path: Path, weights_path: Path, precision: str, target: Path, cancel: threading.Event | None
) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PACKAGE_PARENT), env.get("PYTHONPATH")]))
    command = [
        sys.executable,
        "-m",
        "yolo_desktop.inference.convert_process",
        "--cfg",
        str(cfg_path),
        "--weights",
        str(weights_path),
        "--precision",
        precision,
        "--out",
        str(target),
    ]
    try:
        child = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
    except OSError as exc:
        raise ModelError(f"could not start the converter: {exc}") from None
    errors: list[str] = []
    reader = threading.Thread(target=lambda: errors.extend(child.stderr or ()), daemon=True)  # never fills a pipe
    reader.start()
    while child.poll() is None:
        if cancel is not None and cancel.wait(0.05):
            child.kill()  # by its PID (Popen), never by name
            child.wait()
            raise ModelError("conversion stopped")
        if cancel is None:
            try:
                child.wait(0.05)
            except subprocess.TimeoutExpired:
                pass
    reader.join(5)
    if child.returncode != 0 or not target.is_file():
        tail = "".join(errors[-8:]).strip() or f"exit code {child.returncode}"
        raise ModelError(f"converting {cfg_path.name} ({precision}) failed: {tail}")
