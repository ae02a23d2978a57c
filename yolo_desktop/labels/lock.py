"""One window edits a labels folder at a time: an OS lock on a file in the labels folder.

Why a lock, not a per-photo merge: two windows that both autosave would each write their own version of the same
photo every second, and a merge would have to decide which move of which box wins, silently. A lock refuses the
second window with a message naming who holds the folder (user, machine, process, since when); the second
window may still open it read-only.

Why an OS lock (``fcntl.flock``; ``msvcrt.locking`` on Windows) rather than a file's mere existence: the
kernel releases it when its process dies, however it dies (SIGKILL, a power cut), so a dead window's lock is
taken over at once, with no guess about whether a PID is still alive or was reused. The file's text only says
who holds it, for the message.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import sys
import time
from pathlib import Path

from .problems import LabelsUnavailable


class FolderLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        """Hold the lock, or raise ``LabelsUnavailable`` naming the holder (or why the file cannot be made)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise LabelsUnavailable(
                f"{self.path.parent}: cannot write labels here ({exc.strerror or exc}); choose another labels folder"
            ) from None
        if not _try_lock(fd):
            holder = _read_holder(fd)
            os.close(fd)
            raise LabelsUnavailable(
                f"{self.path.parent}: these labels are being edited by {holder}; open them "
                f"read-only, or close the other window first"
            )
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(_me()).encode("utf-8"))
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)  # no stale "held by" text once released
            os.close(self._fd)  # closing releases the OS lock
            self._fd = None


def _me() -> dict[str, object]:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in this environment (a container without passwd entry)
        user = "?"
    return {"user": user, "host": socket.gethostname(), "pid": os.getpid(), "since": time.time()}


def _read_holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        holder = json.loads(os.read(fd, 4096).decode("utf-8"))
        since = time.strftime("%Y-%m-%d %H:%M", time.localtime(float(holder["since"])))
        return f"{holder['user']} on {holder['host']} (process {holder['pid']}, since {since})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another window (who, it did not say yet)"


if sys.platform == "win32":  # pragma: no cover - the tests run on Linux
    import msvcrt

    def _try_lock(fd: int) -> bool:
        # Lock a byte far past the text, so the holder's text stays readable by the window that is refused.
        os.lseek(fd, 1 << 20, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True
