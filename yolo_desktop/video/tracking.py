"""Multi-object tracking over a video's processed frames: each detection gets a ``track_id`` that stays with the
object while it is in view and across short misses; per class, the number of distinct objects; crossings of
counting lines (``lines.py``). No Qt, no OpenCV: numpy only, so the window, the command line and the camera share
it and a standalone bundle pays nothing for it.

How (ByteTrack's scheme, Zhang et al. 2022, on numpy): every track's box is predicted to the frame's time by a
constant-velocity Kalman filter (state: centre, width, height and their velocities); detections are matched to
the predicted boxes by IoU, confident ones (score ≥ ``HIGH_SCORE``) first, the rest to what is left; a detection
matches only a track of its class. Matching is greedy, highest IoU first, ties broken by track then detection
order — deterministic, so the same frames always give the same ids (the command line, the window's re-tracking
and its export agree exactly). A track is confirmed, and numbered, once seen in ``min_frames`` processed frames;
one not seen for ``lost_seconds`` ends. Detections of tracks not yet confirmed have ``track_id`` None.

Why not a library: the well-kept ones (Roboflow's ``trackers``; ``supervision`` dropped its ByteTrack in 0.27)
import supervision, SciPy and opencv-python (≈150 MB installed, 1.2 s to import, and a second OpenCV beside the
headless one); norfair needs numpy < 2, motpy and the ByteTrack ports are unmaintained or need torch. This is
~250 lines and costs well under a millisecond per frame (``bench/bench_video.py``).

Time, not frame counts, drives prediction and loss (seconds from the frames' timestamps), so a stride, a camera's
irregular frame rate and dropped frames need no special case. With a stride the tracker sees only the processed
frames: an object moving more than about half its width between two of them may be taken for a new one, and
``min_frames`` counts processed frames.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from ..geometry import iou
from ..results import Detections
from .events import CROSS, Event, Stay, ZoneCounts, ZoneState
from .lines import CountLine
from .zones import ANCHORS, Zone, anchor_points

HIGH_SCORE = 0.5  # detections at least this confident are matched first (ByteTrack's first round)
MIN_IOU = 0.2  # a detection further from a track's predicted box than this is a different object
REF_RATE = 30.0  # the Kalman filter's time unit is 1/30 s (its noise levels are ByteTrack's, per 30 fps frame)
POSITION_NOISE = 1 / 20  # ByteTrack's: standard deviations as fractions of the box's size
VELOCITY_NOISE = 1 / 160


@dataclass(frozen=True)
class TrackingOptions:
    min_frames: int = 3  # processed frames an object must be seen in to be confirmed (numbered and counted)
    lost_seconds: float = 1.0  # a track not seen for longer ends (an object hidden longer comes back as a new one)
    lines: tuple[CountLine, ...] = ()
    zones: tuple[Zone, ...] = ()
    anchor: str = "auto"  # which point of a box decides whether it is in a zone (``zones.ANCHORS``)
    min_dwell: float = 1.0  # seconds in a zone for a stay to count as a visit

    def __post_init__(self) -> None:
        if self.min_frames < 1:
            raise ValueError(f"min track frames {self.min_frames} must be at least 1")
        if not self.lost_seconds > 0:
            raise ValueError(f"lost seconds {self.lost_seconds} must be more than 0")
        if self.anchor not in ANCHORS:
            raise ValueError(f"zone anchor {self.anchor!r} is not one of {', '.join(ANCHORS)}")
        if not self.min_dwell >= 0:
            raise ValueError(f"minimum dwell {self.min_dwell} must be 0 or more seconds")
        for kind, names in (("counting lines", [x.name for x in self.lines]), ("zones", [z.name for z in self.zones])):
            twice = sorted({name for name in names if names.count(name) > 1})
            if twice:
                raise ValueError(f"two {kind} are named {twice[0]!r}: give each its own name")
        both = sorted({x.name for x in self.lines} & {z.name for z in self.zones})
        if both:
            raise ValueError(f"a counting line and a zone are both named {both[0]!r}: give each its own name")

    def record(self) -> dict:
        zones = {"anchor": self.anchor, "min_dwell": self.min_dwell} if self.zones else {}
        return {"min_frames": self.min_frames, "lost_seconds": self.lost_seconds, **zones}


TRACKED = TrackingOptions()  # the default: tracked, no counting lines


@dataclass(frozen=True)
class TrackSummary:
    """One confirmed track: a row of ``<name>.tracks.csv``."""

    track_id: int
    class_id: int
    label: str
    first_frame: int
    first_time: float
    last_frame: int
    last_time: float
    frames: int  # processed frames it was seen in
    best_score: float


@dataclass(frozen=True)
class Crossing:
    """A confirmed track crossing a counting line: a row of ``<name>.crossings.csv``."""

    frame: int  # the first frame it was seen on the other side
    time: float
    track_id: int
    class_id: int
    label: str
    line: str
    direction: str


@dataclass
class _Track:
    class_id: int
    label: str
    first: tuple[int, float]  # (frame, seconds)
    last: tuple[int, float]
    centre: tuple[float, float]  # where it was last seen (box centre): crossings are steps between such points
    hits: int = 1
    best: float = 0.0
    track_id: int | None = None  # given when confirmed
    pending: list[Event] = field(default_factory=list)  # events before it was confirmed (id filled then)
    zones: ZoneState = field(default_factory=ZoneState)
    seen: tuple[float, tuple[float, float, float, float]] = (0.0, (0.0, 0.0, 0.0, 0.0))  # last score and box

    @property
    def who(self) -> tuple[int, int, str]:
        return (self.track_id or 0, self.class_id, self.label)

    def summary(self) -> TrackSummary:
        assert self.track_id is not None
        return TrackSummary(
            self.track_id, self.class_id, self.label, *self.first, *self.last, frames=self.hits, best_score=self.best
        )


_DIAGONAL = np.arange(8)


def _xyxy(state: np.ndarray) -> np.ndarray:
    """(N, ≥4) centre-x, centre-y, width, height → (N, 4) x1, y1, x2, y2."""
    centre, half = state[:, :2], np.maximum(state[:, 2:4], 1.0) / 2
    return np.concatenate([centre - half, centre + half], axis=1)


def _greedy_match(iou: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> list[tuple[int, int]]:
    """Pairs (row, col) among ``rows`` × ``cols`` of ``iou``, highest IoU first, each used once, IoU ≥ MIN_IOU."""
    if not len(rows) or not len(cols):
        return []
    sub = iou[np.ix_(rows, cols)]
    r, c = np.nonzero(sub >= MIN_IOU)
    order = np.lexsort((c, r, -sub[r, c]))  # by IoU descending, then track, then detection: deterministic
    used_r: set[int] = set()
    used_c: set[int] = set()
    pairs = []
    for k in order:
        i, j = int(r[k]), int(c[k])
        if i not in used_r and j not in used_c:
            used_r.add(i)
            used_c.add(j)
            pairs.append((int(rows[i]), int(cols[j])))
    return pairs


class Tracker:
    """Feed ``update`` every processed frame in order; not thread-safe (one thread feeds it)."""

    def __init__(self, options: TrackingOptions = TrackingOptions()) -> None:
        self.options = options
        self.lines = options.lines
        self._tracks: list[_Track] = []
        self._mean = np.zeros((0, 8))  # (N, 8): cx, cy, w, h and their velocities per 1/REF_RATE s
        self._cov = np.zeros((0, 8, 8))
        self._time: float | None = None
        self._next_id = 1
        self.confirmed: list[_Track] = []  # every confirmed track, in the order of its id
        self.crossings: list[Crossing] = []  # in the order they were confirmed (``sorted_crossings``: by time)
        self.events: list[Event] = []  # crossings and zone events, in the order they were confirmed
        self.zones = options.zones
        self.zone_counts = ZoneCounts(tuple(z.name for z in self.zones))
        self._index = -1  # the last frame seen

    # ----- Kalman filter ------------------------------------------------------------------------------------
    @staticmethod
    def _noise(size: np.ndarray, position: float, velocity: float, scale: float = 1.0) -> np.ndarray:
        """(N, 2) widths and heights → (N, 8, 8) diagonal covariances (x-like terms scale with w, y-like with h)."""
        wh = np.tile(size, 4)  # (N, 8): w, h, w, h, w, h, w, h
        wh[:, :4] *= position
        wh[:, 4:] *= velocity
        cov = np.zeros((len(size), 8, 8))
        cov[:, _DIAGONAL, _DIAGONAL] = wh**2 * scale
        return cov

    def _predict(self, steps: float) -> None:
        if not len(self._tracks) or steps <= 0:
            return
        # x' = F x with F = [[I, steps·I], [0, I]]: written out rather than multiplied (F is mostly zeros).
        mean, cov = self._mean, self._cov
        size = mean[:, 2:4].copy()
        mean[:, :4] += steps * mean[:, 4:]
        cov[:, :4, :] += steps * cov[:, 4:, :]  # F·P
        cov[:, :, :4] += steps * cov[:, :, 4:]  # (F·P)·Fᵀ
        self._cov = cov + self._noise(size, POSITION_NOISE, VELOCITY_NOISE, steps)

    def _correct(self, rows: np.ndarray, measured: np.ndarray) -> None:
        """Kalman update of tracks ``rows`` with measured (M, 4) centre-x, centre-y, width, height."""
        mean, cov = self._mean[rows], self._cov[rows]
        innovation_cov = cov[:, :4, :4].copy()  # (M, 4, 4): H P Hᵀ + R, R diagonal
        innovation_cov[:, _DIAGONAL[:4], _DIAGONAL[:4]] += (POSITION_NOISE * np.tile(mean[:, 2:4], 2)) ** 2
        gain = np.linalg.solve(innovation_cov, cov[:, :4, :]).transpose(0, 2, 1)  # (M, 8, 4); cov is symmetric
        self._mean[rows] = mean + (gain @ (measured - mean[:, :4])[:, :, None])[:, :, 0]
        self._cov[rows] = cov - gain @ cov[:, :4, :]  # (I - K H) P, with H P = P's first four rows

    def _start(self, measured: np.ndarray) -> None:
        size = measured[:, 2:4]
        mean = np.concatenate([measured, np.zeros_like(measured)], axis=1)
        cov = self._noise(size, 2 * POSITION_NOISE, 10 * VELOCITY_NOISE)
        self._mean = np.concatenate([self._mean, mean])
        self._cov = np.concatenate([self._cov, cov])

    # ----- frames -------------------------------------------------------------------------------------------
    def update(self, index: int, time: float, detections: Detections) -> Detections:
        """One processed frame (its index and time in seconds; detections at the thresholds in use) → the same
        detections, in the same order, with ``track_ids`` (-1 where the track is not confirmed yet). Crossings
        found are appended to ``crossings``."""
        if self._time is not None:
            self._predict((time - self._time) * REF_RATE)
        self._time, self._index = time, index
        count = len(detections)
        boxes = detections.boxes.astype(np.float64)  # (N, 4) x1, y1, x2, y2 pixels
        # (N, Z): whether each detection's anchor point is in each zone
        inside = np.zeros((count, 0), bool)
        if self.zones and count:
            anchors = anchor_points(detections, self.options.anchor)
            inside = np.column_stack([zone.contains(anchors) for zone in self.zones])
        class_ids, scores = detections.class_ids, detections.scores
        measured = np.concatenate([(boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2]], axis=1)
        pairs: list[tuple[int, int]] = []
        if self._tracks and count:
            overlap = iou(_xyxy(self._mean), boxes)
            track_classes = np.array([t.class_id for t in self._tracks])
            overlap[track_classes[:, None] != class_ids[None, :]] = 0.0
            all_tracks = np.arange(len(self._tracks))
            pairs = _greedy_match(overlap, all_tracks, np.nonzero(scores >= HIGH_SCORE)[0])
            taken = {t for t, _d in pairs}
            free = np.array([t for t in all_tracks if t not in taken], int)
            pairs += _greedy_match(overlap, free, np.nonzero(scores < HIGH_SCORE)[0])
        ids = np.full(count, -1, np.int32)
        if pairs:
            rows = np.array([t for t, _d in pairs])
            self._correct(rows, measured[[d for _t, d in pairs]])
        for row, column in pairs:
            track = self._tracks[row]
            track.hits += 1
            self._saw(track, index, time, float(scores[column]), boxes[column], inside[column] if self.zones else ())
            ids[column] = -1 if track.track_id is None else track.track_id
        matched = {d for _t, d in pairs}
        new = [j for j in range(count) if j not in matched]
        if new:
            self._start(measured[new])
            for j in new:
                class_id = int(class_ids[j])
                track = _Track(
                    class_id, detections.names[class_id], (index, time), (index, time), tuple(measured[j, :2])
                )
                self._tracks.append(track)
                self._saw(track, index, time, float(scores[j]), boxes[j], inside[j] if self.zones else ())
                ids[j] = -1 if track.track_id is None else track.track_id
        self._drop_lost(time)
        return detections.with_track_ids(ids)

    def _saw(self, track: _Track, index: int, time: float, score: float, box: np.ndarray, inside) -> None:
        x1, y1, x2, y2 = (float(v) for v in box)
        centre, corners = ((x1 + x2) / 2, (y1 + y2) / 2), (x1, y1, x2, y2)
        who = track.who
        if track.hits > 1:
            for line in self.lines:
                direction = line.crossing(track.centre, centre)
                if direction is not None:
                    track.pending.append(Event(index, time, CROSS, line.name, *who, score, corners, direction))
        if self.zones:
            names = tuple(zone.name for zone in self.zones)
            track.pending += track.zones.step(
                names, tuple(bool(v) for v in inside), (index, time), who, score, corners, self.options.min_dwell
            )
        track.centre, track.last, track.seen = centre, (index, time), (score, corners)
        track.best = max(track.best, score)
        if track.track_id is None and track.hits >= self.options.min_frames:
            track.track_id = self._next_id
            self._next_id += 1
            self.confirmed.append(track)
            track.zones.confirmed(track.track_id)
        if track.track_id is not None and track.pending:
            self._confirm(track.pending, track.track_id)
            track.pending = []

    def _confirm(self, events: list[Event], track_id: int) -> None:
        for event in events:
            event = replace(event, track_id=track_id)
            self.events.append(event)
            self.zone_counts.add(event)
            if event.kind == CROSS:
                e = event
                self.crossings.append(Crossing(e.frame, e.time, track_id, e.class_id, e.label, e.place, e.direction))

    def _drop_lost(self, time: float) -> None:
        alive = [time - t.last[1] <= self.options.lost_seconds for t in self._tracks]
        if all(alive):
            return
        for track, kept in zip(self._tracks, alive):
            if not kept and track.track_id is not None and track.zones.stays:
                self._confirm(track.zones.vanish(track.who, *track.seen), track.track_id)
        keep = np.array(alive, bool)
        self._tracks = [t for t, a in zip(self._tracks, alive) if a]
        self._mean, self._cov = self._mean[keep], self._cov[keep]

    def set_lines(self, lines: Sequence[CountLine]) -> None:
        """Count these lines from the next frame on (a camera's line drawn while live)."""
        self.lines = tuple(lines)

    def set_zones(self, zones: Sequence[Zone]) -> None:
        """Watch these zones from the next frame on (a camera's zone drawn while live); a zone kept keeps its
        counts and the stays in it, one removed loses them."""
        self.zones = tuple(zones)
        names = tuple(zone.name for zone in self.zones)
        counts = ZoneCounts(names)
        counts.counts.update({n: c for n, c in self.zone_counts.counts.items() if n in names})
        self.zone_counts = counts
        for track in self._tracks:
            track.zones.stays = {n: s for n, s in track.zones.stays.items() if n in names}
        self.events = [e for e in self.events if e.kind == CROSS or e.place in names]

    def settled(self) -> int:
        """Every event before this frame is known (later frames may still add events at earlier frames: those of
        a track not confirmed yet, or the leaving of one unseen for a moment while in a zone)."""
        horizon = self._index + 1
        for track in self._tracks:
            if track.track_id is None:
                horizon = min(horizon, track.first[0])
            elif track.zones.stays:
                horizon = min(horizon, track.last[0])
        return horizon

    # ----- results ------------------------------------------------------------------------------------------
    def tracks(self) -> list[TrackSummary]:
        """Every confirmed track so far, by id."""
        return [t.summary() for t in self.confirmed]

    def distinct(self) -> dict[str, int]:
        """Distinct objects (confirmed tracks) per class label, most first."""
        return dict(Counter(t.label for t in self.confirmed).most_common())

    def sorted_crossings(self) -> list[Crossing]:
        return sorted(self.crossings, key=lambda c: (c.frame, c.track_id, c.line))

    def sorted_events(self) -> list[Event]:
        return sorted(self.events, key=lambda e: e.order)

    def stays(self) -> list[Stay]:
        """Every confirmed object's stays in zones, ended or still open (``inside``), by first frame."""
        found = [s for t in self.confirmed for s in t.zones.closed]
        live = {id(t) for t in self._tracks}
        found += [s for t in self.confirmed if id(t) in live for s in t.zones.open_stays(t.who)]
        return sorted(found, key=lambda s: (s.first_frame, s.track_id, s.zone))

    def inside(self) -> dict[str, Counter[str]]:
        """Per zone, the confirmed objects in it now, by label."""
        found: dict[str, Counter[str]] = {}
        for track in self._tracks:
            if track.track_id is not None:
                for name in track.zones.stays:
                    found.setdefault(name, Counter())[track.label] += 1
        return found


class TrackLog:
    """Summaries of the tracks seen in a stretch of tracked frames (a camera's recording: from its first frame,
    numbered from there), built from the detections as they were shown."""

    def __init__(self) -> None:
        self._tracks: dict[int, TrackSummary] = {}

    def add(self, index: int, time: float, detections: Detections) -> None:
        for d in detections:
            if d.track_id is None:
                continue
            seen = self._tracks.get(d.track_id)
            if seen is None:
                self._tracks[d.track_id] = TrackSummary(
                    d.track_id, d.class_id, d.label, index, time, index, time, 1, float(d.score)
                )
            else:
                self._tracks[d.track_id] = replace(
                    seen,
                    last_frame=index,
                    last_time=time,
                    frames=seen.frames + 1,
                    best_score=max(seen.best_score, float(d.score)),
                )

    def tracks(self) -> list[TrackSummary]:
        return [self._tracks[track_id] for track_id in sorted(self._tracks)]


def line_counts(lines: Sequence[CountLine], crossings: Sequence[Crossing]) -> list[dict]:
    """Per line: its name and points, and per class label the crossings in each of its two directions."""
    records = []
    for line in lines:
        per_class: dict[str, dict[str, int]] = {}
        for crossing in crossings:
            if crossing.line == line.name:
                counts = per_class.setdefault(crossing.label, dict.fromkeys(line.directions, 0))
                counts[crossing.direction] += 1
        records.append({**line.record(), "directions": list(line.directions), "crossings": per_class})
    return records


def zone_counts(tracker: Tracker) -> list[dict]:
    """Per zone: its name and points, and per class label the objects that entered, left, made a visit and are
    inside at the end."""
    counts = tracker.zone_counts.record(tracker.inside())
    return [{**zone.record(), "counts": counts.get(zone.name, {})} for zone in tracker.zones]


def tracking_record(tracker: Tracker) -> dict:
    """What a tracked video adds to its ``detections.json`` record (``zones`` only when it has some)."""
    zones = {"zones": zone_counts(tracker)} if tracker.zones else {}
    return {
        "tracking": tracker.options.record(),
        "distinct_objects": tracker.distinct(),
        "lines": line_counts(tracker.lines, tracker.crossings),
        **zones,
    }
