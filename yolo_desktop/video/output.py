"""One video's outputs — the annotated video, ``<stem>.frames.jsonl``, ``<stem>.frames.csv`` and, tracked,
``<stem>.tracks.csv`` and ``<stem>.crossings.csv``; with counting lines or zones, the event log
(``<stem>.events.csv``/``.jsonl``, written as events settle), ``<stem>.zones.csv`` and ``<stem>.heatmap.png`` — and
its record for ``detections.json``: what ``detect`` writes (``run.py``) and what the window's export writes
(``export.py``).

    output = VideoOutput(item, out, info, options)   # opens every output (temp files next to their targets)
    shown = output.add(index, time, detections, rgb) # a processed frame: tracked, its lines, its counts, events
    output.draw(rgb, shown)                          # a frame of the annotated video, drawn with these boxes
    result = output.finish(frames_read=…, error=…)   # moves the files into place; or abort(): nothing is left

The tracker (``tracking.py``) runs here, on the detections each front-end hands over in frame order, so the command
line and the window's export track the same way and write the same ids.

Each output file stands alone, as a photo's files do: one that cannot be opened, written or moved into place is
dropped and reported as a failed write of that file — ``(its path, the reason)`` in ``failed`` — and the others go
on. The video's own ``error`` (in its record) says only why it was not read to the end, never that a file of it
could not be written: those are two different things to fix (the input, the output folder).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..export.writer import failure_reason
from ..pipeline.inputs import InputFile
from ..results import Detections
from .clock import clip_start, wall_text
from .detect import FrameRange
from .event_files import EventFiles, write_stays_csv
from .events import Event
from .frame_files import FrameFiles
from .heatmap import Heatmap
from .probe import VideoInfo
from .record import VideoStats, video_record
from .track_files import write_crossings_csv, write_tracks_csv
from .tracking import TRACKED, Tracker, TrackingOptions, tracking_record
from .writer import VIDEO_FORMATS, AnnotatedVideoWriter, VideoWriteError

FRAME_FILES = (("frames_jsonl", ".frames.jsonl"), ("frames_csv", ".frames.csv"))  # record key, suffix of the stem
TRACK_FILES = (("tracks_csv", ".tracks.csv"), ("crossings_csv", ".crossings.csv"))
EVENT_FILES = (("events_csv", ".events.csv"), ("events_jsonl", ".events.jsonl"))
SNAPSHOT_FRAMES = 8  # processed frames kept for snapshots: an event may be dated a few frames before it is known


@dataclass(frozen=True)
class VideoOutputOptions:
    video: bool = True  # the annotated video (off with --no-images, or "annotated images" unticked)
    video_format: str = "mp4"  # a key of VIDEO_FORMATS
    jsonl: bool = True  # <stem>.frames.jsonl
    csv: bool = True  # <stem>.frames.csv (and, tracked, <stem>.tracks.csv and .crossings.csv)
    tracking: TrackingOptions | None = TRACKED  # None: not tracked (--no-track)
    clock: str = "auto"  # where the clip's wall-clock time comes from (``clock.CLOCKS``)
    snapshots: bool = False  # a JPEG crop of the object at each event (<stem>.events/)
    heatmap: bool = False  # <stem>.heatmap.png even without lines or zones

    @property
    def extension(self) -> str:
        return VIDEO_FORMATS[self.video_format][1]

    @property
    def analysed(self) -> bool:
        """Counting lines or zones: the video has an event log (and a heatmap)."""
        return self.tracking is not None and bool(self.tracking.lines or self.tracking.zones)


@dataclass
class VideoOutputResult:
    record: dict[str, Any]  # the video's entry in detections.json; its "error": why it was not read to the end
    written: list[Path] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (output file, reason), as for photos' files
    seconds: float = 0.0  # reading, detecting and writing it

    @property
    def path(self) -> str:
        return str(self.record["path"])

    @property
    def error(self) -> str | None:
        return self.record["error"]

    @classmethod
    def unreadable(cls, path: str, reason: str, frames: FrameRange = FrameRange()) -> VideoOutputResult:
        """A video that could not be opened: its record says why; nothing is written."""
        record = video_record(
            path, None, VideoStats(), stride=frames.stride, start=frames.start, end=frames.end, error=reason
        )
        return cls(record)


def _reason(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, VideoWriteError) else failure_reason(exc)


class VideoOutput:
    """The open outputs of one video. Not thread-safe: one thread adds, draws and finishes."""

    def __init__(
        self,
        item: InputFile,
        out: Path,
        info: VideoInfo,
        options: VideoOutputOptions = VideoOutputOptions(),
        frames: FrameRange = FrameRange(),  # the range processed (for the record)
    ) -> None:
        self.item, self.out, self.info, self.options, self.frames = item, out, info, options, frames
        self.stats = VideoStats()
        self.tracker = Tracker(options.tracking) if options.tracking is not None else None
        self.failed: list[tuple[str, str]] = []
        self.start = clip_start(item.path, info.duration, options.clock)  # wall clock of frame 0, if known
        self.events: EventFiles | None = None
        self._waiting: list[Event] = []  # confirmed, not settled yet (written in time order)
        self._seen_events = 0  # of tracker.events
        self._recent: OrderedDict[int, np.ndarray] = OrderedDict()  # frame → RGB, for snapshots
        self.snapshots_written: list[Path] = []
        tracking = options.tracking
        wants_heatmap = tracking is not None and (options.heatmap or options.analysed)
        self.heatmap = Heatmap(info.width, info.height, tracking.anchor) if wants_heatmap and tracking else None
        self._background: np.ndarray | None = None  # the frame the heatmap is drawn over (the first processed)
        self._last_time: float | None = None
        self._video: AnnotatedVideoWriter | None = None
        self._files: dict[str, tuple[Path, FrameFiles]] = {}  # record key → (target, its open file)
        if options.video:
            target = item.output_path(out, options.extension)
            try:
                self._video = AnnotatedVideoWriter(target, (info.width, info.height), info.fps, options.video_format)
            except Exception as exc:  # a folder that cannot be written, an encoder this OpenCV lacks, …
                self.failed.append((str(target), _reason(exc)))
        wanted = {"frames_jsonl": options.jsonl, "frames_csv": options.csv}
        for key, suffix in FRAME_FILES:
            if not wanted[key]:
                continue
            target = item.output_path(out, suffix)
            try:
                size, tracked = (info.width, info.height), self.tracker is not None
                files = (
                    FrameFiles(target, None, size, tracked)
                    if key == "frames_jsonl"
                    else FrameFiles(None, target, size, tracked)
                )
            except Exception as exc:
                self.failed.append((str(target), failure_reason(exc)))
                continue
            self._files[key] = (target, files)
        if options.analysed and (options.csv or options.jsonl):
            self._open_events()

    def _open_events(self) -> None:
        paths = {key: self.item.output_path(self.out, suffix) for key, suffix in EVENT_FILES}
        snapshots = self.item.output_path(self.out, ".events") if self.options.snapshots else None
        try:
            paths["events_csv"].parent.mkdir(parents=True, exist_ok=True)
            self.events = EventFiles(
                paths["events_csv"] if self.options.csv else None,
                paths["events_jsonl"] if self.options.jsonl else None,
                self.item.path,
                self.start,
                snapshots,
            )
        except Exception as exc:
            wanted = (("events_csv", self.options.csv), ("events_jsonl", self.options.jsonl))
            self.failed += [(str(paths[key]), failure_reason(exc)) for key, on in wanted if on]

    @property
    def draws(self) -> bool:
        """Whether an annotated video is being written (``draw`` is a no-op otherwise)."""
        return self._video is not None

    @property
    def needs_pixels(self) -> bool:
        """Whether the next frames' pixels are wanted: to draw, for snapshots, or the heatmap's background."""
        wants_background = self.heatmap is not None and self._background is None
        return self.draws or wants_background or (self.events is not None and self.options.snapshots)

    def add(self, index: int, time: float, detections: Detections, rgb: np.ndarray | None = None) -> Detections:
        """A processed frame (in frame order; ``rgb``: its pixels, for the heatmap's background and snapshots):
        tracked, its line(s) in the frame files, its counts in the record, its settled events in the log. Returns
        its detections as written (with their track ids): what to draw."""
        if self.tracker is not None:
            detections = self.tracker.update(index, time, detections)
            if self.heatmap is not None:
                step = time - self._last_time if self._last_time is not None else self.frames.stride / self.info.fps
                self.heatmap.add(detections, min(step, 1.0))  # a gap (a damaged stretch) counts at most 1 s
                if self._background is None and rgb is not None:
                    self._background = rgb.copy()
            self._last_time = time
            if self.events is not None:
                if rgb is not None and self.options.snapshots:
                    self._recent[index] = rgb
                    while len(self._recent) > SNAPSHOT_FRAMES:
                        self._recent.popitem(last=False)
                self._write_events(self.tracker.settled())
        self.stats.add(detections)
        for key, (target, files) in list(self._files.items()):
            try:
                files.add(index, time, detections)
            except Exception as exc:  # a full disk: this file stops here, the others go on
                files.discard()
                del self._files[key]
                self.failed.append((str(target), failure_reason(exc)))
        return detections

    def _write_events(self, before: int | None) -> None:
        """Write the confirmed events dated before frame ``before`` (None: all), in order."""
        assert self.tracker is not None and self.events is not None
        events = self.tracker.events
        self._waiting += events[self._seen_events :]
        self._seen_events = len(events)
        ready = [e for e in self._waiting if before is None or e.frame < before]
        if not ready:
            return
        self._waiting = [e for e in self._waiting if not (before is None or e.frame < before)]
        try:
            self.snapshots_written += self.events.add(sorted(ready, key=lambda e: e.order), self._crop)
        except Exception as exc:  # a full disk: the log stops here (what it holds stays), the rest goes on
            self.failed += [(str(p), failure_reason(exc)) for p in self.events.paths]
            self.events.close()
            self.events = None

    def _crop(self, event: Event) -> np.ndarray | None:
        """The object's pixels at the event's frame (or the nearest kept)."""
        if not self._recent:
            return None
        frame = self._recent.get(event.frame)
        if frame is None:
            frame = self._recent[min(self._recent, key=lambda k: abs(k - event.frame))]
        x1, y1, x2, y2 = (round(v) for v in event.box)
        height, width = frame.shape[:2]
        return frame[max(0, y1) : min(height, y2), max(0, x1) : min(width, x2)]

    def draw(self, rgb: np.ndarray, detections: Detections) -> None:
        """One frame of the annotated video (RGB, the video's size) with these boxes; encoded on the writer's
        thread (this blocks only when its queue is full)."""
        if self._video is not None:
            self._video.add(rgb, detections)

    def finish(self, *, frames_read: int, error: str | None) -> VideoOutputResult:
        """Move every output that was written into place and build the record; ``error``: why the video was not
        read to the end (None: it was)."""
        written: list[Path] = []
        outputs: dict[str, str | None] = {"video": None, "frames_jsonl": None, "frames_csv": None}
        if self.tracker is not None:
            outputs.update(tracks_csv=None, crossings_csv=None)
        if self._video is not None:
            try:
                path = self._video.finish()
                if path is not None:  # None: not one frame was written, so no file
                    written.append(path)
                    outputs["video"] = self.item.relative_output(self.options.extension)
            except VideoWriteError as exc:
                self.failed.append((str(self._video.target), str(exc)))
            self._video = None
        for key, suffix in FRAME_FILES:
            if key not in self._files:
                continue
            target, files = self._files.pop(key)
            try:
                written += files.commit()
                outputs[key] = self.item.relative_output(suffix)
            except Exception as exc:
                self.failed.append((str(target), failure_reason(exc)))
        if self.tracker is not None and self.options.csv:
            written += self._write_track_files(outputs)
        if self.tracker is not None and self.options.analysed:
            written += self._finish_analysis(outputs)
        frames = self.frames
        record = video_record(
            self.item.path,
            self.info,
            self.stats,
            frames_read=frames_read,
            stride=frames.stride,
            start=frames.start,
            end=frames.end,
            outputs=outputs,
            error=error,
            tracking=self._tracking_record(),
        )
        return VideoOutputResult(record, written, list(self.failed))

    def _tracking_record(self) -> dict | None:
        if self.tracker is None:
            return None
        record = tracking_record(self.tracker)
        if self.options.analysed:
            record["wall_clock_start"] = wall_text(self.start, 0.0) or None
            record["events"] = dict(sorted(_count_kinds(self.tracker.events).items()))
        return record

    def _finish_analysis(self, outputs: dict[str, str | None]) -> list[Path]:
        """The event log's last events (closed), ``zones.csv`` and the heatmap; each stands alone."""
        assert self.tracker is not None
        written: list[Path] = []
        for key in ("events_csv", "events_jsonl", "zones_csv", "heatmap"):
            outputs[key] = None
        if self.events is not None:
            self._write_events(None)
        if self.events is not None:
            self.events.close()
            for key, suffix in EVENT_FILES:
                path = self.item.output_path(self.out, suffix)
                if path in self.events.paths:
                    written.append(path)
                    outputs[key] = self.item.relative_output(suffix)
            written += self.snapshots_written
        if self.tracker.zones and self.options.csv:
            target = self.item.output_path(self.out, ".zones.csv")
            try:
                write_stays_csv(target, self.tracker.stays(), self.start)
                written.append(target)
                outputs["zones_csv"] = self.item.relative_output(".zones.csv")
            except Exception as exc:
                self.failed.append((str(target), failure_reason(exc)))
        written += self._write_heatmap(outputs)
        return written

    def _write_heatmap(self, outputs: dict[str, str | None]) -> list[Path]:
        if self.heatmap is None or self._background is None:
            return []
        target = self.item.output_path(self.out, ".heatmap.png")
        try:
            self.heatmap.write_png(target, self._background)
        except Exception as exc:
            self.failed.append((str(target), failure_reason(exc)))
            return []
        outputs["heatmap"] = self.item.relative_output(".heatmap.png")
        return [target]

    def _write_track_files(self, outputs: dict[str, str | None]) -> list[Path]:
        """``.tracks.csv`` always, ``.crossings.csv`` when there are counting lines; each stands alone."""
        assert self.tracker is not None
        tracker, written = self.tracker, []
        for key, suffix in TRACK_FILES:
            if key == "crossings_csv" and not tracker.lines:
                continue
            target = self.item.output_path(self.out, suffix)
            try:
                if key == "tracks_csv":
                    write_tracks_csv(target, tracker.tracks())
                else:
                    write_crossings_csv(target, tracker.sorted_crossings())
            except Exception as exc:
                self.failed.append((str(target), failure_reason(exc)))
                continue
            written.append(target)
            outputs[key] = self.item.relative_output(suffix)
        return written

    def abort(self) -> None:
        """Stop and remove every temp file: nothing of this video is written."""
        if self._video is not None:
            self._video.abort()
            self._video = None
        if self.events is not None:
            self.events.discard()
            self.events = None
        for path in self.snapshots_written:
            path.unlink(missing_ok=True)
        for _target, files in self._files.values():
            files.discard()
        self._files = {}


def _count_kinds(events: list[Event]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for event in events:
        counts[event.kind] = counts.get(event.kind, 0) + 1
    return counts
