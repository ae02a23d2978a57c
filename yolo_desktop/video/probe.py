"""Open a video file or a capture device with OpenCV, and say in one line why one cannot be read.

OpenCV only answers "not opened". When that happens the file's container is looked at directly (a few hundred
bytes of box/chunk headers, no decoding) to tell the cases a user can act on apart: an audio-only file, a codec
this OpenCV build cannot decode, an MP4 whose index was never written (a recording cut off), not a video at all.
"""

from __future__ import annotations

import contextlib
import math
import os
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import cv2

_log_lock = threading.Lock()

# A frame rate outside this range is a container's placeholder (0, 1000, 90000), not the video's rate.
_PLAUSIBLE_FPS = (0.5, 480.0)
DEFAULT_FPS = 30.0  # used, and said, when a file does not state a plausible rate


class VideoError(Exception):
    """A video (or device) that cannot be used; ``reason`` is shown next to its name."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True)
class VideoInfo:
    name: str
    width: int  # pixels
    height: int
    fps: float  # frames per second; DEFAULT_FPS when the file gives none (``fps_known`` False)
    frame_count: int  # as the container states it; 0 when unknown (streams, cameras)
    codec: str  # FourCC as text, e.g. "FMP4", "MJPG", "avc1"; "" when unknown
    fps_known: bool = True

    @property
    def duration(self) -> float:
        """Seconds, from the container's frame count (0 when unknown)."""
        return self.frame_count / self.fps if self.frame_count > 0 else 0.0


_quiet_users = 0  # captures opening right now; OpenCV's log level is process-wide
_saved_level: int | None = None


@contextlib.contextmanager
def quiet_opencv() -> Iterator[None]:
    """Silence OpenCV's own log while a capture opens: its messages duplicate the one-line reasons given here.
    The lock guards only the count and the level, never the open itself (a camera may take seconds to answer)."""
    global _quiet_users, _saved_level
    with _log_lock:
        if _quiet_users == 0:
            _saved_level = cv2.utils.logging.getLogLevel()
            cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
        _quiet_users += 1
    try:
        yield
    finally:
        with _log_lock:
            _quiet_users -= 1
            if _quiet_users == 0 and _saved_level is not None:
                cv2.utils.logging.setLogLevel(_saved_level)


def fourcc_text(value: float) -> str:
    code = int(value) & 0xFFFFFFFF
    text = code.to_bytes(4, "little").decode("latin-1")
    return text.strip("\0 ") if code and text.isprintable() else ""


def capture_info(capture: cv2.VideoCapture, name: str) -> VideoInfo:
    fps = capture.get(cv2.CAP_PROP_FPS)
    known = math.isfinite(fps) and _PLAUSIBLE_FPS[0] <= fps <= _PLAUSIBLE_FPS[1]
    count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    width, height = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    # A phone video filmed upright is stored sideways with a rotation tag; OpenCV turns the frames upright but
    # reports the stored size.
    rotation = int(capture.get(cv2.CAP_PROP_ORIENTATION_META)) % 360
    if rotation in (90, 270) and capture.get(cv2.CAP_PROP_ORIENTATION_AUTO):
        width, height = height, width
    return VideoInfo(
        name=name,
        width=width,
        height=height,
        fps=float(fps) if known else DEFAULT_FPS,
        frame_count=int(count) if math.isfinite(count) and count > 0 else 0,
        codec=fourcc_text(capture.get(cv2.CAP_PROP_FOURCC)),
        fps_known=known,
    )


def open_video(path: str | os.PathLike[str]) -> tuple[cv2.VideoCapture, VideoInfo]:
    """Open a video file for reading; raises ``VideoError`` with the reason when it cannot be."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise VideoError(path, "is a folder, not a video file")
    try:
        size = os.path.getsize(path)
        with open(path, "rb"):
            pass
    except FileNotFoundError:
        raise VideoError(path, "file not found") from None
    except PermissionError:
        raise VideoError(path, "cannot read the file: permission denied") from None
    except OSError as exc:
        raise VideoError(path, f"cannot read the file: {exc.strerror or exc}") from None
    if size == 0:
        raise VideoError(path, "empty file (0 bytes)")
    with quiet_opencv():
        capture = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    if not capture.isOpened():
        capture.release()
        raise VideoError(path, explain_unreadable(path))
    info = capture_info(capture, path)
    if info.width <= 0 or info.height <= 0:
        capture.release()
        raise VideoError(path, "no video stream (the file holds no pictures)")
    return capture, info


def open_device(source: int | str, timeout_s: float = 8.0) -> tuple[cv2.VideoCapture, VideoInfo]:
    """Open a camera (index) or a stream URL (RTSP/HTTP) or a file used as one. Network sources give up after
    ``timeout_s`` instead of FFmpeg's default 30 s; a local camera that does not answer is the caller's to abandon
    (``camera.py`` opens devices on a thread for that reason)."""
    name = device_name(source)
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        int(timeout_s * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        int(timeout_s * 1000),
    ]
    with quiet_opencv():
        if isinstance(source, int):
            capture = cv2.VideoCapture(source, cv2.CAP_ANY)
        else:
            capture = cv2.VideoCapture(source, cv2.CAP_FFMPEG, params)
    if not capture.isOpened():
        capture.release()
        if isinstance(source, int):
            raise VideoError(name, "cannot be opened (no such camera, or it is in use by another program)")
        if os.path.exists(source):
            raise VideoError(name, explain_unreadable(source))
        raise VideoError(name, f"cannot be opened (no answer within {timeout_s:g} s, or not a video stream)")
    info = capture_info(capture, name)
    if info.width <= 0 or info.height <= 0:
        capture.release()
        raise VideoError(name, "sends no pictures (no video stream)")
    return capture, info


def device_name(source: int | str) -> str:
    return f"camera {source}" if isinstance(source, int) else str(source)


# ----- why a file could not be opened ---------------------------------------------------------------------------
_AUDIO_MAGIC = (
    (b"ID3", "MP3 audio"),
    (b"fLaC", "FLAC audio"),
    (b"OggS", "Ogg audio"),
    (b"#!AMR", "AMR audio"),
)
_IMAGE_MAGIC = ((b"\xff\xd8\xff", "a JPEG image"), (b"\x89PNG", "a PNG image"), (b"GIF8", "a GIF image"))
NOT_A_VIDEO = "not a video OpenCV can read (unrecognized content: damaged, or not a video)"


def explain_unreadable(path: str) -> str:
    """A one-line reason for a file OpenCV would not open, from its container headers."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(64)
            size = os.fstat(handle.fileno()).st_size
            if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
                return "an audio file (WAV): no video stream"
            if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
                return _explain_avi(handle, size)
            if head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"):
                return _explain_iso(handle, size)
    except (OSError, struct.error, ValueError):
        return NOT_A_VIDEO
    for magic, kind in _AUDIO_MAGIC:
        if head.startswith(magic):
            return f"an audio file ({kind}): no video stream"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0 and not head.startswith(b"\xff\xd8"):
        return "an audio file (MPEG audio): no video stream"
    for magic, kind in _IMAGE_MAGIC:
        if head.startswith(magic):
            return f"{kind}, not a video"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "no video stream OpenCV can decode (Matroska/WebM: audio only, or an unsupported codec)"
    return NOT_A_VIDEO


