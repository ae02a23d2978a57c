"""Zones on synthetic tracks and the pieces of footage analysis alone: polygon geometry against OpenCV's
``pointPolygonTest`` (concave zones, points on edges and vertices), zones that are refused and why, stays and
events on hand-made detections (an object that leaves and comes back, one hidden a moment inside, one that vanishes
inside, a box on a zone's edge, a zone along the frame's border, events before confirmation), counts per interval,
and the wall clock from names and files."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import cv2
import numpy as np
import pytest

from yolo_desktop.geometry import in_polygon, polygon_area, self_intersection
from yolo_desktop.results import Detection, Detections
from yolo_desktop.video.clock import clip_start, time_in_name, wall_text
from yolo_desktop.video.intervals import ClipEvents, IntervalError, interval_table, parse_interval
from yolo_desktop.video.tracking import Tracker, TrackingOptions
from yolo_desktop.video.zone_book import CameraSetup, ZoneBook
from yolo_desktop.video.zones import Zone, ZoneError, anchor_points, parse_zone

# A U open at the top (concave): x 0–300, y 0–200, with a notch x 100–200 down to y 120.
U_SHAPE = ((0, 0), (100, 0), (100, 120), (200, 120), (200, 0), (300, 0), (300, 200), (0, 200))


def test_in_polygon_agrees_with_opencv_on_a_concave_zone_edges_and_vertices_included():
    polygon = np.array(U_SHAPE, float)
    rng = np.random.default_rng(3)
    points = np.concatenate(
        [
            rng.uniform(-20, 320, (4000, 2)),
            np.array(U_SHAPE, float),  # the vertices
            [(50, 0), (100, 60), (150, 120), (300, 100), (150, 200), (0, 50)],  # on edges
            rng.integers(-5, 305, (2000, 2)).astype(float),  # integer pixels: many on edges
        ]
    )
    contour = polygon.astype(np.float32).reshape(-1, 1, 2)
    truth = np.array([cv2.pointPolygonTest(contour, (float(x), float(y)), False) >= 0 for x, y in points])
    assert np.array_equal(in_polygon(points, polygon), truth)
    assert not in_polygon(np.array([(150.0, 60.0)]), polygon)[0]  # in the notch: outside
    assert polygon_area(polygon) == pytest.approx(300 * 200 - 100 * 120)  # clockwise on screen: positive
    assert polygon_area(polygon[::-1]) == pytest.approx(-(300 * 200 - 100 * 120))


def test_self_intersection_finds_crossings_and_fold_backs_not_concave_corners():
    assert self_intersection(np.array(U_SHAPE, float)) is None
    assert self_intersection(np.array([(0, 0), (100, 100), (100, 0), (0, 100)], float)) == (0, 2)  # a bow tie
    assert self_intersection(np.array([(0, 0), (100, 0), (50, 0), (50, 50)], float)) is not None  # folds back
    touching = [(0, 0), (100, 0), (100, 100), (50, 0), (0, 100)]  # a vertex on another edge
    assert self_intersection(np.array(touching, float)) is not None


def test_zones_that_are_refused_say_why():
    for text, reason in (
        ("1,2,3,4", "give at least 3 points"),
        ("1,2,3,4,5", "each point needs x and y"),
        ("1,2,x,4,5,6", "each point needs x and y"),
        ("0,0,100,100,100,0,0,100,bow", "zone 'bow' crosses itself (its edge from point 1 to 2 meets the edge from"),
        ("0,0,50,50,100,100", "has no area"),
        ("0,0,0,0.5,100,0,50,50", "points 1 and 2 are the same place"),
    ):
        with pytest.raises(ZoneError, match=reason.replace("(", r"\(")):
            parse_zone(text)
    zone = parse_zone("0,0,500,0,500,300,door, north")
    assert zone.name == "door, north" and parse_zone("0,0,5,0,5,5", 3).name == "zone 3"
    zone.check_frame(500, 300, "a.mp4")  # on the border: fine
    with pytest.raises(ZoneError, match=r"zone 'door, north' is outside b.mp4's 480×300 frame \(point 2 is at 500,0\)"):
        zone.check_frame(480, 300, "b.mp4")
    with pytest.raises(ValueError, match="two zones are named 'a'"):
        TrackingOptions(zones=(parse_zone("0,0,5,0,5,5,a"), parse_zone("0,0,6,0,6,6,a")))


def person(x: float, y: float = 100, size: float = 40, label: str = "person", class_id: int = 0) -> Detection:
    """A person-like box whose bottom centre is (x, y)."""
    return Detection(class_id, label, 0.9, x - size / 2, y - 2 * size, x + size / 2, y)


def track(frames: list[list[Detection]], zones: tuple[Zone, ...], fps: float = 10, **options) -> Tracker:
    tracker = Tracker(TrackingOptions(zones=zones, min_frames=options.pop("min_frames", 1), **options))
    for k, rows in enumerate(frames):
        tracker.update(k, k / fps, Detections.from_rows(rows, ["person", "b", "c", "d", "e", "cup"]))
    return tracker


def kinds(tracker: Tracker) -> list[tuple[int, str, str]]:
    return [(e.frame, e.kind, e.place) for e in tracker.sorted_events()]


def test_an_object_walking_through_a_concave_zone_leaves_at_the_notch_and_comes_back():
    u = Zone(U_SHAPE, "u")
    walk = [[person(20 + 20 * k, 60)] for k in range(17)]  # along y 60, x 20, 40, … 340
    tracker = track(walk, (u,), min_dwell=0.15)
    assert kinds(tracker) == [
        (0, "enter", "u"),
        (2, "visit", "u"),  # 0.2 s in
        (5, "leave", "u"),  # x 120: in the notch (x 100 at frame 4 is on its edge: still in)
        (9, "enter", "u"),  # x 200: on the notch's other edge
        (11, "visit", "u"),
        (15, "leave", "u"),  # x 320: past the zone (x 300 at frame 14 is on its edge)
    ]
    stays = tracker.stays()
    assert [(s.first_frame, s.last_frame, s.visit, s.inside) for s in stays] == [
        (0, 4, True, False),
        (9, 14, True, False),
    ]
    # Still inside when the video ends: an open stay, no leave.
    short = track(walk[:12], (u,), min_dwell=1.0)
    assert kinds(short)[-1] == (9, "enter", "u") and short.stays()[-1].inside and not short.stays()[-1].visit
    assert short.zone_counts.record(short.inside()) == {
        "u": {"person": {"entered": 2, "left": 1, "visits": 0, "inside": 1}}
    }


def test_hidden_a_moment_inside_is_one_stay_vanishing_inside_leaves_where_last_seen():
    zone = Zone(((0, 0), (400, 0), (400, 200), (0, 200)), "yard")
    frames = [[person(100 + 5 * k)] for k in range(5)] + [[]] * 5 + [[person(150 + 5 * k)] for k in range(5)]
    frames += [[]] * 12  # gone for 1.2 s > lost_seconds: the track ends, inside the zone
    tracker = track(frames, (zone,))
    assert kinds(tracker) == [(0, "enter", "yard"), (10, "visit", "yard"), (14, "leave", "yard")]
    (stay,) = tracker.stays()
    assert (stay.first_frame, stay.last_frame, stay.dwell, stay.inside) == (0, 14, pytest.approx(1.4), False)
    leave = tracker.sorted_events()[-1]
    assert leave.dwell == pytest.approx(1.4) and leave.time == pytest.approx(1.4)


def test_a_box_on_the_edge_and_a_zone_along_the_frame_border():
    # A zone in the bottom-right corner of a 640×480 frame, along its borders.
    corner = Zone(((400, 300), (640, 300), (640, 480), (400, 480)), "corner")
    # Standing exactly on the zone's top edge (y 300) is inside; 3 px above it is out.
    edge = track([[person(500, 300)], [person(500, 300)], [person(500, 297)]], (corner,), min_dwell=5)
    assert kinds(edge) == [(0, "enter", "corner"), (2, "leave", "corner")]
    # A box the frame's border cuts (x 620–640, down to y 480): its bottom centre is on the border, in the zone.
    clipped = [[Detection(0, "person", 0.9, 620, 400, 640, 480)]] * 2
    assert kinds(track(clipped, (corner,), min_dwell=5)) == [(0, "enter", "corner")]


def test_the_anchor_decides_which_point_of_a_box_must_be_inside():
    floor = Zone(((0, 150), (400, 150), (400, 300), (0, 300)), "floor")
    tall = [person(100, 200, size=60)]  # box y 80–200: its bottom is on the floor, its centre (140) is not
    cup = [person(300, 200, size=60, label="cup", class_id=5)]  # not grounded: the centre decides (auto)
    frames = [tall + cup] * 3
    assert {(e.label, e.kind) for e in track(frames, (floor,)).events} == {("person", "enter")}
    assert {(e.label, e.kind) for e in track(frames, (floor,), anchor="bottom").events} == {
        ("person", "enter"),
        ("cup", "enter"),
    }
    assert track(frames, (floor,), anchor="centre").events == []
    detections = Detections.from_rows(tall + cup, ["person", "b", "c", "d", "e", "cup"])
    np.testing.assert_allclose(anchor_points(detections, "auto"), [(100, 200), (300, 140)])


def test_events_before_confirmation_are_dated_when_they_happened_and_the_log_waits_for_them():
    zone = Zone(((0, 0), (200, 0), (200, 200), (0, 200)), "z")
    tracker = Tracker(TrackingOptions(zones=(zone,), min_frames=3))
    tracker.update(0, 0.0, Detections.from_rows([person(205)]))
    tracker.update(1, 0.1, Detections.from_rows([person(195)]))  # enters, not confirmed yet
    assert tracker.events == [] and tracker.settled() == 0  # its first frame holds the log back
    tracker.update(2, 0.2, Detections.from_rows([person(185)]))  # confirmed: the enter is dated frame 1
    assert [(e.frame, e.kind, e.track_id) for e in tracker.events] == [(1, "enter", 1)]
    assert tracker.settled() == 2  # in the zone: leaving could still be dated at its last frame
    # An object that is never confirmed leaves no event and no stay.
    ghost = Tracker(TrackingOptions(zones=(zone,), min_frames=3))
    ghost.update(0, 0.0, Detections.from_rows([person(100)]))
    ghost.update(20, 2.0, Detections.empty())
    assert ghost.events == [] and ghost.stays() == []


def test_counts_per_interval_follow_the_clock_and_say_what_was_recorded():
    assert parse_interval("15m") == 900 and parse_interval("1h30m") == 5400 and parse_interval("90") == 90
    assert parse_interval("0.5h") == 1800 and parse_interval(" 2 s ") == 2
    for bad in ("fifteen", "15x", "0s", "-5m", "1h-2m"):
        with pytest.raises(IntervalError):
            parse_interval(bad)

    def event(time: float, kind: str = "enter") -> dict:
        return {"time": time, "event": kind, "label": "person", "place": "door", "direction": None}

    # Two clips, 08:14:30 for 60 s and 08:20:00 for 300 s, in 5-minute intervals aligned on the clock.
    first = ClipEvents("a.mp4", datetime(2026, 12, 7, 8, 14, 30), 60.0, [event(10), event(40), event(50, "leave")])
    second = ClipEvents("b.mp4", datetime(2026, 12, 7, 8, 20, 0), 300.0, [event(299)])
    table = interval_table([first, second], 300)
    rows = [(r[0][11:], r[3], r[6], r[7]) for r in table.csv_rows()]
    assert rows == [
        ("08:10:00", "30.0", "entered", 1),  # 08:14:40
        ("08:10:00", "30.0", "left", 0),
        ("08:15:00", "30.0", "entered", 1),  # 08:15:10
        ("08:15:00", "30.0", "left", 1),
        ("08:20:00", "300.0", "entered", 1),
        ("08:20:00", "300.0", "left", 0),
    ]  # 08:15–08:20 holds 30 s of video; nothing was recorded 08:15:30–08:20 (no row claims it)
    # A clip without a clock, read from 0:05 for 70 s: intervals of its own, in video time.
    lone = interval_table([ClipEvents("c.mp4", None, 70.0, [event(65)], offset=5.0)], 30)
    assert [(r[0], r[1], r[2], r[3], r[7]) for r in lone.csv_rows()] == [
        ("0:00.00", "0:30.00", "c.mp4", "25.0", 0),
        ("0:30.00", "1:00.00", "c.mp4", "30.0", 0),
        ("1:00.00", "1:30.00", "c.mp4", "15.0", 1),
    ]


def test_the_wall_clock_from_names_and_files(tmp_path):
    assert time_in_name("cam1_20261207_081500.mp4") == datetime(2026, 12, 7, 8, 15, 0)
    assert time_in_name("2026-12-07 08.15.30 front.mkv") == datetime(2026, 12, 7, 8, 15, 30)
    assert time_in_name("NVR-20261207T231559-ch2.avi") == datetime(2026, 12, 7, 23, 15, 59)
    assert time_in_name("clip_20261399_081500.mp4") is None  # month 13: not a date
    assert time_in_name("120261207081500.mp4") is None  # part of a longer number
    clip = tmp_path / "street.mp4"
    clip.write_bytes(b"x")
    ended = datetime(2026, 12, 7, 9, 0, 0)
    os.utime(clip, (ended.timestamp(), ended.timestamp()))
    # No time in the name: the file's (on Linux its modification time, less the clip's length).
    assert clip_start(clip, 60.0) == ended - timedelta(seconds=60)
    assert clip_start(clip, 60.0, "name") is None and clip_start(clip, 60.0, "none") is None
    assert wall_text(datetime(2026, 12, 7, 8, 15), 1.25) == "2026-12-07T08:15:01.250" and wall_text(None, 1) == ""


def test_the_zone_book_keeps_zones_per_camera_size_and_falls_back_when_the_folder_cannot_be_written(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("YOLO_DESKTOP_DATA", str(tmp_path / "data"))
    folder = tmp_path / "clips"
    folder.mkdir()
    setup = CameraSetup((parse_zone("0,0,100,0,100,100,door"),), ())
    assert ZoneBook.load(folder).set(640, 480, setup) == folder / ".yolo-desktop-zones.json"
    book = ZoneBook.load(folder)
    assert book.for_size(640, 480) == setup and not book.for_size(1280, 720) and book.sizes == ["640×480"]
    # A folder where the file cannot be written (a read-only share; here a folder stands in its way, which stops
    # root too): kept in the app's data folder instead, and read from there.
    (folder / ".yolo-desktop-zones.json").unlink()
    (folder / ".yolo-desktop-zones.json").mkdir()
    where = ZoneBook.load(folder).set(640, 480, setup)
    assert where.is_relative_to(tmp_path / "data") and ZoneBook.load(folder).for_size(640, 480) == setup
    (folder / ".yolo-desktop-zones.json").rmdir()
    (folder / ".yolo-desktop-zones.json").write_text('{"cameras": [{"width": 1, "height": 1, "zones": [{}]}]}')
    with pytest.raises(ZoneError, match="saved zones cannot be read"):
        ZoneBook.load(folder)


def test_the_windows_setups_are_shared_by_the_folders_videos_of_one_size_and_the_table_filters(tmp_path):
    """The window's state without Qt: a zone drawn on one video goes to the folder's other videos of that camera
    size (and to its saved file), not to another size's; the event table's query."""
    from yolo_desktop.ui.video_setups import VideoSetups
    from yolo_desktop.video.events import Event, EventQuery

    folder = tmp_path / "cams"
    folder.mkdir()
    paths = [str(folder / "a.mp4"), str(folder / "b.mp4"), str(folder / "c.mp4"), str(tmp_path / "d.mp4")]
    sizes = {0: (640, 480), 1: (640, 480), 2: (1280, 720), 3: (640, 480)}
    setups = VideoSetups()
    zone = parse_zone("0,0,100,0,100,100,door")
    setups.zones[0] = (zone,)
    setups.save(0, paths, sizes.get)
    assert setups.zones == {0: (zone,), 1: (zone,)} and setups.problem == ""  # c: another size; d: another folder
    fresh = VideoSetups()
    assert fresh.load(2, paths[2], (640, 480)) and fresh.zones[2] == (zone,)  # a new window, a clip of that size
    assert not fresh.load(2, paths[2], (640, 480))  # it has its own now
    assert not VideoSetups().load(3, paths[3], (640, 480))  # nothing saved in that folder

    events = [
        Event(1, 0.1, "enter", "door", 1, 0, "person", 0.9, (0, 0, 1, 1)),
        Event(2, 0.2, "cross", "gate", 2, 2, "car", 0.8, (0, 0, 1, 1), direction="left-to-right"),
        Event(3, 0.3, "leave", "door", 1, 0, "person", 0.9, (0, 0, 1, 1), dwell=0.2),
    ]
    assert EventQuery().apply(events) == events
    assert EventQuery(kind="enter").apply(events) == events[:1]
    assert EventQuery(label="person", place="door").apply(events) == [events[0], events[2]]
    assert EventQuery(label="car", place="door").apply(events) == []
