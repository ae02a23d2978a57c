"""One video end to end, for ``yolo-desktop detect``: the annotated video, the per-frame files, the record for
``detections.json``, a progress bar in frames (with frames/s and time left), and Ctrl+C that leaves playable,
parseable files of what was done."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from ..pipeline.inputs import InputFile
from ..pipeline.run import Runner
from ..settings import DetectorSettings
from .detect import FrameRange, VideoDetection
from .output import VideoOutput, VideoOutputOptions, VideoOutputResult
from .probe import VideoError, VideoInfo
from .timecode import format_time
from .zones import ZoneError


def process_video(
    runner: Runner,
    item: InputFile,
    out: Path,
    options: VideoOutputOptions = VideoOutputOptions(),
    quiet: bool = False,
    cancel: threading.Event | None = None,
    frames: FrameRange = FrameRange(),
    choose: Callable[[VideoInfo], VideoOutputOptions] | None = None,
    on_frame: Callable[[int], object] | None = None,
    ctrl_c: bool = True,
    settings: DetectorSettings | None = None,
) -> VideoOutputResult:
    """Detect every (stride-th) frame of ``frames`` of one video and write its outputs under ``out`` (the item's
    mirrored place). A video that cannot be read, or stops early, is reported in the record's ``error``, a file
    that cannot be written in ``failed``; nothing here raises for bad input. On Ctrl+C the outputs so far are
    finished (playable, parseable) and KeyboardInterrupt propagates. ``choose``: the options for this video once
    its size is known (its camera's zones); a ``ZoneError`` it raises is the video's error, and nothing is written.
    ``on_frame``: called with the frames read so far after each processed frame (a queue worker's heartbeat);
    ``ctrl_c`` False leaves SIGINT to the caller (a queue worker stops between jobs); ``settings``: the frames'
    (thresholds, classes, tiles) when not the runner's own (a queue worker's detector serves every job)."""
    started = time.perf_counter()
    cancel = cancel if cancel is not None else threading.Event()
    try:
        detection = VideoDetection(
            runner, item.path, frames, keep_pixels=options.video, cancel=cancel, settings=settings
        )
    except VideoError as exc:
        unreadable = VideoOutputResult.unreadable(item.path, exc.reason, frames)
        unreadable.seconds = time.perf_counter() - started
        return unreadable
    if choose is not None:
        try:
            options = choose(detection.info)
        except ZoneError as exc:
            detection.close()
            refused = VideoOutputResult.unreadable(item.path, str(exc), frames)
            refused.seconds = time.perf_counter() - started
            return refused
    output = VideoOutput(item, out, detection.info, options, frames)
    bar = tqdm(
        total=detection.expected_frames,
        unit="frame",
        desc=item.relative_output(options.extension if options.video else ""),
        file=sys.stderr,
        disable=True if quiet else None,
        dynamic_ncols=True,
        leave=False,
    )
    failed_frames: list[str] = []
    interrupted = threading.Event()
    try:
        with _ctrl_c_sets(interrupted, cancel) if ctrl_c else contextlib.nullcontext(interrupted):
            for found in detection:
                result = found.result
                if not result.ok:
                    failed_frames.append(f"frame {found.frame.index}: {result.error}")
                shown = output.add(found.frame.index, found.frame.time, result.detections, found.frame.rgb)
                if output.draws:  # the stride's frames keep the boxes of the frame before them
                    for frame in (found.frame, *found.following):
                        assert frame.rgb is not None  # kept: keep_pixels=options.video
                        output.draw(frame.rgb, shown)
                bar.update(1 + len(found.following))
                if on_frame is not None:
                    on_frame(detection.frames_read)
    finally:
        bar.close()
        detection.close()
        error = detection.stopped_early
        if failed_frames:
            more = f" (and {len(failed_frames) - 1} more)" if len(failed_frames) > 1 else ""
            error = "; ".join(filter(None, (error, f"detection failed on {failed_frames[0]}{more}")))
        done = output.finish(frames_read=detection.frames_read, error=error)
    if interrupted.is_set():
        print(
            f"\ninterrupted: {item.path}: the first {output.stats.processed} processed frames were written "
            f"({', '.join(str(p) for p in done.written) or 'no files'}); each file is complete and playable",
            file=sys.stderr,
        )
        raise KeyboardInterrupt
    done.seconds = time.perf_counter() - started
    return done


def print_video_summary(outcomes: Sequence[VideoOutputResult], stream: TextIO) -> int:
    """Per video: frames processed, speed, per class the distinct objects (tracked) and detections (with the most
    seen at once), each counting line's crossings, and any problem. Returns how many videos could not be read to
    the end."""
    for outcome in outcomes:
        record = outcome.record
        if record.get("fps") is None:
            continue  # could not be opened: listed below
        rate = record["frames_read"] / outcome.seconds if outcome.seconds > 0 else 0.0
        stride = record["range"]["stride"]
        print(
            f"{outcome.path}: {record['frames_processed']} frames processed"
            + (f" (stride {stride}, of {record['frames_read']} read)" if stride > 1 else "")
            + f", {format_time(record['frames_read'] / record['fps'])} of video in {outcome.seconds:.1f} s "
            f"({rate:.1f} frames/s), {record['detections']} detections",
            file=stream,
        )
        counts = record["counts"]
        distinct = record.get("distinct_objects")  # tracked: the objects, not the detections
        if counts:
            width = max(len(label) for label in counts)
            for label, count in counts.items():
                most = record["most_at_once"][label]
                if distinct is None:
                    print(f"  {label:<{width}}  {count}  (at most {most} at once)", file=stream)
                else:
                    objects = distinct.get(label, 0)
                    print(
                        f"  {label:<{width}}  {objects} distinct  ({count} detections, at most {most} at once)",
                        file=stream,
                    )
        for line in record.get("lines", ()):
            first, second = line["directions"]
            crossed = [
                f"{label} {counts[first]} {first}, {counts[second]} {second}"
                for label, counts in line["crossings"].items()
            ]
            print(f"  {line['name']}: {'; '.join(crossed) or 'nothing crossed'}", file=stream)
        for zone in record.get("zones", ()):
            print(f"  zone {zone['name']}: {zone_text(zone['counts'])}", file=stream)
        if "events" in record:
            print(f"  events: {events_text(record['events'])}", file=stream)
    print_totals(outcomes, stream)
    failed = [o for o in outcomes if o.error is not None]
    if failed:
        print(f"{len(failed)} video{'s' if len(failed) != 1 else ''} not read to the end:", file=stream)
        for outcome in failed:
            print(f"  {outcome.path}: {outcome.error}", file=stream)
    return len(failed)


def zone_text(counts: dict[str, dict[str, int]]) -> str:
    """``person 3 entered, 2 left, 1 visits, 1 inside; car …`` (or that nothing entered)."""
    parts = [
        f"{label} {c['entered']} entered, {c['left']} left, {c['visits']} visits, {c['inside']} inside"
        for label, c in counts.items()
    ]
    return "; ".join(parts) or "nothing entered"


def events_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {kind}" for kind, count in counts.items()) or "none"


def print_totals(outcomes: Sequence[VideoOutputResult], stream: TextIO) -> None:
    """Over several videos: frames, detections, distinct objects per class and events, summed."""
    records = [o.record for o in outcomes if o.record.get("fps") is not None]
    if len(records) < 2:
        return
    seconds = sum(r["frames_read"] / r["fps"] for r in records)
    objects: Counter[str] = Counter()
    events: Counter[str] = Counter()
    for record in records:
        objects.update(record.get("distinct_objects", {}))
        events.update(record.get("events", {}))
    line = (
        f"All {len(records)} videos: {format_time(seconds)} of video, "
        f"{sum(r['frames_processed'] for r in records)} frames processed, {sum(r['detections'] for r in records)} "
        "detections"
    )
    if objects:
        line += "; distinct " + ", ".join(f"{label} {count}" for label, count in objects.most_common())
    if events:
        line += "; events " + events_text(dict(sorted(events.items())))
    print(line, file=stream)


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
