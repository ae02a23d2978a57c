"""Frames for the window's player, decoded on a thread of their own: the GUI thread asks for a frame and goes on;
the frame arrives through a callback. Only the newest request matters (dragging the slider asks for many frames;
the ones passed over are never decoded). Playing forward reads on; any other frame is a seek."""

from __future__ import annotations

import threading
from collections.abc import Callable

import cv2
import numpy as np

from .probe import VideoError, VideoInfo, open_video

# (frame index, its time in seconds, RGB pixels or None, problem or None); called on the decoder thread.
FrameCallback = Callable[[int, float, np.ndarray | None, str | None], None]


class FrameFetcher:
    def __init__(self, path: str, on_frame: FrameCallback) -> None:
        self.path = path
        self.on_frame = on_frame
        self.info: VideoInfo | None = None
        self._wanted: int | None = None
        self._next = 0  # the frame a plain read would return
        self._capture: cv2.VideoCapture | None = None
        self._ready = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="video-player", daemon=True)
        self._thread.start()

    def request(self, index: int) -> None:
        """Ask for frame ``index`` (never waits); replaces any request not started yet."""
        with self._ready:
            self._wanted = max(0, index)
            self._ready.notify()

    def close(self, timeout: float | None = 0) -> None:
        """Stop; the capture is released by the decoder thread (``timeout`` None waits for that)."""
        with self._ready:
            self._closed = True
            self._ready.notify()
        if timeout != 0:
            self._thread.join(timeout)

    @property
    def closed(self) -> bool:
        """True once the decoder thread has ended and released the file."""
        return not self._thread.is_alive()

    def _serve(self) -> None:
        try:
            self._capture, self.info = open_video(self.path)
        except VideoError as exc:
            self.on_frame(-1, 0.0, None, exc.reason)
            return
        try:
            while True:
                with self._ready:
                    while self._wanted is None and not self._closed:
                        self._ready.wait()
                    if self._closed:
                        return
                    index, self._wanted = self._wanted, None
                if index is not None:
                    self._deliver(index)
        finally:
            self._capture.release()

    def _deliver(self, index: int) -> None:
        assert self._capture is not None and self.info is not None
        if index != self._next:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            self._next = index
        ok, bgr = self._capture.read()
        if not ok or bgr is None:
            self.on_frame(index, index / self.info.fps, None, f"frame {index} could not be decoded")
            self._next = -1  # position unknown: the next request seeks
            return
        self._next = index + 1
        msec = self._capture.get(cv2.CAP_PROP_POS_MSEC)
        time_s = msec / 1000.0 if msec > 0 or index == 0 else index / self.info.fps
        self.on_frame(index, time_s, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), None)
