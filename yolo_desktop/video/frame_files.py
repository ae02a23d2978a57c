"""Per-frame detection files: ``<name>.frames.jsonl`` (one JSON line per processed frame: frame index, timestamp
in seconds, detections in the ``detections.json`` schema) and ``<name>.frames.csv`` (one row per detection).
A tracked video's detections also carry their ``track_id`` (null / empty for an object not yet confirmed): a key
in each jsonl detection, a last column in the csv. Untracked, both files are exactly as they were before tracking.

Lines are appended to temp files as frames finish (nothing is held in memory) and moved into place by
``commit``; a run that stops early commits the complete lines it has, so the files always parse.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, Any

from ..atomic import commit, discard, temp_path_for
from ..records import DETECTION_CSV_COLUMNS, detection_csv_values, detection_record
from ..results import Detections

CSV_COLUMNS = ("frame", "time", *DETECTION_CSV_COLUMNS)
TRACKED_CSV_COLUMNS = (*CSV_COLUMNS, "track_id")


def frame_record(
    index: int, time: float, detections: Detections, size: tuple[int, int], tracked: bool = False
) -> dict[str, Any]:
    """One line of ``.frames.jsonl``; ``size``: the frame's (width, height)."""
    if tracked:
        records = [{**detection_record(d, size), "track_id": d.track_id} for d in detections]
    else:
        records = [detection_record(d, size) for d in detections]
    return {"frame": index, "time": round(time, 4), "detections": records}


class FrameFiles:
    """Writes the jsonl and/or csv file of one video, frame by frame."""

    def __init__(self, jsonl: Path | None, csv_path: Path | None, size: tuple[int, int], tracked: bool = False) -> None:
        self.size, self.tracked = size, tracked  # size: the frames' (width, height)
        self._files: list[tuple[Path, Path, IO[str]]] = []
        self._csv: Any = None
        self._jsonl: IO[str] | None = None
        try:
            if jsonl is not None:
                self._jsonl = self._open(jsonl, "utf-8")
            if csv_path is not None:
                # utf-8-sig, as detections.csv: spreadsheets then read non-ASCII labels correctly.
                self._csv = csv.writer(self._open(csv_path, "utf-8-sig"))
                self._csv.writerow(TRACKED_CSV_COLUMNS if tracked else CSV_COLUMNS)
        except BaseException:
            self.discard()
            raise
        self.lines = 0

    def _open(self, target: Path, encoding: str) -> IO[str]:
        tmp = temp_path_for(target)
        handle = open(tmp, "w", encoding=encoding, newline="")  # noqa: SIM115 (closed by commit/discard)
        self._files.append((tmp, target, handle))
        return handle

    @property
    def targets(self) -> list[Path]:
        return [target for _tmp, target, _handle in self._files]

    def add(self, index: int, time: float, detections: Detections) -> None:
        if self._jsonl is not None:
            record = frame_record(index, time, detections, self.size, self.tracked)
            self._jsonl.write(json.dumps(record, ensure_ascii=False) + "\n")
        if self._csv is not None:
            for d in detections:
                track = ["" if d.track_id is None else d.track_id] if self.tracked else []
                self._csv.writerow([index, f"{time:.4f}", *detection_csv_values(d), *track])
        self.lines += 1

    def commit(self) -> list[Path]:
        """Close and move every file into place; returns them."""
        written = []
        try:
            for tmp, target, handle in self._files:
                handle.close()
                commit(tmp, target)
                written.append(target)
        finally:
            self.discard()
        return written

    def discard(self) -> None:
        for tmp, _target, handle in self._files:
            handle.close()
            discard(tmp)
        self._files = []
