"""Zones: polygons in a video's pixels, and which tracked objects are in them.

An object is in a zone when one point of its box — its **anchor** — is inside the polygon or on its edge. Which
point is a setting (``ANCHORS``):

    auto     the bottom centre for people and vehicles (where they stand on the ground, so a person whose head
             reaches over a zone drawn on the floor is not in it), the box centre for everything else (a cup on a
             table, a bird). The default.
    bottom   the bottom centre of every box.
    centre   the centre of every box (as counting lines use).

A zone is checked when it is made (at least 3 points, different, numbers, not self-intersecting, an area) and
against each video's frame (``check_frame``: every point inside ``[0, width] × [0, height]``); a zone touching the
frame's border is fine, and an object whose box is clipped by that border is in it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..geometry import in_polygon, polygon_area, self_intersection
from ..results import Detections

ANCHORS = ("auto", "bottom", "centre")
# Classes (COCO's names, and their usual spellings in other models) whose bottom edge is where they stand.
GROUNDED = frozenset(
    {"person", "pedestrian", "people", "bicycle", "cyclist", "car", "motorbike", "motorcycle", "bus", "truck", "van"}
    | {"train", "horse", "dog", "cow", "sheep", "cat", "bear", "elephant", "zebra", "giraffe", "vehicle"}
)


class ZoneError(ValueError):
    pass


@dataclass(frozen=True)
class Zone:
    points: tuple[tuple[float, float], ...]  # video pixels, in drawing order
    name: str = "zone"

    def __post_init__(self) -> None:
        what = f"zone {self.name!r}"
        if len(self.points) < 3:
            raise ZoneError(f"{what} has {len(self.points)} point(s): a zone needs at least 3")
        if not all(math.isfinite(v) for point in self.points for v in point):
            raise ZoneError(f"{what}: the points must be numbers")
        for k, (p, q) in enumerate(zip(self.points, (*self.points[1:], self.points[0]))):
            if math.hypot(q[0] - p[0], q[1] - p[1]) < 1.0:
                raise ZoneError(f"{what}: points {k + 1} and {(k + 1) % len(self.points) + 1} are the same place")
        polygon = self.array
        spread = polygon - polygon[0]
        if np.abs(spread[:, 0, None] * spread[None, :, 1] - spread[:, 1, None] * spread[None, :, 0]).max() < 1.0:
            raise ZoneError(f"{what} has no area (its points are on one line)")
        crossing = self_intersection(polygon)
        if crossing is not None:
            i, j = crossing
            count = len(self.points)
            raise ZoneError(
                f"{what} crosses itself (its edge from point {i + 1} to {(i + 1) % count + 1} meets the edge from "
                f"point {j + 1} to {(j + 1) % count + 1}): draw its points in order around the area"
            )
        if abs(polygon_area(polygon)) < 1.0:
            raise ZoneError(f"{what} has no area (its points are on one line)")

    @property
    def array(self) -> np.ndarray:
        """(M, 2) float64 vertices."""
        return np.asarray(self.points, np.float64).reshape(-1, 2)

    @property
    def area(self) -> float:
        return abs(polygon_area(self.array))

    def check_frame(self, width: int, height: int, video: str = "the video") -> None:
        """Raise ``ZoneError`` naming the zone, the video and its frame when a point lies outside that frame."""
        for k, (x, y) in enumerate(self.points):
            if not (0 <= x <= width and 0 <= y <= height):
                raise ZoneError(
                    f"zone {self.name!r} is outside {video}'s {width}×{height} frame (point {k + 1} is at "
                    f"{x:g},{y:g}): was it drawn for a camera of another size?"
                )

    def contains(self, points: np.ndarray) -> np.ndarray:
        """(N, 2) points → (N,) bool: inside or on the edge."""
        return in_polygon(points, self.array)

    def record(self) -> dict:
        return {"name": self.name, "points": [[round(x, 2), round(y, 2)] for x, y in self.points]}

    @classmethod
    def from_record(cls, record: dict) -> Zone:
        try:
            points = tuple((float(x), float(y)) for x, y in record["points"])
            return cls(points, str(record.get("name") or "zone"))
        except (KeyError, TypeError, ValueError):
            raise ZoneError(f"not a zone: {record!r} (needs points [[x, y], …] and a name)") from None


def parse_zone(text: str, number: int = 1) -> Zone:
    """``x1,y1,x2,y2,x3,y3[,…][,name]`` (video pixels); the name defaults to ``zone <number>``. The name is what
    follows the numbers (it may hold commas, not be a number itself)."""
    parts = [part.strip() for part in text.split(",")]
    values: list[float] = []
    for part in parts:
        try:
            values.append(float(part))
        except ValueError:
            break
    name_parts = parts[len(values) :]
    if any(_number(p) for p in name_parts) or len(values) % 2:
        raise ZoneError(f"{text!r} is not a zone: each point needs x and y, both numbers (video pixels)")
    name = (text.split(",", len(values))[-1].strip() if name_parts else "") or f"zone {number}"
    points = tuple((values[k], values[k + 1]) for k in range(0, len(values), 2))
    if len(points) < 3:
        raise ZoneError(
            f"{text!r} is not a zone: give at least 3 points, x1,y1,x2,y2,x3,y3[,…] (video pixels), and optionally "
            f"a name"
        )
    return Zone(points, name)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def anchor_points(detections: Detections, anchor: str) -> np.ndarray:
    """(N, 2) the point of each box that decides whether it is in a zone (see ``ANCHORS``)."""
    boxes = detections.boxes.astype(np.float64)
    x = (boxes[:, 0] + boxes[:, 2]) / 2
    if anchor == "centre":
        y = (boxes[:, 1] + boxes[:, 3]) / 2
    elif anchor == "bottom":
        y = boxes[:, 3]
    else:
        grounded = np.array([detections.names[int(c)] in GROUNDED for c in detections.class_ids], bool)
        y = np.where(grounded, boxes[:, 3], (boxes[:, 1] + boxes[:, 3]) / 2)
    return np.column_stack([x, y])


def check_zones(zones: Sequence[Zone], width: int, height: int, video: str) -> None:
    for zone in zones:
        zone.check_frame(width, height, video)
