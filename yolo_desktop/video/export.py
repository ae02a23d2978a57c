"""Export a video already processed in the window: the same files as the command line (annotated video,
``.frames.jsonl``/``.csv``, the record for ``detections.json``) at the thresholds on screen, from the kept
candidates. The network does not run; the video is decoded once more to draw on its frames."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..batch import InputImage
from ..results import Detection
from ..settings import DetectorSettings
from .frame_files import FrameFiles
from .frame_store import FrameStore
from .probe import VideoError, open_video
from .reader import FrameReader
from .record import VideoStats, video_record
from .writer import VIDEO_FORMATS, AnnotatedVideoWriter, VideoWriteError


@dataclass
class VideoExport:
    record: dict[str, Any]
    written: list[Path] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)


def export_video(
    store: FrameStore,
    item: InputImage,
    out: Path,
    settings: DetectorSettings,
    *,
    video: bool = True,
    video_format: str = "mp4",
    jsonl: bool = True,
    csv: bool = True,
    cancel: threading.Event | None = None,
) -> VideoExport:
    """Write ``item``'s outputs under ``out`` for the frames in ``store`` (a video processed up to some frame is
    exported up to there). Failures are reported in the result, never raised."""
    stats = VideoStats()
    indexes = store.frame_indexes
    try:
        capture, info = open_video(item.path)
    except VideoError as exc:
        return VideoExport(video_record(item.path, None, stats, error=exc.reason), failed=[(item.path, exc.reason)])
    last = int(indexes[-1]) + 1 if len(indexes) else 0
    reader = FrameReader(capture, info, 0, last, want=lambda _index: video)
    result = VideoExport({})
    extension = VIDEO_FORMATS[video_format][1]
    writer = None
    if video:
        try:
            writer = AnnotatedVideoWriter(
                item.output_path(out, extension), (info.width, info.height), info.fps, video_format
            )
        except (VideoWriteError, OSError) as exc:
            result.failed.append((str(item.output_path(out, extension)), str(exc)))
    try:
        files = FrameFiles(
            item.output_path(out, ".frames.jsonl") if jsonl else None,
            item.output_path(out, ".frames.csv") if csv else None,
        )
    except OSError as exc:
        reader.close()
        if writer is not None:
            writer.abort()
        result.failed.append((item.relative_output(".frames.jsonl"), exc.strerror or str(exc)))
        result.record = video_record(item.path, info, stats, error=result.failed[-1][1])
        return result
    shown: tuple[Detection, ...] = ()
    position = -1
    try:
        for frame in reader:
            if cancel is not None and cancel.is_set():
                break
            if position + 1 < len(indexes) and int(indexes[position + 1]) == frame.index:
                position += 1
                shown = store.detections(position, settings)
                stats.add(shown)
                files.add(frame.index, float(store.times[position]), shown)
            if writer is not None and frame.rgb is not None:
                writer.add(frame.rgb, shown)
    finally:
        reader.close()
    outputs: dict[str, str | None] = {"video": None, "frames_jsonl": None, "frames_csv": None}
    if writer is not None:
        try:
            path = writer.finish()
            if path is not None:
                result.written.append(path)
                outputs["video"] = item.relative_output(extension)
        except VideoWriteError as exc:
            result.failed.append((str(writer.target), str(exc)))
    try:
        for path in files.commit():
            result.written.append(path)
            suffix = path.name[len(item.stem) :]
            outputs["frames_jsonl" if suffix.endswith(".jsonl") else "frames_csv"] = item.relative_output(suffix)
    except OSError as exc:
        result.failed.append((item.relative_output(".frames.jsonl"), exc.strerror or str(exc)))
    result.record = video_record(
        item.path, info, stats, frames_read=reader.frames_read, outputs=outputs, error=reader.stopped_early
    )
    return result
