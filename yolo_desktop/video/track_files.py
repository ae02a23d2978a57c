"""A tracked video's own CSV files, written once the video is done (a row per track or crossing: small):

    <name>.tracks.csv      one row per confirmed track: id, class, first and last frame and time, frames seen,
                           best score
    <name>.crossings.csv   one row per crossing of a counting line, in time order: time, frame, track, class,
                           line, direction

utf-8-sig, as every CSV the app writes (spreadsheets then read non-ASCII labels correctly); temp file + rename.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from ..atomic import atomic_open
from .tracking import Crossing, TrackSummary

TRACK_COLUMNS = (
    "track_id",
    "class_id",
    "label",
    "first_frame",
    "first_time",
    "last_frame",
    "last_time",
    "frames",
    "best_score",
)
CROSSING_COLUMNS = ("time", "frame", "track_id", "class_id", "label", "line", "direction")


def write_tracks_csv(path: Path, tracks: Sequence[TrackSummary]) -> None:
    with atomic_open(path, "w", encoding="utf-8-sig", newline="") as handle:
        rows = csv.writer(handle)
        rows.writerow(TRACK_COLUMNS)
        for t in tracks:
            rows.writerow(
                [
                    t.track_id,
                    t.class_id,
                    t.label,
                    t.first_frame,
                    f"{t.first_time:.4f}",
                    t.last_frame,
                    f"{t.last_time:.4f}",
                    t.frames,
                    f"{t.best_score:.4f}",
                ]
            )


def write_crossings_csv(path: Path, crossings: Sequence[Crossing]) -> None:
    with atomic_open(path, "w", encoding="utf-8-sig", newline="") as handle:
        rows = csv.writer(handle)
        rows.writerow(CROSSING_COLUMNS)
        for c in crossings:
            rows.writerow([f"{c.time:.4f}", c.frame, c.track_id, c.class_id, c.label, c.line, c.direction])
