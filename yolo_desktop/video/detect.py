"""The one video loop: frames → ``pipeline.Pipeline`` (as ``Job.video_frame``) → results, in frame order.

    decoding  ``FrameReader`` thread, a few frames ahead
    letterbox the pipeline's loader thread
    network   the thread iterating ``VideoDetection`` (the model's owner)
    writing   the caller's (``writer.AnnotatedVideoWriter`` has its own thread)

With a stride, only every n-th frame goes through the network; the frames in between travel with the processed
frame before them (``FrameDetections.following``) so a writer can draw them with its boxes. Frames in memory at
once: at most 4 decoded ahead, (prefetch + 2) strides in the pipeline and being grouped, 6 waiting for the encoder —
about 4 × stride + 10, whatever the video's length.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from ..inference.engines.lanes import default_lanes
from ..pipeline.run import Job, Pipeline, Runner
from ..results import ImageResult
from ..settings import DetectorSettings
from .probe import VideoError, VideoInfo, open_video
from .reader import Frame, FrameReader
from .timecode import format_time

PREFETCH = 2  # frames letterboxed ahead of the network (each carries its stride's following frames)


@dataclass(frozen=True)
class FrameRange:
    """Which frames to process: every ``stride``-th, from ``start`` to ``end`` seconds (end exclusive)."""

    stride: int = 1
    start: float = 0.0
    end: float | None = None

    def __post_init__(self) -> None:
        if self.stride < 1:
            raise ValueError(f"stride {self.stride} must be at least 1")
        if self.start < 0:
            raise ValueError("the start time cannot be negative")
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"the end ({format_time(self.end)}) must come after the start ({format_time(self.start)})")

    def bounds(self, info: VideoInfo) -> tuple[int, int | None]:
        """First frame, and one past the last (None: to the end), for a video of ``info.fps``."""
        first = math.ceil(self.start * info.fps - 1e-6)
        last = None if self.end is None else math.ceil(self.end * info.fps - 1e-6)
        if info.frame_count and first >= info.frame_count:
            raise VideoError(
                info.name,
                f"the range starts at {format_time(self.start)}, after the end ({format_time(info.duration)})",
            )
        return first, last

    def processes(self, index: int, first: int) -> bool:
        return (index - first) % self.stride == 0


@dataclass(frozen=True, eq=False)
class FrameDetections:
    frame: Frame  # the processed frame, with its pixels (what the network saw)
    result: ImageResult  # its detections (and candidates); ``path`` is ``clip.mp4#<frame>``
    following: tuple[Frame, ...]  # the stride's frames after it, not processed (pixels only if kept)


def frame_name(path: str, index: int) -> str:
    return f"{os.path.basename(path)}#{index}"


class VideoDetection:
    """Opens ``path`` (raises ``VideoError`` with the reason when it cannot) and, iterated on the model's owner
    thread, yields one ``FrameDetections`` per processed frame. ``keep_pixels``: the frames between processed ones
    are decoded too (to be written); otherwise they are only stepped over. ``settings``: how frames are prepared and
    selected (None: the runner's). After the iteration ``stopped_early`` says where and why a damaged file ended
    before its stated length."""

    def __init__(
        self,
        runner: Runner,
        path: str,
        frames: FrameRange = FrameRange(),
        keep_pixels: bool = True,
        cancel: threading.Event | None = None,
        settings: DetectorSettings | None = None,
    ) -> None:
        self.runner = runner
        self.settings = settings
        self.path = path
        self.frames = frames
        self.cancel = cancel
        capture, self.info = open_video(path)
        try:
            self.first, self.last = frames.bounds(self.info)
        except VideoError:
            capture.release()
            raise
        self.reader = FrameReader(
            capture,
            self.info,
            self.first,
            self.last,
            want=lambda index: keep_pixels or frames.processes(index, self.first),
            ahead=4,
        )
        self.processed = 0

    @property
    def expected_frames(self) -> int | None:
        """Frames in the range, when the container states its length."""
        end = self.reader.expected_end
        return None if end is None else max(0, end - self.first)

    @property
    def frames_read(self) -> int:
        return self.reader.frames_read

    @property
    def stopped_early(self) -> str | None:
        return self.reader.stopped_early

    def close(self) -> None:
        self.reader.close()

    def _groups(self) -> Iterator[tuple[Frame, tuple[Frame, ...]]]:
        current: Frame | None = None
        following: list[Frame] = []
        for frame in self.reader:
            if self.frames.processes(frame.index, self.first):
                if current is not None:
                    yield current, tuple(following)
                current, following = frame, []
            elif current is not None:
                following.append(frame)
        if current is not None:
            yield current, tuple(following)

    def _jobs(self) -> Iterator[Job]:
        for frame, following in self._groups():
            assert frame.rgb is not None
            name = frame_name(self.path, frame.index)
            yield Job.video_frame(frame.rgb, name, tag=(frame, following), settings=self.settings)

    def __iter__(self) -> Iterator[FrameDetections]:
        try:
            for done in Pipeline(self.runner, prefetch=PREFETCH, lanes=default_lanes()).run(
                self._jobs(), cancel=self.cancel
            ):
                frame, following = done.job.tag
                self.processed += 1
                yield FrameDetections(frame, done.result, following)
        finally:
            self.close()
