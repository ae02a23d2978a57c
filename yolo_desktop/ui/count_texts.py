"""What the camera window says about a live tracker (no Qt): distinct objects since Start, each counting line's
crossings and each zone's entries, with the labels drawn on the picture beside the lines and zones; a zone's
summary is the footage panel's too (``zone_summary``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..video.lines import CountLine
from ..video.tracking import Tracker, line_counts, zone_counts
from ..video.zones import Zone

LinesShown = list[tuple[tuple[float, float, float, float], str]]  # (x1, y1, x2, y2), label: for the viewer
ZonesShown = list[tuple[tuple[tuple[float, float], ...], str]]  # (points, label)


def live_counts(
    tracker: Tracker | None, lines: Sequence[CountLine], zones: Sequence[Zone]
) -> tuple[list[str], LinesShown, ZonesShown]:
    """(lines of text, lines to draw, zones to draw)."""
    if tracker is None:
        return [], [(line.points, line.name) for line in lines], [(zone.points, zone.name) for zone in zones]
    distinct = ", ".join(f"{label} {count}" for label, count in tracker.distinct().items())
    texts = [f"Objects since start: {distinct or 'none yet'}"]
    shown_lines: LinesShown = []
    for line, counts in zip(lines, line_counts(lines, tracker.crossings)):
        first, second = line.directions
        crossed = counts["crossings"]
        total = (sum(c[first] for c in crossed.values()), sum(c[second] for c in crossed.values()))
        shown_lines.append((line.points, f"{line.name}: {total[0]} {first} · {total[1]} {second}"))
        per_class = "; ".join(f"{label} {c[first]} {first}, {c[second]} {second}" for label, c in crossed.items())
        texts.append(f"{line.name}: {per_class or 'nothing crossed yet'}")
    shown_zones: ZonesShown = []
    for zone, record in zip(zones, zone_counts(tracker)):
        tag, text = zone_summary(zone, record["counts"], live=True)
        shown_zones.append((zone.points, tag))
        texts.append(text)
    return texts, shown_lines, shown_zones


def zone_summary(zone: Zone, per_label: Mapping[str, Mapping[str, int]], *, live: bool) -> tuple[str, str]:
    """(the tag drawn on the zone, its line of text) from its counts per class: entries and who is inside now;
    per class entered, left, visits — and, live, inside (a finished video's tags say who was inside at its end)."""
    entered = sum(c["entered"] for c in per_label.values())
    inside = sum(c["inside"] for c in per_label.values())
    detail = "; ".join(
        f"{label} {c['entered']} entered, {c['left']} left, {c['visits']} visits"
        + (f", {c['inside']} inside" if live else "")
        for label, c in per_label.items()
    )
    return f"{zone.name}: {entered} in · {inside} now", f"{zone.name}: {detail or 'nobody yet'}"
