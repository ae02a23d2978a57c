"""The window's counting lines and zones per video (no Qt): drawn on a video, saved with its folder for its camera
size (``video/zone_book.py``) and shared from then on by the other videos of that folder and size; a video first
shown takes its folder's saved ones. A file that cannot be read or written is a ``problem`` to show, never an
error."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..video.lines import CountLine
from ..video.zone_book import CameraSetup, ZoneBook
from ..video.zones import Zone, ZoneError


@dataclass
class VideoSetups:
    lines: dict[int, tuple[CountLine, ...]] = field(default_factory=dict)  # entry index → its counting lines
    zones: dict[int, tuple[Zone, ...]] = field(default_factory=dict)  # entry index → its zones
    problem: str = ""

    def load(self, index: int, path: str, size: tuple[int, int]) -> bool:
        """The video's lines and zones from its folder's saved ones for its size, unless it has its own already;
        True when some were taken."""
        if index in self.lines or index in self.zones:
            return False
        try:
            setup = ZoneBook.load(os.path.dirname(os.path.abspath(path))).for_size(*size)
        except ZoneError as exc:
            self.problem = str(exc)
            return False
        if not setup:
            return False
        self.lines[index], self.zones[index] = setup.lines, setup.zones
        return True

    def save(
        self,
        index: int,
        paths: Sequence[str],
        size_of: Callable[[int], tuple[int, int] | None],
    ) -> None:
        """Save the video's lines and zones with its folder (``paths``: every entry's; ``size_of``: a video's
        frame size, None until it is known), and give them to the folder's other videos of that size."""
        size = size_of(index)
        if size is None:
            return
        folder = os.path.dirname(os.path.abspath(paths[index]))
        setup = CameraSetup(self.zones.get(index, ()), self.lines.get(index, ()))
        try:
            ZoneBook.load(folder).set(*size, setup)
        except (OSError, ZoneError) as exc:
            self.problem = f"zones not saved with {folder}: {exc}"
            return
        for other, path in enumerate(paths):
            if other != index and os.path.dirname(os.path.abspath(path)) == folder and size_of(other) == size:
                self.lines[other], self.zones[other] = setup.lines, setup.zones
