"""Times on the command line and in messages: ``90``, ``1:30``, ``00:01:30.5`` ⇄ seconds."""

from __future__ import annotations

import math


class TimecodeError(ValueError):
    pass


def parse_time(text: str) -> float:
    """Seconds from ``SS``, ``MM:SS`` or ``HH:MM:SS`` (each part may have decimals in the last place)."""
    parts = text.strip().split(":")
    if not 1 <= len(parts) <= 3 or any(not p.strip() for p in parts):
        raise TimecodeError(f"{text!r} is not a time (use seconds, MM:SS or HH:MM:SS, e.g. 90, 1:30, 00:01:30.5)")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise TimecodeError(
            f"{text!r} is not a time (use seconds, MM:SS or HH:MM:SS, e.g. 90, 1:30, 00:01:30.5)"
        ) from None
    if any(v < 0 or not math.isfinite(v) for v in values) or any(v >= 60 for v in values[1:]):
        raise TimecodeError(f"{text!r} is not a time (minutes and seconds are 0–59, nothing negative)")
    seconds = 0.0
    for value in values:
        seconds = seconds * 60 + value
    return seconds


def format_time(seconds: float) -> str:
    """``0:07.25``, ``1:02:03.00``: minutes:seconds with hundredths (hours only when needed)."""
    seconds = round(max(0.0, seconds), 2)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours >= 1:
        return f"{int(hours)}:{int(minutes):02d}:{secs:05.2f}"
    return f"{int(minutes)}:{secs:05.2f}"