def _unsupported(codec: str) -> str:
    shown = codec if codec.isprintable() and codec.strip() else "unknown"
    return f"unsupported video codec '{shown}' (this OpenCV/FFmpeg build cannot decode it)"


def _boxes(handle: BinaryIO, start: int, end: int) -> Iterator[tuple[bytes, int, int, bool]]:
    """ISO-BMFF boxes in [start, end): (type, payload start, payload end, complete)."""
    offset = start
    while offset + 8 <= end:
        handle.seek(offset)
        size, kind = struct.unpack(">I4s", handle.read(8))
        header = 8
        if size == 1:
            size = struct.unpack(">Q", handle.read(8))[0]
            header = 16
        elif size == 0:
            size = end - offset
        if size < header:
            return
        yield kind, offset + header, min(offset + size, end), offset + size <= end
        offset += size


def _child(handle: BinaryIO, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    for found, payload, stop, _complete in _boxes(handle, start, end):
        if found == kind:
            return payload, stop
    return None


def _explain_iso(handle: BinaryIO, size: int) -> str:
    top = list(_boxes(handle, 0, size))
    moov = next(((p, e, c) for kind, p, e, c in top if kind == b"moov"), None)
    if moov is None or not moov[2]:
        return "truncated or unfinished MP4/MOV: its index (moov) is missing, as when a recording is cut off"
    codecs, has_video = [], False
    for kind, payload, stop, _complete in _boxes(handle, moov[0], moov[1]):
        if kind != b"trak":
            continue
        mdia = _child(handle, payload, stop, b"mdia")
        hdlr = _child(handle, *mdia, b"hdlr") if mdia else None
        if mdia is None or hdlr is None:
            continue
        handle.seek(hdlr[0] + 8)  # version/flags, pre_defined
        if handle.read(4) != b"vide":
            continue
        has_video = True
        minf = _child(handle, *mdia, b"minf")
        stbl = _child(handle, *minf, b"stbl") if minf else None
        stsd = _child(handle, *stbl, b"stsd") if stbl else None
        if stsd is not None:
            handle.seek(stsd[0] + 8 + 4)  # version/flags, entry count, first entry's size
            codecs.append(handle.read(4).decode("latin-1"))
    if not has_video:
        return "no video stream (the file holds only audio or data)"
    return _unsupported(codecs[0]) if codecs else "the video track is damaged (no sample description)"


def _explain_avi(handle: BinaryIO, size: int) -> str:
    """Walks RIFF 'AVI ' → LIST 'hdrl' → LIST 'strl' → 'strh' (stream type) / 'strf' (compression)."""

    def chunks(start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
        offset = start
        while offset + 8 <= end:
            handle.seek(offset)
            kind, length = struct.unpack("<4sI", handle.read(8))
            yield kind, offset + 8, min(offset + 8 + length, end)
            offset += 8 + length + (length & 1)  # chunks are padded to an even size

    handle.seek(4)
    riff_end = min(size, struct.unpack("<I", handle.read(4))[0] + 8)
    for kind, start, end in chunks(12, riff_end):
        handle.seek(start)
        if kind != b"LIST" or handle.read(4) != b"hdrl":
            continue
        has_video, codec = False, ""
        for inner, s_start, s_end in chunks(start + 4, end):
            handle.seek(s_start)
            if inner != b"LIST" or handle.read(4) != b"strl":
                continue
            stream_type = b""
            for part, p_start, _p_end in chunks(s_start + 4, s_end):
                handle.seek(p_start)
                if part == b"strh":
                    stream_type, handler = struct.unpack("<4s4s", handle.read(8))
                    if stream_type == b"vids":
                        has_video, codec = True, handler.decode("latin-1")
                elif part == b"strf" and stream_type == b"vids":
                    handle.seek(p_start + 16)  # BITMAPINFOHEADER.biCompression
                    compression = handle.read(4)
                    if compression.strip(b"\0"):
                        codec = compression.decode("latin-1")
        if not has_video:
            return "no video stream (the file holds only audio)"
        return _unsupported(codec)
    return "damaged AVI file (no stream headers)"
