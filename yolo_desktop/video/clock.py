"""When a clip was recorded: the wall-clock time of its first frame, so events get a date and time and the clips of a
folder fall in order. ``--clock`` chooses where it comes from (``CLOCKS``):

    name   a date and time in the file's name, as cameras and NVRs write them: ``20261207_081500``,
           ``2026-12-07_08-15-00``, ``20261207081500``, ``2026-12-07 08.15.00``, ``cam1-20261207T081500.mp4`` (year,
           month, day, hour, minute, second; local time)
    file   the file's creation time where the system keeps one (Windows, macOS), else its modification time minus
           the clip's duration (a recorder writes a file until its last frame)
    auto   the name when it holds a time, else the file (the default)
    none   no wall clock: events have their time in the video only, intervals count from each clip's start

Times are local and naive (no time zone), written as ISO 8601 (``2026-12-07T08:15:03.250``). A live camera uses
the computer's clock at each frame.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from pathlib import Path

CLOCKS = ("auto", "name", "file", "none")

# Year 19xx/20xx, then month, day, hour, minute, second, each two digits; separators optional but consistent
# enough for what recorders write. Not preceded or followed by another digit (a longer number is something else).
_STAMP = re.compile(
    r"(?<!\d)((?:19|20)\d\d)[-_.]?(\d\d)[-_.]?(\d\d)[ T_.-]?(\d\d)[-_.:h]?(\d\d)[-_.:m]?(\d\d)(?!\d)", re.IGNORECASE
)


def time_in_name(name: str) -> datetime | None:
    """The first valid date and time in a file name, or None."""
    for match in _STAMP.finditer(name):
        try:
            year, month, day, hour, minute, second = (int(part) for part in match.groups())
            return datetime(year, month, day, hour, minute, second)
        except ValueError:
            continue  # 20261399_…: not a date
    return None


def file_time(path: str | os.PathLike[str], duration: float) -> datetime | None:
    try:
        stat = Path(path).stat()
    except OSError:
        return None
    born = getattr(stat, "st_birthtime", None)
    if born:
        return datetime.fromtimestamp(born)
    return datetime.fromtimestamp(stat.st_mtime) - timedelta(seconds=max(0.0, duration))


def clip_start(path: str | os.PathLike[str], duration: float, clock: str = "auto") -> datetime | None:
    """The wall-clock time of the clip's first frame by ``clock`` (see ``CLOCKS``); None when not known."""
    if clock not in CLOCKS:
        raise ValueError(f"clock {clock!r} is not one of {', '.join(CLOCKS)}")
    if clock == "none":
        return None
    if clock in ("auto", "name"):
        found = time_in_name(os.path.basename(os.fspath(path)))
        if found is not None or clock == "name":
            return found
    return file_time(path, duration)


def wall_text(start: datetime | None, seconds: float) -> str:
    """``start`` + ``seconds`` as ISO 8601 with milliseconds, or "" when the start is not known."""
    if start is None:
        return ""
    return (start + timedelta(seconds=seconds)).isoformat(timespec="milliseconds")
