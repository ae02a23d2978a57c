"""Export a video already processed in the window: the same files as the command line (annotated video,
``.frames.jsonl``/``.csv``, tracks and crossings, the record for ``detections.json``, all through
``output.VideoOutput``) at the thresholds on screen, from the kept candidates; tracked again from those (the same
frames in the same order: the ids the window shows). The network does not run; the video is decoded once more to
draw on its frames."""

from __future__ import annotations

import threading
from pathlib import Path

from ..pipeline.inputs import InputFile
from ..results import Detections
from ..settings import DetectorSettings
from .frame_store import FrameStore
from .output import VideoOutput, VideoOutputOptions, VideoOutputResult
from .probe import VideoError, open_video
from .reader import FrameReader


def export_video(
    store: FrameStore,
    item: InputFile,
    out: Path,
    settings: DetectorSettings,
    options: VideoOutputOptions = VideoOutputOptions(),
    cancel: threading.Event | None = None,
) -> VideoOutputResult:
    """Write ``item``'s outputs under ``out`` for the frames in ``store`` (a video processed up to some frame is
    exported up to there). Failures are reported in the result, never raised."""
    try:
        capture, info = open_video(item.path)
    except VideoError as exc:
        unreadable = VideoOutputResult.unreadable(item.path, exc.reason)
        unreadable.failed.append((item.path, exc.reason))  # the export's report is all the window shows
        return unreadable
    indexes = store.frame_indexes
    last = int(indexes[-1]) + 1 if len(indexes) else 0
    output = VideoOutput(item, out, info, options)
    reader = FrameReader(capture, info, 0, last, want=lambda _index: output.needs_pixels)
    shown = Detections.empty()
    position = -1
    try:
        for frame in reader:
            if cancel is not None and cancel.is_set():
                break
            if position + 1 < len(indexes) and int(indexes[position + 1]) == frame.index:
                position += 1
                detections = store.detections(position, settings)
                shown = output.add(frame.index, float(store.times[position]), detections, frame.rgb)
            if frame.rgb is not None and output.draws:
                output.draw(frame.rgb, shown)
    except BaseException:
        output.abort()  # no half-written file is left
        raise
    finally:
        reader.close()
    return output.finish(frames_read=reader.frames_read, error=reader.stopped_early)
