"""Live sources (cameras, RTSP/HTTP streams, or a video file standing in for one), without Qt.

    CameraCapture   reads the source on its own thread and keeps only the newest frame: when the network is slower
                    than the camera, frames in between are dropped, never queued (no growing lag)
    LiveDetection   a thread that owns its own detector and always detects the newest frame (``pipeline.run_one``)
    Recording       every captured frame, drawn with the newest detections, into an annotated video, and each
                    detected frame's detections into ``.frames.jsonl``; tracked, also ``.tracks.csv`` (the tracks
                    seen while recording), ``.crossings.csv`` and ``.events.csv`` (written as events happen, with
                    the computer's clock)
    save_snapshot   the annotated frame and its detections, as files
    probe_cameras   which device indexes open

Nothing here blocks the caller on the device: opening, reading and releasing happen on the capture thread, and
``stop`` only asks. A source that does not answer, or stops sending, is reported with a one-line reason.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np

from ..atomic import write_bytes, write_text
from ..export.images import encode_image
from ..imaging.annotate import draw_detections
from ..pipeline.run import Job, Runner, run_one
from ..records import image_record
from ..results import Detections, ImageResult
from .event_files import EventFiles
from .events import Event
from .frame_files import FrameFiles
from .probe import VideoError, VideoInfo, device_name, open_device
from .track_files import write_crossings_csv, write_tracks_csv
from .tracking import Crossing, TrackLog
from .writer import VIDEO_FORMATS, AnnotatedVideoWriter

LOST_AFTER_S = 3.0  # a live source that sends nothing for this long is reported as gone


class RateMeter:
    """Events per second over the last ``window`` events (a burst of buffered frames at start-up does not stick)."""

    def __init__(self, window: int = 30) -> None:
        self._times: deque[float] = deque(maxlen=window)

    def tick(self, now: float) -> None:
        self._times.append(now)

    @property
    def rate(self) -> float:
        if len(self._times) < 2 or self._times[-1] <= self._times[0]:
            return 0.0
        return (len(self._times) - 1) / (self._times[-1] - self._times[0])


@dataclass(frozen=True, eq=False)
class CameraFrame:
    seq: int  # frames read from the source since it opened, from 0
    time: float  # seconds since the source opened
    rgb: np.ndarray  # (H, W, 3) uint8


def parse_source(text: str) -> int | str:
    """A device picker entry or typed text: "0".."9" (or "camera 2") → index; anything else a URL or path."""
    value = text.strip()
    if value.lower().startswith("camera "):
        value = value[7:].strip()
    return int(value) if value.isdigit() else value


def probe_cameras(indexes: Iterable[int] = range(10)) -> list[tuple[int, VideoInfo]]:
    """Device indexes that open, with what they report (call it off the GUI thread: each open can take a while)."""
    found = []
    for index in indexes:
        try:
            capture, info = open_device(index)
        except VideoError:
            continue
        capture.release()
        found.append((index, info))
    return found


class CameraCapture:
    """The newest frame of a live source. ``state``: opening → live → ended | failed | stopped."""

    def __init__(
        self,
        source: int | str,
        open_timeout: float = 8.0,
        on_frame: Callable[[CameraFrame], None] | None = None,
    ) -> None:
        self.source = source
        self.name = device_name(source)
        self.open_timeout = open_timeout
        self.on_frame = on_frame  # every frame, on the capture thread (recording)
        self.state = "opening"
        self.error: str | None = None
        self.info: VideoInfo | None = None
        self.frames_read = 0
        self._meter = RateMeter()
        self._newest: CameraFrame | None = None
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camera-capture", daemon=True)

    def start(self) -> CameraCapture:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the capture thread to end and release the device; returns at once."""
        self._stop.set()
        with self._changed:
            self._changed.notify_all()

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def released(self) -> bool:
        """True once the device (or file) is closed and the capture thread has ended."""
        return self._thread.ident is not None and not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self.state in ("opening", "live")

    @property
    def fps(self) -> float:
        """Frames per second the source delivers (measured)."""
        return self._meter.rate

    def newest(self, after: int = -1, timeout: float = 0.5) -> CameraFrame | None:
        """The newest frame later than ``after`` (waiting up to ``timeout`` s for one); None if none came."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while (self._newest is None or self._newest.seq <= after) and self.running and not self._stop.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._changed.wait(remaining)
            frame = self._newest
            return frame if frame is not None and frame.seq > after else None

    def _finish(self, state: str, error: str | None = None) -> None:
        with self._changed:
            if self.state in ("opening", "live"):
                self.state, self.error = state, error
            self._changed.notify_all()

    def _run(self) -> None:
        try:
            capture, self.info = open_device(self.source, self.open_timeout)
        except VideoError as exc:
            self._finish("failed", f"{exc.name}: {exc.reason}")
            return
        except Exception as exc:  # never let a driver problem escape the thread unreported
            self._finish("failed", f"{self.name}: cannot be opened: {exc}")
            return
        # A file standing in for a camera is read at its own frame rate, as a camera would deliver it.
        paced = isinstance(self.source, str) and os.path.isfile(self.source)
        period = 1.0 / self.info.fps if paced else 0.0
        try:
            with self._changed:
                if self.state == "opening":
                    self.state = "live"
            opened = last_frame = time.monotonic()
            while not self._stop.is_set():
                ok, bgr = capture.read()
                now = time.monotonic()
                if not ok or bgr is None:
                    if paced:
                        self._finish("ended", f"{self.name}: the video ended")
                        return
                    if now - last_frame > LOST_AFTER_S:
                        self._finish("failed", f"{self.name}: stopped sending frames (unplugged or closed?)")
                        return
                    time.sleep(0.05)
                    continue
                if paced:
                    due = opened + self.frames_read * period
                    if due > now:
                        self._stop.wait(due - now)
                        now = time.monotonic()
                self._meter.tick(now)
                last_frame = now
                frame = CameraFrame(self.frames_read, now - opened, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
                self.frames_read += 1
                with self._changed:
                    self._newest = frame
                    self._changed.notify_all()
                if self.on_frame is not None:
                    self.on_frame(frame)
        except Exception as exc:
            self._finish("failed", f"{self.name}: reading failed: {exc}")
        finally:
            capture.release()
            self._finish("stopped")


class LiveDetection:
    """Detects the newest frame of ``capture`` again and again on its own thread, which builds (``make_runner``)
    and alone uses its detector. ``on_result(frame, result)`` runs on that thread."""

    def __init__(
        self,
        capture: CameraCapture,
        make_runner: Callable[[], Runner],
        on_result: Callable[[CameraFrame, ImageResult], None],
        on_error: Callable[[str], None],
    ) -> None:
        self.capture = capture
        self.make_runner = make_runner
        self.on_result = on_result
        self.on_error = on_error
        self.paused = threading.Event()
        self._meter = RateMeter(10)
        self.network_runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camera-detect", daemon=True)

    def start(self) -> LiveDetection:
        self._thread.start()
        return self

    @property
    def rate(self) -> float:
        """Detections per second (measured)."""
        return self._meter.rate

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            runner = self.make_runner()
        except Exception as exc:
            self.on_error(f"the model could not be loaded: {exc}")
            return
        seq = -1
        while not self._stop.is_set():
            if self.paused.is_set():
                self._stop.wait(0.05)
                continue
            frame = self.capture.newest(after=seq, timeout=0.25)
            if frame is None:
                if not self.capture.running:
                    if self.capture.error:
                        self.on_error(self.capture.error)
                    return
                continue
            seq = frame.seq
            done = run_one(runner, Job.video_frame(frame.rgb, f"{self.capture.name}#{frame.seq}"))
            self.network_runs += 1
            self._meter.tick(time.monotonic())
            if not self._stop.is_set():
                self.on_result(frame, done.result)


class Recording:
    """``<stem>.mp4`` (every captured frame with the newest detections drawn) and ``<stem>.frames.jsonl`` (each
    detected frame: its number in the recording, seconds since the recording started, detections). ``tracked``:
    the detections carry their track ids, and ``<stem>.tracks.csv`` (each track seen while recording, from the
    first frame it was shown with its id) and ``<stem>.crossings.csv`` (the line crossings while recording) are
    written too, frames and times counted from the recording's start."""

    def __init__(
        self,
        folder: Path,
        stem: str,
        size: tuple[int, int],
        fps: float,
        video_format: str = "mp4",
        tracked: bool = False,
    ) -> None:
        extension = VIDEO_FORMATS[video_format][1]
        self.folder, self.stem, self.tracked = folder, stem, tracked
        self.video = AnnotatedVideoWriter(folder / f"{stem}{extension}", size, fps, video_format, max_pending=12)
        try:
            self.files = FrameFiles(folder / f"{stem}.frames.jsonl", None, size, tracked)
        except BaseException:
            self.video.abort()
            raise
        self.log = TrackLog()
        self.crossings: list[Crossing] = []
        self.events: EventFiles | None = None  # opened with the first event (a counting line or a zone)
        self._started: datetime | None = None
        self.dropped = 0  # frames the encoder could not keep up with
        self._latest = Detections.empty()
        self._first: tuple[int, float] | None = None  # (seq, time) of the first recorded frame
        self._lock = threading.Lock()
        self._closed = False

    def add_frame(self, frame: CameraFrame) -> None:
        """Every captured frame (capture thread); dropped, and counted, if the encoder is behind."""
        with self._lock:
            if self._closed:
                return
            if self._first is None:
                self._first = (frame.seq, frame.time)
                self._started = datetime.now()  # the computer's clock as the first frame arrives: the events' clock
            detections = self._latest
        if not self.video.offer(frame.rgb, detections):
            self.dropped += 1

    def add_result(
        self,
        frame: CameraFrame,
        detections: Detections,
        crossings: Sequence[Crossing] = (),
        events: Sequence[Event] = (),
    ) -> None:
        """A detected frame: the boxes for the frames that follow, and a jsonl line; tracked, the crossings and
        events found in this frame (frames and times counted from the recording's start)."""
        with self._lock:
            self._latest = detections
            if self._closed or self._first is None or frame.seq < self._first[0]:
                return
            index, seconds = frame.seq - self._first[0], frame.time - self._first[1]
            self.files.add(index, seconds, detections)
            self.log.add(index, seconds, detections)
            self.crossings += [replace(c, frame=index, time=seconds) for c in crossings]
            first_seq, first_time = self._first
            if events and self.tracked:
                if self.events is None:
                    log = self.folder / f"{self.stem}.events.csv"
                    self.events = EventFiles(log, None, self.stem, self._started)
                self.events.add([replace(e, frame=e.frame - first_seq, time=e.time - first_time) for e in events])

    def finish(self) -> list[Path]:
        """Close both files (each complete and playable) and move them into place."""
        with self._lock:
            self._closed = True
        written = []
        video = self.video.finish()
        if video is not None:
            written.append(video)
        with self._lock:
            written += self.files.commit()
            if self.events is not None:
                self.events.close()
                written += self.events.paths
        if self.tracked:
            tracks, crossings = self.folder / f"{self.stem}.tracks.csv", self.folder / f"{self.stem}.crossings.csv"
            write_tracks_csv(tracks, self.log.tracks())
            write_crossings_csv(crossings, self.crossings)
            written += [tracks, crossings]
        return written


def save_snapshot(folder: Path, stem: str, rgb: np.ndarray, result: ImageResult) -> list[Path]:
    """``<stem>.jpg`` (the frame with its boxes) and ``<stem>.json`` (its detections, the detections.json record)."""
    image = folder / f"{stem}.jpg"
    record = folder / f"{stem}.json"
    write_bytes(image, encode_image(draw_detections(rgb, result.detections), "jpg"))
    write_text(record, json.dumps({**image_record(result), "path": image.name}, indent=2, ensure_ascii=False) + "\n")
    return [image, record]
