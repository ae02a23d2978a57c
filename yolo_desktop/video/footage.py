"""A folder (or list) of clips in one ``detect`` run: in time order, each with its camera's zones and lines,
resumable, then counts per interval over them all.

    clips = in_time_order(videos, clock)                  # by wall-clock start (``clock.py``), else as listed
    setups = Setups(zones, lines)                         # the command line's, or each folder's saved ones
    runs = FootageRun(detector, out, options, frames, setups, done=…, on_done=…)
    outcomes = runs.process(clips)                        # clips in ``done`` (by path) are not processed again
    intervals_csv(out, records, seconds)                  # intervals.csv over every clip

With ``--resume`` the command line records each finished clip (``on_done``: a part file, ``pipeline/resume.py``)
and hands the records of those an earlier run finished as ``done``: they are listed as they were, and their events
are read back from their logs for the intervals. A clip stopped by Ctrl+C is not done: processed again from its
start.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from ..pipeline.inputs import InputFile
from ..pipeline.run import Runner
from .clock import clip_start
from .detect import FrameRange
from .event_files import read_events
from .intervals import ClipEvents, interval_table, write_intervals_csv
from .lines import CountLine
from .output import VideoOutputOptions, VideoOutputResult
from .probe import VideoInfo
from .run import process_video
from .tracking import TrackingOptions
from .zone_book import ZoneBook
from .zones import Zone, ZoneError, check_zones


def in_time_order(videos: Sequence[InputFile], clock: str) -> list[InputFile]:
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

    def choose(self, item: InputFile, options: VideoOutputOptions, info: VideoInfo) -> VideoOutputOptions:
        """``options`` with this clip's zones and lines; ``ZoneError`` when they do not fit its frame."""
        tracking = options.tracking
        if tracking is None:
            return options
        if self.zones or self.lines or not self.use_saved:
            check_zones(self.zones, info.width, info.height, os.path.basename(info.name))
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
        check_zones(setup.zones, info.width, info.height, os.path.basename(info.name))
        assert book.source is not None
        self.used.add(str(book.source))
        return replace(options, tracking=replace(tracking, zones=setup.zones, lines=setup.lines))


@dataclass
class FootageRun:
    runner: Runner
    out: Path
    options: VideoOutputOptions
    frames: FrameRange
    setups: Setups
    quiet: bool = False
    done: Mapping[str, dict] = field(default_factory=dict)  # records of clips finished earlier, by path
    on_done: Callable[[InputFile, VideoOutputResult], object] | None = None  # a clip read and its files written

    def process(self, clips: Sequence[InputFile]) -> list[VideoOutputResult]:
        """Every clip in order; those ``done`` come back as they were recorded (``seconds`` 0)."""
        outcomes = []
        for item in clips:
            if item.path in self.done:
                outcome = VideoOutputResult(dict(self.done[item.path]))
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
                if self.on_done is not None and outcome.record.get("fps") is not None:
                    self.on_done(item, outcome)
            outcomes.append(outcome)
        return outcomes


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


def footage_record(frames: FrameRange, options: VideoOutputOptions, setups: Setups) -> dict[str, Any]:
    """Everything that decides a video's outputs besides the model and its settings, as JSON: a queue job
    carries it to a worker (``footage_from_record``), and a resumable batch's identity holds it."""
    tracking = options.tracking
    return {
        "range": {"stride": frames.stride, "start": frames.start, "end": frames.end},
        "outputs": {
            "video": options.video,
            "video_format": options.video_format,
            "jsonl": options.jsonl,
            "csv": options.csv,
            "clock": options.clock,
            "snapshots": options.snapshots,
            "heatmap": options.heatmap,
        },
        "tracking": None
        if tracking is None
        else {
            "min_frames": tracking.min_frames,
            "lost_seconds": tracking.lost_seconds,
            "anchor": tracking.anchor,
            "min_dwell": tracking.min_dwell,
            "lines": [line.record() for line in tracking.lines],
            "zones": [zone.record() for zone in tracking.zones],
        },
        "saved_zones": setups.use_saved,
    }


def footage_from_record(record: dict[str, Any]) -> tuple[FrameRange, VideoOutputOptions, Setups]:
    tracking = record["tracking"]
    options = None
    if tracking is not None:
        lines = tuple(CountLine.from_record(line) for line in tracking["lines"])
        zones = tuple(Zone.from_record(zone) for zone in tracking["zones"])
        options = TrackingOptions(
            min_frames=tracking["min_frames"],
            lost_seconds=tracking["lost_seconds"],
            lines=lines,
            zones=zones,
            anchor=tracking["anchor"],
            min_dwell=tracking["min_dwell"],
        )
    frames = FrameRange(**record["range"])
    outputs = VideoOutputOptions(**record["outputs"], tracking=options)
    setups = (
        Setups(options.zones, options.lines, use_saved=record["saved_zones"])
        if options is not None
        else Setups(use_saved=False)
    )
    return frames, outputs, setups
