"""``detect``'s footage-analysis flags (zones, dwell, event log, intervals, heatmap, clock), declared once here and
turned into plain options for the video core."""

from __future__ import annotations

import argparse

from ..video.clock import CLOCKS
from ..video.zones import ANCHORS


def _zone(text: str) -> str:
    """Checked here (a usage error names the flag); parsed again, numbered by its place, in ``detect``."""
    from ..video.zones import ZoneError, parse_zone

    try:
        parse_zone(text)
    except ZoneError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _interval(text: str) -> float:
    from ..video.intervals import IntervalError, parse_interval

    try:
        return parse_interval(text)
    except IntervalError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value


def add_footage_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "footage analysis",
        "Zones and counting lines give each video an event log (<name>.events.csv/.jsonl), <name>.zones.csv and "
        "<name>.heatmap.png. Without --zone or --count-line, zones and lines saved with a clip's folder (drawn in "
        "the window) are used for clips of their camera size.",
    )
    group.add_argument(
        "--zone",
        type=_zone,
        action="append",
        default=[],
        metavar="X1,Y1,X2,Y2,X3,Y3[,...][,NAME]",
        help="a zone (a polygon of 3 or more points, video pixels): objects entering, leaving, inside and their "
        "dwell time, per class; repeat for more zones",
    )
    group.add_argument(
        "--zone-anchor",
        choices=ANCHORS,
        default="auto",
        help="the point of a box that must be in a zone: auto (bottom centre for people and vehicles, centre for "
        "the rest; default), bottom or centre",
    )
    group.add_argument(
        "--min-dwell",
        type=_seconds,
        default=1.0,
        metavar="SECONDS",
        help="seconds in a zone for a stay to count as a visit (default 1): a 'visit' event then, and in the counts",
    )
    group.add_argument(
        "--interval",
        type=_interval,
        metavar="DURATION",
        help="also count events per interval over all videos in time order into OUT/intervals.csv, e.g. 15m, 1h",
    )
    group.add_argument(
        "--clock",
        choices=CLOCKS,
        default="auto",
        help="each video's wall-clock start: from a date-time in its name (20261207_081500), its file time, "
        "auto (name, else file; default) or none",
    )
    group.add_argument(
        "--snapshots",
        action="store_true",
        help="save a JPEG crop of the object at each event (<name>.events/)",
    )
    group.add_argument(
        "--heatmap",
        action="store_true",
        help="write <name>.heatmap.png for every tracked video (always with zones or counting lines)",
    )
    group.add_argument(
        "--no-saved-zones",
        action="store_true",
        help="ignore zones and lines saved with the clips' folders",
    )
