"""One video's outputs — the annotated video, ``<stem>.frames.jsonl``, ``<stem>.frames.csv`` and, tracked,
``<stem>.tracks.csv`` and ``<stem>.crossings.csv`` — and its record for ``detections.json``: what ``detect`` writes
(``run.py``) and what the window's export writes (``export.py``).

    output = VideoOutput(item, out, info, options)   # opens every output (temp files next to their targets)
    shown = output.add(index, time, detections)      # a processed frame: tracked, its lines, its counts
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

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..export.writer import failure_reason
from ..pipeline.inputs import InputImage
from ..results import Detections
from .detect import FrameRange
from .frame_files import FrameFiles
from .probe import VideoInfo
from .record import VideoStats, video_record
from .track_files import write_crossings_csv, write_tracks_csv
from .tracking import TRACKED, Tracker, TrackingOptions, tracking_record
from .writer import VIDEO_FORMATS, AnnotatedVideoWriter, VideoWriteError

FRAME_FILES = (("frames_jsonl", ".frames.jsonl"), ("frames_csv", ".frames.csv"))  # record key, suffix of the stem
TRACK_FILES = (("tracks_csv", ".tracks.csv"), ("crossings_csv", ".crossings.csv"))


@dataclass(frozen=True)
class VideoOutputOptions:
    video: bool = True  # the annotated video (off with --no-images, or "annotated images" unticked)
    video_format: str = "mp4"  # a key of VIDEO_FORMATS
    jsonl: bool = True  # <stem>.frames.jsonl
    csv: bool = True  # <stem>.frames.csv (and, tracked, <stem>.tracks.csv and .crossings.csv)
    tracking: TrackingOptions | None = TRACKED  # None: not tracked (--no-track)

    @property
    def extension(self) -> str:
        return VIDEO_FORMATS[self.video_format][1]


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
        item: InputImage,
        out: Path,
        info: VideoInfo,
        options: VideoOutputOptions = VideoOutputOptions(),
        frames: FrameRange = FrameRange(),  # the range processed (for the record)
    ) -> None:
        self.item, self.out, self.info, self.options, self.frames = item, out, info, options, frames
        self.stats = VideoStats()
        self.tracker = Tracker(options.tracking) if options.tracking is not None else None
        self.failed: list[tuple[str, str]] = []
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

    @property
    def draws(self) -> bool:
        """Whether an annotated video is being written (``draw`` is a no-op otherwise)."""
        return self._video is not None

    def add(self, index: int, time: float, detections: Detections) -> Detections:
        """A processed frame (in frame order): tracked, its line(s) in the frame files and its counts in the
        record. Returns its detections as written (with their track ids): what to draw."""
        if self.tracker is not None:
            detections = self.tracker.update(index, time, detections)
        self.stats.add(detections)
        for key, (target, files) in list(self._files.items()):
            try:
                files.add(index, time, detections)
            except Exception as exc:  # a full disk: this file stops here, the others go on
                files.discard()
                del self._files[key]
                self.failed.append((str(target), failure_reason(exc)))
        return detections

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
            tracking=tracking_record(self.tracker) if self.tracker is not None else None,
        )
        return VideoOutputResult(record, written, list(self.failed))

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
        for _target, files in self._files.values():
            files.discard()
        self._files = {}
