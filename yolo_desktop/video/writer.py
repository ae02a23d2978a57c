"""The annotated video: boxes drawn and frames encoded on a thread of their own, into a temp file next to the
target that is renamed into place only when finished. Interrupted, what was written is finished as a playable
file (or removed if empty): a broken file is never left under the output's name.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import cv2
import numpy as np

from ..atomic import commit, discard, temp_path_for
from ..imaging.annotate import draw_detections
from ..inference.engines.quiet import quiet_native_stderr
from ..results import Detections
from .probe import quiet_opencv

# --video-format → (FourCC, extension). Encoders opencv-python-headless's FFmpeg has on every platform.
VIDEO_FORMATS: dict[str, tuple[str, str]] = {
    "mp4": ("mp4v", ".mp4"),  # MPEG-4 Part 2: fast to encode, plays everywhere
    "webm": ("VP80", ".webm"),  # VP8: for browsers; several times slower to encode
    "avi": ("MJPG", ".avi"),  # Motion JPEG: every frame a JPEG, large files, frame-exact editing
}
_DONE = object()


class VideoWriteError(Exception):
    pass


class AnnotatedVideoWriter:
    """``add(rgb, detections)`` from the producer; drawing and encoding happen on the writer thread, at most
    ``max_pending`` frames waiting (the producer blocks beyond that: memory stays bounded)."""

    def __init__(
        self,
        target: Path,
        size: tuple[int, int],
        fps: float,
        video_format: str = "mp4",
        max_pending: int = 6,
        show_label: bool = True,
        show_score: bool = True,
    ) -> None:
        if video_format not in VIDEO_FORMATS:
            raise VideoWriteError(f"unknown video format {video_format!r} (use {', '.join(VIDEO_FORMATS)})")
        fourcc, extension = VIDEO_FORMATS[video_format]
        self.target = target
        self.size = size
        self.show_label, self.show_score = show_label, show_score
        self.frames_written = 0
        self.error: str | None = None
        self._tmp = temp_path_for(target, extension)
        # FFmpeg's webm muxer prints a harmless "tag not supported" line for any FourCC it is given.
        with quiet_opencv(), quiet_native_stderr():
            self._video = cv2.VideoWriter(str(self._tmp), cv2.VideoWriter.fourcc(*fourcc), fps, size)
        if not self._video.isOpened():
            discard(self._tmp)
            raise VideoWriteError(f"cannot write {video_format} video ({fourcc}) with this OpenCV build")
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, max_pending))
        self._thread = threading.Thread(target=self._write_all, name="video-write", daemon=True)
        self._thread.start()
        self._closed = False

    def add(self, rgb: np.ndarray, detections: Detections) -> None:
        """Queue one frame (RGB, the video's size) to be written with these boxes."""
        if self.error is None:
            self._queue.put((rgb, detections))

    def offer(self, rgb: np.ndarray, detections: Detections) -> bool:
        """As ``add``, but never waits: False (frame not written) when ``max_pending`` frames are already waiting
        (live sources drop a frame rather than fall behind)."""
        if self.error is not None or self._closed:
            return False
        try:
            self._queue.put_nowait((rgb, detections))
            return True
        except queue.Full:
            return False

    def _write_all(self) -> None:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if self.error is not None:
                continue  # keep draining so the producer never blocks
            assert isinstance(item, tuple)
            rgb: np.ndarray = item[0]
            detections: Detections = item[1]
            try:
                if (rgb.shape[1], rgb.shape[0]) != self.size:  # OpenCV would drop such a frame without a word
                    raise VideoWriteError(
                        f"a frame is {rgb.shape[1]}×{rgb.shape[0]}, the video {self.size[0]}×{self.size[1]}"
                    )
                # One conversion to OpenCV's order, then boxes drawn on that buffer: no second full-frame copy.
                bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
                draw_detections(bgr, detections, self.show_label, self.show_score, bgr=True, in_place=True)
                self._video.write(bgr)
                self.frames_written += 1
            except Exception as exc:  # a failing encoder ends this file, not the batch
                self.error = f"encoding failed at frame {self.frames_written}: {exc}"

    def _stop(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put(_DONE)
            self._thread.join()
            self._video.release()

    def finish(self) -> Path | None:
        """Write what is queued, close the file and move it into place; None (nothing left behind) when no frame
        was written. Raises ``VideoWriteError`` when encoding failed."""
        self._stop()
        if self.error is not None:
            discard(self._tmp)
            raise VideoWriteError(self.error)
        if self.frames_written == 0:
            discard(self._tmp)
            return None
        try:
            commit(self._tmp, self.target)
        except OSError as exc:
            discard(self._tmp)
            raise VideoWriteError(f"cannot write {self.target}: {exc.strerror or exc}") from None
        return self.target

    def abort(self) -> None:
        """Stop and remove the temp file: nothing is written."""
        self._stop()
        discard(self._tmp)
