"""A folder (or list) of clips in one ``detect`` run: in time order, each with its camera's zones and lines,
resumable, then counts per interval over them all.

    clips = in_time_order(videos, clock)                  # by wall-clock start (``clock.py``), else as listed
    setups = Setups(zones, lines)                         # the command line's, or each folder's saved ones
    runs = FootageRun(detector, out, options, frames, …)  # skips clips a part file says are done (--resume)
    outcomes = runs.process(clips)
    intervals_csv(out, outcomes, seconds)                 # intervals.csv over every clip

A clip is done when its outputs are written: then a part file (``OUT/.parts/video-….part.json``) records its
``detections.json`` entry, so ``--resume`` skips it and still lists it (and counts its events, read back from its
event log, in the intervals). A clip stopped by Ctrl+C has no part: it is processed again from its start.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from ..atomic import write_text
from ..pipeline.inputs import InputImage
from ..pipeline.resume import PART_SUFFIX, PartStore
from ..pipeline.run import Runner
from .clock import clip_start
from .detect import FrameRange
from .event_files import read_events
from .intervals import ClipEvents, interval_table, write_intervals_csv
from .lines import CountLine
from .output import VideoOutputOptions, VideoOutputResult
from .probe import VideoInfo
from .run import process_video
from .zone_book import ZoneBook
from .zones import Zone, ZoneError, check_zones

VIDEO_PART_PREFIX = "video-"


def in_time_order(videos: Sequence[InputImage], clock: str) -> list[InputImage]:
    """Clips by the wall-clock time of their start (a name's time, else the file's: ``clock.py``), those without
    one after, in the order listed."""
    if clock == "none":
        return list(videos)
    starts = [clip_start(item.path, 0.0, clock) for item in videos]
    timed = sorted((start, k) for k, start in enumerate(starts) if start is not None)
    return [videos[k] for _start, k in timed] + [v for v, start in zip(videos, starts) if start is None]


@dataclass
class Setups:
    """Which zones and lines each clip gets: the command line's (``--zone``, ``--count-line``) for every clip,
    checked against its frame; else those saved with its folder for its frame size (``zone_book.py``)."""

    zones: tuple[Zone, ...] = ()
    lines: tuple[CountLine, ...] = ()
    use_saved: bool = True
    books: dict[str, ZoneBook] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)  # saved files used (for the summary)

    def choose(self, item: InputImage, options: VideoOutputOptions, info: VideoInfo) -> VideoOutputOptions:
        """``options`` with this clip's zones and lines; ``ZoneError`` when they do not fit its frame."""
        tracking = options.tracking
        if tracking is None:
            return options
        if self.zones or self.lines or not self.use_saved:
            check_zones(self.zones, info.width, info.height, info.name)
            return options  # already in the options (every clip the same)
        folder = os.path.dirname(os.path.abspath(item.path))
        book = self.books.get(folder)
        if book is None:
            book = self.books[folder] = ZoneBook.load(folder)
        setup = book.for_size(info.width, info.height)
        if not setup:
            if book.sizes:
                raise ZoneError(
                    f"the zones saved in {book.source} are for {', '.join(book.sizes)}, not for this "
                    f"{info.width}×{info.height} clip: draw its zones in the window, or give --zone"
                )
            return options
        check_zones(setup.zones, info.width, info.height, info.name)
        assert book.source is not None
        self.used.add(str(book.source))
        return replace(options, tracking=replace(tracking, zones=setup.zones, lines=setup.lines))


def video_part_id(item: InputImage) -> str:
    digest = hashlib.sha256(f"{item.relative_output('')}\0{item.path}".encode()).hexdigest()
    return f"{VIDEO_PART_PREFIX}{digest[:16]}"


def done_videos(store: PartStore) -> dict[str, dict]:
    """Records of the clips finished by an earlier run, by path (a clip with a failed write is not done)."""
    found = {}
    for part in store.parts():
        record = part.get("video")
        if isinstance(record, dict) and not part.get("write_failures"):
            found[record["path"]] = record
    return found


@dataclass
class FootageRun:
    runner: Runner
    out: Path
    options: VideoOutputOptions
    frames: FrameRange
    setups: Setups
    quiet: bool = False
    store: PartStore | None = None  # with --resume: where finished clips are recorded
    on_clip: Callable[[VideoOutputResult], None] | None = None

    def process(self, clips: Sequence[InputImage]) -> list[VideoOutputResult]:
        """Every clip in order; those done by an earlier run come back from their part file (``seconds`` 0)."""
        done = done_videos(self.store) if self.store is not None else {}
        outcomes = []
        for item in clips:
            if item.path in done:
                outcome = VideoOutputResult(done[item.path])
            else:
                outcome = process_video(
                    self.runner,
                    item,
                    self.out,
                    self.options,
                    self.quiet,
                    frames=self.frames,
                    choose=partial(self.setups.choose, item, self.options),
                )
                if self.store is not None and outcome.record.get("fps") is not None:
                    self._record(item, outcome)
            outcomes.append(outcome)
            if self.on_clip is not None:
                self.on_clip(outcome)
        return outcomes

    def _record(self, item: InputImage, outcome: VideoOutputResult) -> None:
        assert self.store is not None
        document = {"version": 1, "video": outcome.record, "write_failures": [list(f) for f in outcome.failed]}
        path = self.store.folder / f"{video_part_id(item)}{PART_SUFFIX}"
        write_text(path, json.dumps(document, ensure_ascii=False) + "\n")


def clip_events(out: Path, record: dict[str, Any]) -> ClipEvents | None:
    """A processed clip's events, read back from its event log under ``out``; None when it has none."""
    outputs = record.get("outputs", {})
    name = outputs.get("events_jsonl") or outputs.get("events_csv")
    if not name or record.get("fps") is None:
        return None
    try:
        events = read_events(out / name)
    except (OSError, ValueError):
        return None
    start = record.get("wall_clock_start")
    begin = float(record["range"]["start"])
    seconds = record["frames_read"] / record["fps"]
    return ClipEvents(record["path"], datetime.fromisoformat(start) if start else None, seconds, events, begin)


def intervals_csv(out: Path, records: Sequence[dict[str, Any]], seconds: float) -> Path | None:
    """``OUT/intervals.csv`` from every clip's events (None: no clip had an event log)."""
    clips = [c for c in (clip_events(out, r) for r in records) if c is not None]
    if not clips:
        return None
    clips.sort(key=lambda c: (c.start is None, c.start or datetime.min))
    path = out / "intervals.csv"
    write_intervals_csv(path, interval_table(clips, seconds))
    return path
