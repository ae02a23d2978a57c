"""Counting lines: a segment in the video's pixels, and which way a tracked object crossed it.

An object crosses when the centre of its box is seen on one side of the line in one processed frame and on the
other side the next time it is seen, and the step between the two centres passes through the segment itself (an
object walking past the end of a short line does not count). The box centre, not its bottom edge: it works the
same for people and cars seen from the side, from above, or for a cup on a table (the usual choice of counting
tools, e.g. Ultralytics' object counter); draw the line where the middle of the objects passes.

Directions are named from the picture: a line that is more upright than flat is crossed ``left-to-right`` or
``right-to-left``, a flatter one ``top-to-bottom`` or ``bottom-to-top``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


class LineError(ValueError):
    pass


@dataclass(frozen=True)
class CountLine:
    x1: float  # video pixels
    y1: float
    x2: float
    y2: float
    name: str = "line"

    def __post_init__(self) -> None:
        if not all(math.isfinite(v) for v in self.points):
            raise LineError(f"{self.name}: the points must be numbers")
        if math.hypot(self.x2 - self.x1, self.y2 - self.y1) < 1.0:
            raise LineError(f"{self.name}: the two points are the same (a line needs two different points)")

    @property
    def points(self) -> tuple[float, float, float, float]:
        return (self.x1, self.y1, self.x2, self.y2)

    @property
    def directions(self) -> tuple[str, str]:
        """(crossing towards the side the normal points to, crossing the other way). The normal of A→B is
        (-dy, dx) in image coordinates (y down)."""
        nx, ny = -(self.y2 - self.y1), self.x2 - self.x1
        if abs(nx) >= abs(ny):
            return ("left-to-right", "right-to-left") if nx > 0 else ("right-to-left", "left-to-right")
        return ("top-to-bottom", "bottom-to-top") if ny > 0 else ("bottom-to-top", "top-to-bottom")

    def _side(self, x: float, y: float) -> float:
        """Positive on the normal's side, negative on the other, 0 on the line (counted with the normal's side)."""
        return (self.x2 - self.x1) * (y - self.y1) - (self.y2 - self.y1) * (x - self.x1)

    def crossing(self, before: tuple[float, float], after: tuple[float, float]) -> str | None:
        """The direction in which a point moving from ``before`` to ``after`` crosses the segment, or None."""
        was, now = self._side(*before) >= 0, self._side(*after) >= 0
        if was == now:
            return None
        # The step crosses the infinite line; it crosses the segment when the ends are on either side of the step.
        mx, my = after[0] - before[0], after[1] - before[1]
        a = mx * (self.y1 - before[1]) - my * (self.x1 - before[0])
        b = mx * (self.y2 - before[1]) - my * (self.x2 - before[0])
        if (a > 0 and b > 0) or (a < 0 and b < 0):
            return None
        return self.directions[0] if now else self.directions[1]

    def record(self) -> dict:
        return {"name": self.name, "points": [round(v, 2) for v in self.points]}

    @classmethod
    def from_record(cls, record: dict) -> CountLine:
        try:
            x1, y1, x2, y2 = (float(v) for v in record["points"])
            return cls(x1, y1, x2, y2, name=str(record["name"]))
        except (KeyError, TypeError, ValueError):
            raise LineError(f"not a counting line: {record!r} (needs points [x1, y1, x2, y2] and a name)") from None


def parse_count_line(text: str, number: int = 1) -> CountLine:
    """``x1,y1,x2,y2`` or ``x1,y1,x2,y2,name`` (video pixels); the name defaults to ``line <number>``."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) < 4:
        raise LineError(f"{text!r} is not a line: give x1,y1,x2,y2 (video pixels), and optionally a name")
    try:
        values = [float(part) for part in parts[:4]]
    except ValueError:
        raise LineError(f"{text!r} is not a line: x1,y1,x2,y2 must be numbers (video pixels)") from None
    name = (text.split(",", 4)[4].strip() if len(parts) > 4 else "") or f"line {number}"
    x1, y1, x2, y2 = values
    return CountLine(x1, y1, x2, y2, name=name)
