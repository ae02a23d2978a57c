"""A video in the window's session (no Qt): what the file is, its processed frames, how far it got, and its
objects' tracks at the settings on screen (``retrack.StoreTracks``, made again when those change)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..results import Candidates
from ..settings import DetectorSettings
from .frame_store import FrameStore
from .retrack import StoreTracks, settings_key
from .timecode import format_time
from .tracking import TrackingOptions

if TYPE_CHECKING:
    from .probe import VideoInfo


@dataclass
class VideoTrack:
    info: VideoInfo
    store: FrameStore
    frames_read: int = 0
    finished: bool = False
    problem: str | None = None  # where and why the file ended early
    _tracks: StoreTracks | None = field(default=None, repr=False)

    @classmethod
    def open(cls, info: VideoInfo, names: Sequence[str]) -> VideoTrack:
        return cls(info, FrameStore(info.name, info.width, info.height, info.fps, names))

    def add(self, frames: Iterable[tuple[int, float, Candidates]], frames_read: int) -> None:
        for index, time_s, candidates in frames:
            self.store.append(index, time_s, candidates)
        self.frames_read = frames_read

    def tracks(self, settings: DetectorSettings, options: TrackingOptions) -> StoreTracks:
        """Its tracks for these settings and options: the ones kept when neither changed, else new ones (tracked
        by ``advance``, a slice at a time)."""
        key = (settings_key(self.store, settings), options)
        if self._tracks is None or self._tracks.key != key:
            self._tracks = StoreTracks(self.store, settings, options)
        return self._tracks

    def finish(self, problem: str | None) -> None:
        self.finished, self.problem = True, problem
        self.store.finish()

    @property
    def note(self) -> str:
        """The list's status line: progress while running, then length (and any problem)."""
        total = self.info.frame_count
        if not self.finished:
            return f"frame {self.frames_read} of {total}" if total else f"frame {self.frames_read}"
        text = f"{len(self.store)} frames · {format_time(self.frames_read / self.info.fps)}"
        return f"{text} · {self.problem}" if self.problem else text
