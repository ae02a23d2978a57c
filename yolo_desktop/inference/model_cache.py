"""Where converted (LiteRT) models are kept, and the key that says which one belongs to which model files.

A converted model (valid for every input size) is identified by the cfg's and the weights' sha256, the precision
and the converter version, so a changed weights file or setting never picks up a stale conversion. The weights' hash is
remembered per (path, size, mtime) so a 250 MB file is not re-read at every start. No TensorFlow here.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from platformdirs import user_cache_dir

from ..atomic import write_text

# Bump when the conversion recipe changes (quantization settings, graph layout): old caches are then ignored.
CONVERTER_VERSION = "7"  # 7: OpenVINO int8 with 7-bit weights (openvino_int8.OV_FAST_RECIPE)
APP_NAME = "yolo-desktop"
_lock = threading.Lock()


def cache_dir() -> Path:
    override = os.environ.get("YOLO_DESKTOP_CACHE")
    return Path(override) if override else Path(user_cache_dir(APP_NAME, appauthor=False))


def converted_dirs() -> list[Path]:
    """Read-only bundle first (a frozen app ships its default model converted), then the user cache."""
    dirs = []
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        dirs.append(Path(sys._MEIPASS) / "converted")
    dirs.append(cache_dir() / "converted")
    return dirs


def known_sha256(path: Path) -> str | None:
    """``file_sha256`` when it is already remembered (or a digest file stands in), else None: never reads the file
    (``models list`` must not hash every model)."""
    digest_file = path.with_name(path.name + ".sha256")
    if not path.exists():
        return digest_file.read_text(encoding="ascii").split()[0] if digest_file.is_file() else None
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    try:
        return json.loads((cache_dir() / "hashes.json").read_text(encoding="utf-8")).get(key)
    except (OSError, ValueError):
        return None


def file_sha256(path: Path) -> str:
    """sha256 of a file, memoised by (absolute path, size, mtime) in the cache folder. A file replaced by its
    digest (``<name>.sha256``, as the standalone app ships its weights) gives that digest."""
    digest_file = path.with_name(path.name + ".sha256")
    if not path.exists() and digest_file.is_file():
        return digest_file.read_text(encoding="ascii").split()[0]
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    index_path = cache_dir() / "hashes.json"
    with _lock:
        try:
            index = json.loads(index_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            index = {}
        if key in index:
            return index[key]
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    value = digest.hexdigest()
    with _lock:
        index[key] = value
        try:
            write_text(index_path, json.dumps(index, indent=0))
        except OSError:
            pass  # a read-only cache only costs a re-hash next time
    return value


def model_key(cfg: Path, weights: Path, precision: str) -> str:
    parts = [CONVERTER_VERSION, file_sha256(cfg), file_sha256(weights), precision]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def converted_name(model_name: str, key: str, precision: str, suffix: str = ".tflite") -> str:
    return f"{model_name}-{precision}-{key}{suffix}"


def find_converted(model_name: str, key: str, precision: str, suffix: str = ".tflite") -> Path | None:
    name = converted_name(model_name, key, precision, suffix)
    return next((d / name for d in converted_dirs() if (d / name).is_file()), None)


def converted_target(model_name: str, key: str, precision: str, suffix: str = ".tflite") -> Path:
    return cache_dir() / "converted" / converted_name(model_name, key, precision, suffix)


class MakingCancelled(Exception):
    """Stopped while waiting for another process to finish making the same model."""


@contextlib.contextmanager
def making(target: Path, cancel: threading.Event | None = None) -> Iterator[None]:
    """Held while this process makes ``target`` (a conversion, quantisation or IR): another process making the same
    file — the window and a command line started together, a service and its workers, the test suite's workers —
    waits here, then finds the file made instead of making it again (callers look again inside). A file lock
    (``flock``) in the cache's ``locks/`` folder, released by the system when its holder dies; where there is no
    ``flock`` (Windows) each makes its own, atomically, as before. ``cancel`` stops the wait."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        yield
        return
    folder = cache_dir() / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{target.name}.lock", "a+b") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if cancel is not None and cancel.is_set():
                    raise MakingCancelled(f"stopped while another process makes {target.name}") from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
