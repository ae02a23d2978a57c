"""Every file the app writes goes through here: a temp file in the same folder, then ``os.replace``.

A crash, a full disk or a cancelled batch can leave no half-written output: either the old file (or none) or the
complete new one exists.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

# mkstemp creates files readable by the owner only; outputs should get the usual permissions instead.
# (Reading the umask means setting it, so it is done once, at import, before any worker thread exists.)
_UMASK = os.umask(0o022)
os.umask(_UMASK)
_FILE_MODE = 0o666 & ~_UMASK


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike[str], mode: str = "wb", encoding: str | None = None, newline: str | None = None
) -> Iterator[IO]:
    """Open a temp file next to ``path``; on success it replaces ``path``, on error it is removed."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Hidden, recognisable name: if the process is killed hard, the leftover is obviously not an output.
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# What a hard-killed write leaves: mkstemp's name for ``atomic_open``'s temp file (8 random characters).
# (``temp_path_for`` adds the target's suffix after it, so encoders see the right container: ".clip.mp4.x.part.mp4")
_LEFTOVER = re.compile(r"^\..+\.[a-z0-9_]{8}\.part(\.[A-Za-z0-9]+)?$")


def remove_leftovers(folder: str | os.PathLike[str]) -> int:
    """Delete the temp files of writes that never finished (a process killed mid-write) under ``folder``; call
    it only when nothing else writes there. Returns how many were removed."""
    removed = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            if _LEFTOVER.match(name):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(root, name))
                    removed += 1
    return removed


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    with atomic_open(path, "wb") as handle:
        handle.write(data)


def write_text(path: str | os.PathLike[str], text: str) -> None:
    with atomic_open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def temp_path_for(path: str | os.PathLike[str], suffix: str = "") -> Path:
    """A new empty temp file next to ``path``, for writers that need a file name rather than a handle (OpenCV's
    VideoWriter picks the container from the name, so ``suffix`` keeps the extension). Finish with ``commit`` or
    ``discard``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".part{suffix}", dir=target.parent)
    os.close(fd)
    return Path(tmp)


def commit(tmp: str | os.PathLike[str], path: str | os.PathLike[str]) -> None:
    """Flush ``tmp`` to disk and move it over ``path`` in one step."""
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    os.chmod(tmp, _FILE_MODE)
    os.replace(tmp, path)


def discard(tmp: str | os.PathLike[str]) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)
