"""A video's event log and zone stays:

    <name>.events.csv / .events.jsonl   one row (line) per event, in time order, written as the video is processed
    <name>.zones.csv                    one row per object's stay in a zone, written when the video is done
    <name>.events/                      with snapshots: a JPEG crop of the object at each event

Columns of the event log: ``video`` (the file), ``frame``, ``time`` (seconds in the video), ``wall_time`` (ISO
8601, when the clip's clock is known: ``clock.py``), ``event`` (cross, enter, leave, visit), ``place`` (the line or
zone), ``direction`` (crossings), ``track_id``, ``class_id``, ``label``, ``score``, ``dwell`` (leave and visit:
seconds in the zone), the box ``x1, y1, x2, y2`` at that frame, and ``snapshot`` (the crop's path relative to the
log, when asked for).

**Written as it goes, readable after a kill.** The log is opened under its final name and each batch of events is
written as whole lines, then flushed: a run stopped any way — Ctrl+C, a crash, a SIGKILL — leaves a file whose
every line is a complete event, up to the last frame settled. The usual temp file + rename would lose everything on
a SIGKILL (the next run deletes unfinished temp files). Whether a clip's log is complete is what ``detections.json``
and, with ``--resume``, the part files say; a clip processed again rewrites its log from the start. Snapshots and
``zones.csv`` are written whole, through a temp file and a rename.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO

import numpy as np

from ..atomic import atomic_open, write_bytes
from .clock import wall_text
from .events import Event, Stay

EVENT_COLUMNS = (
    "video",
    "frame",
    "time",
    "wall_time",
    "event",
    "place",
    "direction",
    "track_id",
    "class_id",
    "label",
    "score",
    "dwell",
    "x1",
    "y1",
    "x2",
    "y2",
    "snapshot",
)
STAY_COLUMNS = (
    "zone",
    "track_id",
    "class_id",
    "label",
    "first_frame",
    "first_time",
    "first_wall_time",
    "last_frame",
    "last_time",
    "dwell",
    "visit",
    "inside_at_end",
)


def event_record(event: Event, video: str, start: datetime | None, snapshot: str = "") -> dict:
    """One event as a dict: a line of ``.events.jsonl`` (and the values of a CSV row)."""
    return {
        "video": video,
        "frame": event.frame,
        "time": round(event.time, 4),
        "wall_time": wall_text(start, event.time) or None,
        "event": event.kind,
        "place": event.place,
        "direction": event.direction or None,
        "track_id": event.track_id,
        "class_id": event.class_id,
        "label": event.label,
        "score": round(event.score, 4),
        "dwell": None if event.dwell is None else round(event.dwell, 3),
        "box": [round(v, 2) for v in event.box],
        "snapshot": snapshot or None,
    }


def _csv_row(record: dict) -> list:
    def text(value: object) -> object:
        return "" if value is None else value

    return [text(record[c]) for c in EVENT_COLUMNS[:12]] + list(record["box"]) + [text(record["snapshot"])]


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("_") or "place"


class EventFiles:
    """The event log of one video, appended to as events settle. Not thread-safe."""

    def __init__(
        self,
        csv_path: Path | None,
        jsonl_path: Path | None,
        video: str,
        start: datetime | None,
        snapshots: Path | None = None,  # folder for crops (None: no snapshots)
    ) -> None:
        self.video, self.start, self.snapshots = video, start, snapshots
        self.paths = [p for p in (csv_path, jsonl_path) if p is not None]
        self._csv: IO[str] | None = None
        self._jsonl: IO[str] | None = None
        self.count = 0
        try:
            if csv_path is not None:
                # utf-8-sig as every CSV the app writes: spreadsheets then read non-ASCII labels right.
                self._csv = open(csv_path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115 (closed in close)
                self._write(self._csv, _line(EVENT_COLUMNS))
            if jsonl_path is not None:
                self._jsonl = open(jsonl_path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _write(handle: IO[str], text: str) -> None:
        handle.write(text)
        handle.flush()

    def add(self, events: Sequence[Event], crop: Callable[[Event], np.ndarray | None] | None = None) -> list[Path]:
        """Append these events (settled, in order); returns snapshot files written. ``crop``: the object's pixels
        at an event (RGB), for snapshots."""
        written = []
        rows, lines = [], []
        for event in events:
            snapshot = ""
            if self.snapshots is not None and crop is not None:
                pixels = crop(event)
                if pixels is not None and pixels.size:
                    path = self.snapshots / f"{event.frame:06d}-{event.track_id}-{event.kind}-{_slug(event.place)}.jpg"
                    _write_jpeg(path, pixels)
                    written.append(path)
                    snapshot = f"{self.snapshots.name}/{path.name}"
            record = event_record(event, self.video, self.start, snapshot)
            rows.append(_line(_csv_row(record)))
            lines.append(json.dumps(record, ensure_ascii=False) + "\n")
        if self._csv is not None and rows:
            self._write(self._csv, "".join(rows))
        if self._jsonl is not None and lines:
            self._write(self._jsonl, "".join(lines))
        self.count += len(events)
        return written

    def close(self) -> None:
        for handle in (self._csv, self._jsonl):
            if handle is not None:
                handle.close()
        self._csv = self._jsonl = None

    def discard(self) -> None:
        """Close and delete (an export that was cancelled leaves nothing)."""
        self.close()
        for path in self.paths:
            path.unlink(missing_ok=True)


def _line(values: Sequence[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)
    return buffer.getvalue()


def _write_jpeg(path: Path, rgb: np.ndarray) -> None:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    ok, data = cv2.imencode(".jpg", np.ascontiguousarray(rgb[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise OSError(f"{path}: the snapshot could not be encoded")
    write_bytes(path, data.tobytes())


def write_stays_csv(path: Path, stays: Sequence[Stay], start: datetime | None) -> None:
    with atomic_open(path, "w", encoding="utf-8-sig", newline="") as handle:
        rows = csv.writer(handle)
        rows.writerow(STAY_COLUMNS)
        for s in stays:
            rows.writerow(
                [
                    s.zone,
                    s.track_id,
                    s.class_id,
                    s.label,
                    s.first_frame,
                    f"{s.first_time:.4f}",
                    wall_text(start, s.first_time),
                    s.last_frame,
                    f"{s.last_time:.4f}",
                    f"{s.dwell:.3f}",
                    int(s.visit),
                    int(s.inside),
                ]
            )


def read_events(path: Path) -> list[dict]:
    """The events of a log written by ``EventFiles`` (jsonl or csv), as records; a last line cut short by a kill
    is skipped."""
    if path.suffix == ".jsonl":
        found = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
        return found
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row.get("snapshot") is not None]
    for row in rows:
        row["frame"], row["time"] = int(row["frame"]), float(row["time"])
        row["track_id"], row["class_id"] = int(row["track_id"]), int(row["class_id"])
        row["wall_time"] = row["wall_time"] or None
        row["direction"] = row["direction"] or None
    return rows
