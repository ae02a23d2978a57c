"""Events of tracked objects: crossing a counting line, entering or leaving a zone, and staying in a zone longer
than the minimum dwell (a *visit*). The tracker (``tracking.py``) finds them as it sees each object; this module
holds what they are and the rules for zones.

A **stay** is an object's time in one zone: from the first processed frame its anchor point (``zones.py``) is seen
inside to the last; its **dwell** is the seconds between the two. Entering starts a stay (``enter`` at that first
frame), being seen outside ends it (``leave`` at the first frame seen outside), and so does the object vanishing
while inside (not seen for the tracker's ``lost_seconds``: ``leave`` at the last frame it was seen). A stay that
reaches ``min_dwell`` seconds becomes a visit (``visit`` at the frame it reached it). An object that leaves and
comes back makes two stays; one inside when the video ends is still *inside* (no ``leave``).

As with crossings, what an object does before it is confirmed (``min_frames``) is kept and counted once it is, at
the frames it happened, so an event's frame may be earlier than the frame the tracker knew it on:
``Tracker.settled`` says up to which frame the events are complete (an event file is written in time order, a
couple of seconds behind at most).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

CROSS, ENTER, LEAVE, VISIT = "cross", "enter", "leave", "visit"
KINDS = (CROSS, ENTER, LEAVE, VISIT)
ZONE_MEASURES = ("entered", "left", "visits")  # per zone and class, in records and intervals


@dataclass(frozen=True)
class Event:
    frame: int
    time: float  # seconds in the video
    kind: str  # one of KINDS
    place: str  # the line's or the zone's name
    track_id: int
    class_id: int
    label: str
    score: float  # the detection's at that frame
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 at that frame (video pixels)
    direction: str = ""  # a crossing's (``left-to-right`` …)
    dwell: float | None = None  # leave and visit: seconds in the zone

    @property
    def order(self) -> tuple:
        """Events of one video sort by frame, then track, then kind and place: the same events, the same order."""
        return (self.frame, self.track_id, KINDS.index(self.kind), self.place)


@dataclass(frozen=True)
class Stay:
    """One object's time in one zone: a row of ``<name>.zones.csv``."""

    zone: str
    track_id: int
    class_id: int
    label: str
    first_frame: int
    first_time: float
    last_frame: int
    last_time: float
    visit: bool  # lasted at least the minimum dwell
    inside: bool  # still inside when the video ended (or now, live)

    @property
    def dwell(self) -> float:
        return self.last_time - self.first_time


@dataclass
class OpenStay:
    first: tuple[int, float]  # (frame, seconds)
    last: tuple[int, float]
    visited: bool = False


@dataclass
class ZoneState:
    """One track's zones: its open stays, and what it did before it was confirmed (id 0 until then)."""

    stays: dict[str, OpenStay] = field(default_factory=dict)
    closed: list[Stay] = field(default_factory=list)

    def step(
        self,
        zones: tuple[str, ...],
        inside: tuple[bool, ...],
        seen: tuple[int, float],
        who: tuple[int, int, str],  # track id (0: not confirmed), class id, label
        score: float,
        box: tuple[float, float, float, float],
        min_dwell: float,
    ) -> list[Event]:
        """The track seen at ``seen`` (frame, seconds), its anchor in ``zones[k]`` where ``inside[k]``."""
        events = []
        index, time = seen
        for name, now_inside in zip(zones, inside):
            stay = self.stays.get(name)
            if now_inside:
                if stay is None:
                    stay = self.stays[name] = OpenStay(seen, seen)
                    events.append(Event(index, time, ENTER, name, *who, score, box))
                stay.last = seen
                if not stay.visited and time - stay.first[1] >= min_dwell:
                    stay.visited = True
                    events.append(Event(index, time, VISIT, name, *who, score, box, dwell=time - stay.first[1]))
            elif stay is not None:
                events.append(self._close(name, who, seen, score, box))
        return events

    def _close(self, name: str, who: tuple[int, int, str], at: tuple[int, float], score: float, box: tuple) -> Event:
        stay = self.stays.pop(name)
        self.closed.append(Stay(name, *who, *stay.first, *stay.last, visit=stay.visited, inside=False))
        dwell = stay.last[1] - stay.first[1]
        return Event(at[0], at[1], LEAVE, name, *who, score, box, dwell=dwell)

    def vanish(self, who: tuple[int, int, str], score: float, box: tuple) -> list[Event]:
        """The track ended (not seen for too long): every open stay ends where it was last seen."""
        return [self._close(name, who, self.stays[name].last, score, box) for name in list(self.stays)]

    def open_stays(self, who: tuple[int, int, str]) -> list[Stay]:
        return [Stay(name, *who, *s.first, *s.last, visit=s.visited, inside=True) for name, s in self.stays.items()]

    def confirmed(self, track_id: int) -> None:
        self.closed = [replace(s, track_id=track_id) for s in self.closed]


class ZoneCounts:
    """Per zone and class label: entered, left, visits (from events), counted as events are confirmed."""

    def __init__(self, zones: tuple[str, ...]) -> None:
        self.counts: dict[str, dict[str, Counter[str]]] = {name: {} for name in zones}

    def add(self, event: Event) -> None:
        if event.kind == CROSS or event.place not in self.counts:
            return
        measure = {ENTER: "entered", LEAVE: "left", VISIT: "visits"}[event.kind]
        self.counts[event.place].setdefault(event.label, Counter())[measure] += 1

    def record(self, inside: dict[str, Counter[str]]) -> dict[str, dict[str, dict[str, int]]]:
        """Per zone, per label: entered, left, visits and ``inside`` (objects in the zone now, by label)."""
        result = {}
        for zone, per_label in self.counts.items():
            labels = sorted(set(per_label) | set(inside.get(zone, {})))
            result[zone] = {
                label: {
                    **{m: per_label.get(label, Counter())[m] for m in ZONE_MEASURES},
                    "inside": inside.get(zone, Counter())[label],
                }
                for label in labels
            }
        return result


@dataclass(frozen=True)
class EventQuery:
    """Which events a table shows: empty fields match everything."""

    kind: str = ""  # one of KINDS
    label: str = ""
    place: str = ""

    def matches(self, event: Event) -> bool:
        return (
            (not self.kind or event.kind == self.kind)
            and (not self.label or event.label == self.label)
            and (not self.place or event.place == self.place)
        )

    def apply(self, events: list[Event]) -> list[Event]:
        return [e for e in events if self.matches(e)]


def per_class(events: list[Event]) -> dict[str, int]:
    """Events per class label (the counts panel's *Events* column)."""
    return dict(Counter(e.label for e in events))
