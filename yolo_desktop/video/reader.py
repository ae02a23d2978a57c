"""Frames of a video file, decoded ahead on their own thread (at most ``ahead`` frames: memory stays flat)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from .probe import VideoInfo
from .timecode import format_time

_END = object()


@dataclass(frozen=True, eq=False)
class Frame:
    index: int  # frame number in the file, from 0
    time: float  # seconds from the start of the file (the frame's own timestamp)
    rgb: np.ndarray | None  # (H, W, 3) uint8 RGB; None for a frame only counted, not decoded to pixels


def truncation_tolerance(frame_count: int) -> int:
    """Frames a container's count may overstate without the file being damaged: MP4 and AVI state it exactly,
    Matroska/WebM derive it from the duration (one or two frames off)."""
    return max(2, frame_count // 100)


class FrameReader:
    """Decodes frames ``first``..``last`` (exclusive; None = to the end) of an open capture on a thread.

    ``want(index)`` says whether a frame's pixels are needed; the others are only stepped over (``grab``, no
    colour conversion). Iterate it once; ``close`` (or leaving the iteration) stops the thread and releases the
    capture. After the iteration, ``stopped_early`` says why frames ended before the expected count, if they did.
    """

    def __init__(
        self,
        capture: cv2.VideoCapture,
        info: VideoInfo,
        first: int = 0,
        last: int | None = None,
        want: Callable[[int], bool] | None = None,
        ahead: int = 4,
    ) -> None:
        self.capture = capture
        self.info = info
        self.first = max(0, first)
        self.last = last
        self.want = want or (lambda _index: True)
        self.frames_read = 0
        self.stopped_early: str | None = None
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, ahead))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read_all, name="video-decode", daemon=True)
        self._started = False

    @property
    def expected_end(self) -> int | None:
        """One past the last frame expected, when known (the range end, or the container's count)."""
        ends = [e for e in (self.last, self.info.frame_count or None) if e is not None]
        return min(ends) if ends else None

    def __iter__(self) -> Iterator[Frame]:
        if not self._started:
            self._started = True
            self._thread.start()
        try:
            while True:
                item = self._queue.get()
                if item is _END:
                    return
                assert isinstance(item, Frame)
                yield item
        finally:
            self.close()

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            try:  # unblock a producer waiting for room
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self.capture.release()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _seek(self) -> int:
        """Position the capture at ``first``; returns the index of the next frame it will give."""
        if self.first == 0:
            return 0
        if (
            self.capture.set(cv2.CAP_PROP_POS_FRAMES, self.first)
            and int(round(self.capture.get(cv2.CAP_PROP_POS_FRAMES))) == self.first
        ):
            return self.first
        # Not seekable: step over frames instead.
        self.capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
        index = 0
        while index < self.first and self.capture.grab():
            index += 1
        return index

    def _read_all(self) -> None:
        index = self.first
        try:
            index = self._seek()
            end = self.expected_end
            while not self._stop.is_set() and (self.last is None or index < self.last):
                wanted = self.want(index)
                if not self.capture.grab():
                    break
                rgb = None
                if wanted:
                    ok, bgr = self.capture.retrieve()
                    if not ok or bgr is None:
                        break
                    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                msec = self.capture.get(cv2.CAP_PROP_POS_MSEC)
                time = msec / 1000.0 if msec > 0 or index == 0 else index / self.info.fps
                if not self._put(Frame(index, time, rgb)):
                    return
                index += 1
                self.frames_read += 1
            if not self._stop.is_set() and end is not None and index < end - truncation_tolerance(end):
                at = format_time(index / self.info.fps)
                self.stopped_early = (
                    f"stopped at frame {index} ({at}) of {end}: the rest could not be decoded "
                    f"(the file is damaged or truncated)"
                )
            if self.frames_read == 0 and self.first == 0 and self.stopped_early is None and not self._stop.is_set():
                codec = f" '{self.info.codec}'" if self.info.codec else ""
                self.stopped_early = f"no frame could be decoded (video codec{codec}: damaged or unsupported)"
            self._put(_END)
        except Exception as exc:  # a decoder failure ends this video with a reason, never the batch
            self.stopped_early = f"decoding failed at frame {index}: {exc}"
            self._put(_END)
