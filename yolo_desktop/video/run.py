"""One video end to end, for ``yolo-desktop detect``: the annotated video, the per-frame files, the record for
``detections.json``, a progress bar in frames (with frames/s and time left), and Ctrl+C that leaves playable,
parseable files of what was done."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from ..batch import InputImage
from ..pipeline import Runner
from .detect import FrameRange, VideoDetection
from .frame_files import FrameFiles
from .probe import VideoError
from .record import VideoStats, video_record
from .timecode import format_time
from .writer import VIDEO_FORMATS, AnnotatedVideoWriter, VideoWriteError


@dataclass(frozen=True)
class VideoOptions:
    frames: FrameRange = field(default_factory=FrameRange)
    video_format: str = "mp4"  # a key of VIDEO_FORMATS
    write_video: bool = True  # the annotated video (off with --no-images)
    jsonl: bool = True  # <name>.frames.jsonl
    csv: bool = True  # <name>.frames.csv


@dataclass
class VideoOutcome:
    item: InputImage
    record: dict[str, Any]
    error: str | None  # why the video could not be read, or where it stopped; None when read to the end
    seconds: float = 0.0
    written: list[Path] = field(default_factory=list)
    write_failures: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)


def process_video(
    runner: Runner,
    item: InputImage,
    out: Path,
    options: VideoOptions = VideoOptions(),
    quiet: bool = False,
    cancel: threading.Event | None = None,
) -> VideoOutcome:
    """Detect every (stride-th) frame of one video and write its outputs under ``out`` (the item's mirrored
    place). A video that cannot be read, or stops early, is reported in ``error``; nothing here raises for bad
    input. On Ctrl+C the outputs so far are finished (playable, parseable) and KeyboardInterrupt propagates."""
    started = time.perf_counter()
    stats = VideoStats()
    frames = options.frames
    cancel = cancel if cancel is not None else threading.Event()
    try:
        detection = VideoDetection(runner, item.path, frames, keep_pixels=options.write_video, cancel=cancel)
    except VideoError as exc:
        record = video_record(
            item.path, None, stats, stride=frames.stride, start=frames.start, end=frames.end, error=exc.reason
        )
        return VideoOutcome(item, record, exc.reason, time.perf_counter() - started)
    info = detection.info
    outcome = VideoOutcome(item, {}, None)
    outputs: dict[str, str | None] = {"video": None, "frames_jsonl": None, "frames_csv": None}
    writer: AnnotatedVideoWriter | None = None
    extension = VIDEO_FORMATS[options.video_format][1]
    if options.write_video:
        try:
            writer = AnnotatedVideoWriter(
                item.output_path(out, extension), (info.width, info.height), info.fps, options.video_format
            )
        except (VideoWriteError, OSError) as exc:
            outcome.write_failures.append((str(item.output_path(out, extension)), str(exc)))
    try:
        files = FrameFiles(
            item.output_path(out, ".frames.jsonl") if options.jsonl else None,
            item.output_path(out, ".frames.csv") if options.csv else None,
        )
    except OSError as exc:
        detection.close()
        if writer is not None:
            writer.abort()
        reason = f"cannot write its frame files: {exc.strerror or exc}"
        outcome.record = video_record(item.path, info, stats, error=reason)
        outcome.error = reason
        return outcome
    bar = tqdm(
        total=detection.expected_frames,
        unit="frame",
        desc=item.relative_output(extension if options.write_video else ""),
        file=sys.stderr,
        disable=True if quiet else None,
        dynamic_ncols=True,
        leave=False,
    )
    failed_frames: list[str] = []
    interrupted = threading.Event()
    try:
        with _ctrl_c_sets(interrupted, cancel):
            for found in detection:
                result = found.result
                if not result.ok:
                    failed_frames.append(f"frame {found.frame.index}: {result.error}")
                stats.add(result.detections)
                files.add(found.frame.index, found.frame.time, result.detections)
                if writer is not None:
                    assert found.frame.rgb is not None
                    writer.add(found.frame.rgb, result.detections)
                    for frame in found.following:  # the stride's frames keep the boxes of the frame before them
                        assert frame.rgb is not None
                        writer.add(frame.rgb, result.detections)
                bar.update(1 + len(found.following))
    finally:
        bar.close()
        detection.close()
        _finish_outputs(outcome, writer, files, outputs, item)
    if interrupted.is_set():
        print(
            f"\ninterrupted: {item.path}: the first {stats.processed} processed frames were written "
            f"({', '.join(str(p) for p in outcome.written) or 'no files'}); each file is complete and playable",
            file=sys.stderr,
        )
        raise KeyboardInterrupt
    error = detection.stopped_early
    if failed_frames:
        more = f" (and {len(failed_frames) - 1} more)" if len(failed_frames) > 1 else ""
        error = "; ".join(filter(None, (error, f"detection failed on {failed_frames[0]}{more}")))
    outcome.error = error
    outcome.seconds = time.perf_counter() - started
    outcome.record = video_record(
        item.path,
        info,
        stats,
        frames_read=detection.frames_read,
        stride=frames.stride,
        start=frames.start,
        end=frames.end,
        outputs=outputs,
        error=error,
    )
    return outcome


def _finish_outputs(
    outcome: VideoOutcome,
    writer: AnnotatedVideoWriter | None,
    files: FrameFiles,
    outputs: dict[str, str | None],
    item: InputImage,
) -> None:
    if writer is not None:
        try:
            written = writer.finish()
            if written is not None:
                outcome.written.append(written)
                outputs["video"] = item.relative_output(written.suffix)
        except VideoWriteError as exc:
            outcome.write_failures.append((str(writer.target), str(exc)))
    try:
        for path in files.commit():
            outcome.written.append(path)
            key = "frames_jsonl" if path.name.endswith(".jsonl") else "frames_csv"
            outputs[key] = item.relative_output(path.name[len(item.stem) :])
    except OSError as exc:
        outcome.write_failures.append((item.relative_output(".frames.jsonl/.csv"), exc.strerror or str(exc)))


def print_video_summary(outcomes: Sequence[VideoOutcome], stream: TextIO) -> int:
    """Per video: frames processed, speed, detections per class (with the most seen at once), and any problem.
    Returns how many videos could not be read to the end."""
    for outcome in outcomes:
        record = outcome.record
        if record.get("fps") is None:
            continue  # could not be opened: listed below
        rate = record["frames_read"] / outcome.seconds if outcome.seconds > 0 else 0.0
        stride = record["range"]["stride"]
        print(
            f"{outcome.item.path}: {record['frames_processed']} frames processed"
            + (f" (stride {stride}, of {record['frames_read']} read)" if stride > 1 else "")
            + f", {format_time(record['frames_read'] / record['fps'])} of video in {outcome.seconds:.1f} s "
            f"({rate:.1f} frames/s), {record['detections']} detections",
            file=stream,
        )
        counts = record["counts"]
        if counts:
            width = max(len(label) for label in counts)
            for label, count in counts.items():
                print(f"  {label:<{width}}  {count}  (at most {record['most_at_once'][label]} at once)", file=stream)
    failed = [o for o in outcomes if o.error is not None]
    if failed:
        print(f"{len(failed)} video{'s' if len(failed) != 1 else ''} not read to the end:", file=stream)
        for outcome in failed:
            print(f"  {outcome.item.path}: {outcome.error}", file=stream)
    return len(failed)


@contextlib.contextmanager
def _ctrl_c_sets(interrupted: threading.Event, cancel: threading.Event) -> Iterator[threading.Event]:
    """While a video runs, Ctrl+C stops it between two frames (so the video and its frame files hold the same
    frames) instead of raising wherever the main thread happens to be; a second Ctrl+C raises at once."""
    if threading.current_thread() is not threading.main_thread():
        yield interrupted
        return
    previous = signal.getsignal(signal.SIGINT)

    def on_interrupt(signum: int, frame: Any) -> None:
        if interrupted.is_set():
            raise KeyboardInterrupt
        interrupted.set()
        cancel.set()

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)
