"""Counts per interval over a folder of clips: ``--interval 15m`` → ``intervals.csv``.

One row per interval × class × place × measure: a line's two directions (``left-to-right`` …), a zone's
``entered``, ``left`` and ``visits``. Long rather than wide, so a spreadsheet's pivot table or a plotting library
takes it as it is; every combination seen anywhere in the run gets a row in every interval (zeros included), so a
quiet quarter-hour is a 0, not a gap.

When the clips' wall clock is known (``clock.py``), intervals are clock times aligned on local midnight (15 min:
08:00, 08:15, …) and the clips are counted together in time order; ``recorded_s`` says how much video each interval
holds, so "nobody came" (0 counted over 900 s recorded) differs from "not recorded" (no row). A clip whose clock is
not known gets intervals of its own, from its first frame (``video`` names it; ``start``/``end`` are video times).
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ..atomic import atomic_open
from .events import CROSS, ENTER, LEAVE, VISIT
from .timecode import format_time

COLUMNS = ("start", "end", "video", "recorded_s", "label", "place", "measure", "count")
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])", re.IGNORECASE)
MEASURE = {ENTER: "entered", LEAVE: "left", VISIT: "visits"}


class IntervalError(ValueError):
    pass


def parse_interval(text: str) -> float:
    """Seconds from ``900``, ``90s``, ``15m``, ``1h``, ``1h30m``, ``0.5h``, ``1d``."""
    compact = text.strip().lower().replace(" ", "")
    try:
        seconds = float(compact)
    except ValueError:
        parts = _PART.findall(compact)
        if not parts or "".join(f"{n}{u}" for n, u in parts) != compact:
            raise IntervalError(f"{text!r} is not a duration (e.g. 15m, 1h, 90s, 1h30m)") from None
        seconds = sum(float(number) * _UNITS[unit] for number, unit in parts)
    if not math.isfinite(seconds) or seconds < 1:
        raise IntervalError(f"{text!r}: an interval must be at least 1 second")
    return seconds


@dataclass
class ClipEvents:
    """One clip's events (records as ``event_files.event_record`` writes them) and where it sits in time."""

    video: str
    start: datetime | None  # wall clock of its frame 0 (None: not known)
    seconds: float  # video time it covers, from ``offset``
    events: list[dict] = field(default_factory=list)
    offset: float = 0.0  # video time of the first frame read (``--start``)


def _measure(event: dict) -> tuple[str, str, str] | None:
    """(label, place, measure) an event counts in."""
    if event["event"] == CROSS:
        return event["label"], event["place"], str(event["direction"])
    measure = MEASURE.get(event["event"])
    return None if measure is None else (event["label"], event["place"], measure)


@dataclass
class IntervalTable:
    seconds: float  # the interval
    # (start text, end text, video) → recorded seconds, counts by (label, place, measure); in time order
    rows: dict[tuple[str, str, str], tuple[float, Counter]] = field(default_factory=dict)
    keys: set[tuple[str, str, str]] = field(default_factory=set)

    def _slot(self, key: tuple[str, str, str]) -> tuple[float, Counter]:
        return self.rows.setdefault(key, (0.0, Counter()))

    def add_clip(self, clip: ClipEvents) -> None:
        for event in clip.events:
            found = _measure(event)
            if found is not None:
                self.keys.add(found)
        if clip.start is not None:
            self._add_clocked(clip)
        else:
            self._add_unclocked(clip)

    def _clock_slot(self, at: datetime) -> tuple[datetime, datetime]:
        midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
        k = math.floor((at - midnight).total_seconds() / self.seconds)
        start = midnight + timedelta(seconds=k * self.seconds)
        return start, start + timedelta(seconds=self.seconds)

    def _add_clocked(self, clip: ClipEvents) -> None:
        assert clip.start is not None
        at = clip.start + timedelta(seconds=clip.offset)
        end_clip = at + timedelta(seconds=clip.seconds)
        while at < end_clip:  # the recorded seconds each interval holds
            start, end = self._clock_slot(at)
            covered = (min(end, end_clip) - at).total_seconds()
            key = (start.isoformat(timespec="seconds"), end.isoformat(timespec="seconds"), "")
            recorded, counts = self._slot(key)
            self.rows[key] = (recorded + covered, counts)
            at = end
        for event in clip.events:
            found = _measure(event)
            if found is None:
                continue
            start, end = self._clock_slot(clip.start + timedelta(seconds=float(event["time"])))
            key = (start.isoformat(timespec="seconds"), end.isoformat(timespec="seconds"), "")
            self._slot(key)[1][found] += 1

    def _add_unclocked(self, clip: ClipEvents) -> None:
        first = math.floor(clip.offset / self.seconds)
        end_clip = clip.offset + clip.seconds
        last = max(first, math.ceil(end_clip / self.seconds) - 1)
        keys = {}
        for k in range(first, last + 1):
            start = k * self.seconds
            key = (format_time(start), format_time(start + self.seconds), clip.video)
            covered = min(end_clip, start + self.seconds) - max(clip.offset, start)
            self.rows[key] = (max(0.0, covered), Counter())
            keys[k] = key
        for event in clip.events:
            found = _measure(event)
            if found is not None:
                k = min(last, max(first, int(float(event["time"]) // self.seconds)))
                self.rows[keys[k]][1][found] += 1

    def ordered(self) -> list[tuple[tuple[str, str, str], float, Counter]]:
        """Clock intervals in time order, then each clip without a clock, its intervals in order."""
        clocked = sorted((k, *v) for k, v in self.rows.items() if not k[2])
        unclocked = [(k, *v) for k, v in self.rows.items() if k[2]]
        return clocked + unclocked

    def csv_rows(self) -> Iterable[list]:
        keys = sorted(self.keys)
        for (start, end, video), recorded, counts in self.ordered():
            for label, place, measure in keys:
                yield [start, end, video, f"{recorded:.1f}", label, place, measure, counts[(label, place, measure)]]


def interval_table(clips: Sequence[ClipEvents], seconds: float) -> IntervalTable:
    table = IntervalTable(seconds)
    for clip in clips:
        table.add_clip(clip)
    return table


def write_intervals_csv(path: Path, table: IntervalTable) -> None:
    with atomic_open(path, "w", encoding="utf-8-sig", newline="") as handle:
        rows = csv.writer(handle)
        rows.writerow(COLUMNS)
        rows.writerows(table.csv_rows())
