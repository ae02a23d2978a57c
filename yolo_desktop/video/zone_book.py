"""Zones and counting lines saved with a folder of clips, per camera size, so they are drawn once and used for every
clip of that camera: ``.yolo-desktop-zones.json`` in the clips' folder.

    {"version": 1, "cameras": [{"width": 1280, "height": 720,
                                "zones": [{"name": "door", "points": [[x, y], …]}, …],
                                "lines": [{"name": "gate", "points": [x1, y1, x2, y2]}, …]}]}

A clip uses the entry of its frame size; a clip of a size none was drawn for has none (``for_size`` says so, with the
sizes there are). The window saves here when zones or lines are drawn (temp file + rename); when the folder cannot be
written (a read-only share) they are kept in the app's data folder instead, under the folder's path, and read from
there. The command line reads the same file for every clip of a folder (``detect`` without ``--zone``).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import write_text
from .lines import CountLine, LineError
from .zones import Zone, ZoneError

BOOK_NAME = ".yolo-desktop-zones.json"
VERSION = 1


@dataclass(frozen=True)
class CameraSetup:
    zones: tuple[Zone, ...] = ()
    lines: tuple[CountLine, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.zones or self.lines)


@dataclass
class ZoneBook:
    folder: Path
    cameras: dict[tuple[int, int], CameraSetup] = field(default_factory=dict)
    source: Path | None = None  # the file it was read from (None: nothing saved yet)

    @staticmethod
    def fallback_path(folder: Path) -> Path:
        """Where a read-only folder's zones are kept: the app's data folder (``$YOLO_DESKTOP_DATA`` if set), named
        after the folder's path."""
        data = os.environ.get("YOLO_DESKTOP_DATA")
        if not data:
            from platformdirs import user_data_dir

            data = user_data_dir("yolo-desktop", appauthor=False)
        digest = hashlib.sha256(str(Path(os.path.abspath(folder))).encode()).hexdigest()[:20]
        return Path(data) / "zones" / f"{digest}.json"

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> ZoneBook:
        """The folder's saved zones and lines (none saved: an empty book). Raises ``ZoneError`` naming the file when
        it cannot be read or holds a bad zone."""
        folder = Path(os.path.abspath(folder))
        for path in (folder / BOOK_NAME, cls.fallback_path(folder)):
            if path.is_file():
                return cls(folder, _parse(path), path)
        return cls(folder)

    def for_size(self, width: int, height: int) -> CameraSetup:
        return self.cameras.get((width, height), CameraSetup())

    @property
    def sizes(self) -> list[str]:
        return [f"{w}×{h}" for (w, h), setup in sorted(self.cameras.items()) if setup]

    def set(self, width: int, height: int, setup: CameraSetup) -> Path:
        """Save ``setup`` for this camera size (the folder's file, else the fallback); returns where."""
        self.cameras[(width, height)] = setup
        document = {
            "version": VERSION,
            "cameras": [
                {
                    "width": w,
                    "height": h,
                    "zones": [z.record() for z in s.zones],
                    "lines": [ln.record() for ln in s.lines],
                }
                for (w, h), s in sorted(self.cameras.items())
                if s
            ],
        }
        text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
        try:
            write_text(self.folder / BOOK_NAME, text)
            self.source = self.folder / BOOK_NAME
        except OSError:
            fallback = self.fallback_path(self.folder)
            fallback.parent.mkdir(parents=True, exist_ok=True)
            write_text(fallback, text)
            self.source = fallback
        return self.source


def _parse(path: Path) -> dict[tuple[int, int], CameraSetup]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        cameras = {}
        for entry in document["cameras"]:
            zones = tuple(Zone.from_record(z) for z in entry.get("zones", ()))
            lines = tuple(CountLine.from_record(line) for line in entry.get("lines", ()))
            cameras[(int(entry["width"]), int(entry["height"]))] = CameraSetup(zones, lines)
        return cameras
    except (OSError, ValueError, KeyError, TypeError, ZoneError, LineError) as exc:
        raise ZoneError(f"{path}: saved zones cannot be read ({exc})") from None
