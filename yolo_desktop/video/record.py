"""A video's record in ``detections.json``: frames, fps, duration, and per class the detections counted over all
processed frames and the most seen at once in one frame; for a tracked video also the tracking options, the
distinct objects per class and each counting line's crossings (``tracking.tracking_record``), after those counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..results import Detections
from .probe import VideoInfo


@dataclass
class VideoStats:
    processed: int = 0  # frames through the network
    totals: Counter[str] = field(default_factory=Counter)  # detections per class, summed over processed frames
    most_at_once: Counter[str] = field(default_factory=Counter)  # per class, the most in a single frame

    def add(self, detections: Detections) -> None:
        counts = Counter(detections.labels)
        self.processed += 1
        self.totals.update(counts)
        for label, count in counts.items():
            if count > self.most_at_once[label]:
                self.most_at_once[label] = count

    @property
    def detections(self) -> int:
        return sum(self.totals.values())


def video_record(
    path: str,
    info: VideoInfo | None,
    stats: VideoStats,
    *,
    frames_read: int = 0,
    stride: int = 1,
    start: float = 0.0,
    end: float | None = None,
    outputs: dict[str, str | None] | None = None,
    error: str | None = None,
    tracking: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``videos`` entry of ``detections.json`` for one video (``info`` None: it could not be opened)."""
    ordered = [label for label, _count in stats.totals.most_common()]
    return {
        "path": path,
        "width": info.width if info else 0,
        "height": info.height if info else 0,
        "fps": round(info.fps, 4) if info else None,
        "fps_stated": info.fps_known if info else None,
        "codec": info.codec if info else None,
        "frame_count": info.frame_count if info else 0,  # as the file states it
        "duration": round(info.duration, 4) if info else 0.0,  # seconds
        "range": {"start": round(start, 4), "end": None if end is None else round(end, 4), "stride": stride},
        "frames_read": frames_read,
        "frames_processed": stats.processed,
        "detections": stats.detections,
        "counts": {label: stats.totals[label] for label in ordered},
        "most_at_once": {label: stats.most_at_once[label] for label in ordered},
        **(tracking or {}),
        "outputs": dict(outputs or {}),
        "error": error,
    }
