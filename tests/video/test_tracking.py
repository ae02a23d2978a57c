"""Tracking on a generated clip with known answers (``tests/support/scenes.py``): real photos of people and a
motorbike moved along known paths, the real model, ``yolo-desktop detect`` end to end. Exact distinct counts and
crossings; the ids in every file agree; the annotated video shows them; --stride; --no-track writes what an
untracked run always wrote. The tracker and the lines alone, on hand-made detections, at the end."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tests.support.clips import decode_all
from tests.support.scenes import (
    STREET_ACTORS,
    STREET_CROSSINGS,
    STREET_DISTINCT,
    STREET_LINE,
    make_street,
)
from yolo_desktop.cli.main import main
from yolo_desktop.imaging.annotate import draw_detections
from yolo_desktop.results import Detection, Detections
from yolo_desktop.video.frame_files import CSV_COLUMNS
from yolo_desktop.video.lines import CountLine, LineError, parse_count_line
from yolo_desktop.video.tracking import Tracker, TrackingOptions

LINE = ",".join(f"{v:g}" for v in STREET_LINE) + ",door"
CLASSES = "person,motorbike"  # the photos' objects (YOLOv3-tiny also calls the person a dog now and then)


@pytest.fixture(scope="module")
def street(tmp_path_factory, data_dir) -> Path:
    return make_street(tmp_path_factory.mktemp("scene"), data_dir)


def detect(clip: Path, out: Path, *extra: str) -> dict:
    assert main(["detect", str(clip), "-o", str(out), "--quiet", "--classes", CLASSES, *extra]) == 0
    return json.loads((out / "detections.json").read_text(encoding="utf-8"))["videos"][0]


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def true_crossing_frame(actor_index: int, after: int = 0) -> int:
    """The first frame (from ``after``) at which the actor's photo is drawn with its middle past the line x=240
    from where it was the previous time it was drawn."""
    actor = STREET_ACTORS[actor_index]
    width = {"person": 69, "motorbike": 144}[actor.kind]  # its width at that height
    seen = None
    for frame in range(after, 200):
        at = actor.where(frame)
        if at is None:
            continue
        middle = at[0] + width / 2
        if seen is not None and (seen - 240) * (middle - 240) < 0:
            return frame
        seen = middle
    raise AssertionError("never crosses")


def half_in_view(actor_index: int) -> tuple[int, int]:
    """The first and last frames in which at least half of the actor's photo is in the picture."""
    actor = STREET_ACTORS[actor_index]
    width = {"person": 69, "motorbike": 144}[actor.kind]
    frames = [k for k in range(200) if (at := actor.where(k)) is not None and -width / 2 <= at[0] <= 480 - width / 2]
    return frames[0], frames[-1]


def test_distinct_objects_tracks_and_crossings(tmp_path, street, capsys):
    out = tmp_path / "out"
    record = detect(street, out, "--count-line", LINE)
    printed = capsys.readouterr().out

    # Four people-or-motorbikes came by, 80 frames of detections: the record counts objects, not detections.
    assert record["distinct_objects"] == STREET_DISTINCT
    assert record["counts"]["person"] > 60 and record["tracking"] == {"min_frames": 3, "lost_seconds": 1.0}
    (line,) = record["lines"]
    assert line["name"] == "door" and line["points"] == list(STREET_LINE)
    assert line["directions"] == ["right-to-left", "left-to-right"]
    assert line["crossings"] == STREET_CROSSINGS
    assert record["outputs"]["tracks_csv"] == "street.tracks.csv"
    assert record["outputs"]["crossings_csv"] == "street.crossings.csv"
    assert "person     3 distinct" in printed and "door: person 2 right-to-left, 2 left-to-right" in printed

    tracks = read_csv(out / "street.tracks.csv")
    assert [(t["track_id"], t["label"]) for t in tracks] == [
        ("1", "person"),  # A, from the left
        ("2", "person"),  # B, from the right (A and B pass each other, half overlapping)
        ("3", "motorbike"),  # out of sight for five frames on the line
        ("4", "person"),  # C, in and back out
    ]
    spans = [(int(t["first_frame"]), int(t["last_frame"])) for t in tracks]
    # Each seen from about when half of it has come in until half of it has gone out.
    for (first, last), (start, end) in zip(spans, [half_in_view(a) for a in (0, 1, 2, 3)]):
        assert abs(first - start) <= 2 and abs(last - end) <= 2, spans
    for t in tracks:
        assert float(t["first_time"]) == pytest.approx(int(t["first_frame"]) / 10)
        assert 3 <= int(t["frames"]) <= int(t["last_frame"]) - int(t["first_frame"]) + 1
        assert 0.8 < float(t["best_score"]) <= 1

    crossings = read_csv(out / "street.crossings.csv")
    assert [(c["track_id"], c["label"], c["line"], c["direction"]) for c in crossings] == [
        ("1", "person", "door", "left-to-right"),
        ("2", "person", "door", "right-to-left"),
        ("3", "motorbike", "door", "right-to-left"),  # seen again only on the other side
        ("4", "person", "door", "left-to-right"),
        ("4", "person", "door", "right-to-left"),  # the same person, back
    ]
    truth = [true_crossing_frame(0), true_crossing_frame(1), 42, true_crossing_frame(3), true_crossing_frame(3, 60)]
    for crossing, frame in zip(crossings, truth):
        assert abs(int(crossing["frame"]) - frame) <= 1, (crossing, frame)
        assert float(crossing["time"]) == pytest.approx(int(crossing["frame"]) / 10)

    # Every file says the same ids: frames.jsonl, frames.csv and tracks.csv (a track's last frame with its id).
    lines = jsonl(out / "street.frames.jsonl")
    ids_jsonl = [[d["track_id"] for d in line["detections"]] for line in lines]
    rows = read_csv(out / "street.frames.csv")
    assert list(rows[0])[-1] == "track_id"
    ids_csv: dict[int, list] = {}
    for row in rows:
        ids_csv.setdefault(int(row["frame"]), []).append(int(row["track_id"]) if row["track_id"] else None)
    assert {k: ids for k, ids in enumerate(ids_jsonl) if ids} == ids_csv
    for t in tracks:
        frames_with_id = [k for k, ids in enumerate(ids_jsonl) if int(t["track_id"]) in ids]
        assert frames_with_id[-1] == int(t["last_frame"]) and frames_with_id[0] >= int(t["first_frame"])
        assert len(frames_with_id) >= int(t["frames"]) - 2  # all but the first min_frames - 1 sightings

    # The annotated video shows "person #1": a written frame is the decoded frame drawn with the ids.
    written, decoded = decode_all(out / "street.mp4"), decode_all(street)
    k = 10
    shown = [_detection(d) for d in lines[k]["detections"]]
    with_ids = draw_detections(decoded[k], Detections.from_rows(shown))
    without = draw_detections(decoded[k], Detections.from_rows(Detection(*_fields(d)) for d in shown))
    differs = np.any(with_ids != without, axis=2)  # the "#1" and "#2" of the labels
    assert differs.sum() > 50
    got = written[k].astype(np.int32)
    assert np.abs(got - with_ids)[differs].mean() < np.abs(got - without)[differs].mean() / 2


def _detection(record: dict) -> Detection:
    return Detection(record["class_id"], record["label"], record["score"], *record["box"], record["track_id"])


def _fields(d: Detection) -> tuple:
    return (d.class_id, d.label, d.score, d.x1, d.y1, d.x2, d.y2)


def test_stride_tracks_only_the_processed_frames(tmp_path, street):
    """Stride 2 over the first 6 s: the tracker sees frames 0, 2, 4…; the same objects and crossings are found
    (they move about 30 px between processed frames, well under their width), at processed frames only."""
    record = detect(street, tmp_path / "out", "--count-line", LINE, "--stride", "2", "--end", "6")
    assert record["frames_processed"] == 30
    assert record["distinct_objects"] == STREET_DISTINCT
    assert record["lines"][0]["crossings"] == {
        "person": {"right-to-left": 1, "left-to-right": 2},  # C has not turned back yet
        "motorbike": {"right-to-left": 1, "left-to-right": 0},
    }
    tracks = read_csv(tmp_path / "out" / "street.tracks.csv")
    crossings = read_csv(tmp_path / "out" / "street.crossings.csv")
    assert all(int(t["first_frame"]) % 2 == 0 and int(t["last_frame"]) % 2 == 0 for t in tracks)
    assert all(int(c["frame"]) % 2 == 0 for c in crossings)
    assert all(int(t["frames"]) >= 3 for t in tracks)  # min_frames counts processed frames


def test_no_track_writes_what_an_untracked_run_wrote(tmp_path, street):
    record = detect(street, tmp_path / "out", "--no-track", "--formats", "json,csv")
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "detections.csv",
        "detections.json",
        "street.frames.csv",
        "street.frames.jsonl",
        "street.mp4",
    ]
    assert not {"tracking", "distinct_objects", "lines"} & set(record)
    assert set(record["outputs"]) == {"video", "frames_jsonl", "frames_csv"}
    assert all("track_id" not in d for line in jsonl(out / "street.frames.jsonl") for d in line["detections"])
    assert (out / "street.frames.csv").read_text(encoding="utf-8-sig").splitlines()[0] == ",".join(CSV_COLUMNS)
    assert main(["detect", str(street), "-o", str(tmp_path / "x"), "--no-track", "--count-line", LINE]) == 2


def test_bad_count_lines_are_usage_errors(tmp_path, street, capsys):
    for bad, reason in (
        ("1,2,3", "is not a line: give x1,y1,x2,y2"),
        ("1,2,x,4", "x1,y1,x2,y2 must be numbers"),
        ("5,5,5,5", "the two points are the same"),
    ):
        with pytest.raises(SystemExit) as exit_code:
            main(["detect", str(street), "-o", str(tmp_path / "out"), "--count-line", bad])
        assert exit_code.value.code == 2 and reason in capsys.readouterr().err
    code = main(
        ["detect", str(street), "-o", str(tmp_path / "out"), "--count-line", "1,2,3,4,a", "--count-line", "5,6,7,8,a"]
    )
    assert code == 2 and "two counting lines are named 'a'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# ----- the tracker and the lines on hand-made detections ------------------------------------------------------


def person(x: float, y: float = 100, score: float = 0.9, size: float = 60) -> Detection:
    return Detection(0, "person", score, x, y, x + size, y + 2 * size)


def run(tracker: Tracker, frames: list[list[Detection]], fps: float = 10) -> list[list[int | None]]:
    return [[d.track_id for d in tracker.update(k, k / fps, Detections.from_rows(ds))] for k, ds in enumerate(frames)]


def test_ids_are_given_once_confirmed_and_survive_short_misses_only():
    frames = [[person(10 * k)] for k in range(5)] + [[]] * 9 + [[person(140)]] + [[]] * 12 + [[person(150)]]
    ids = run(Tracker(TrackingOptions(min_frames=3, lost_seconds=1.0)), frames)
    assert ids[:5] == [[None], [None], [1], [1], [1]]
    assert ids[14] == [1]  # 0.9 s unseen, where it was heading: the same object
    assert ids[27] == [None]  # 1.2 s unseen: a new track, not confirmed yet
    tracker = Tracker(TrackingOptions(min_frames=1))
    assert run(tracker, [[person(0), person(300)], [person(5), person(305)]]) == [[1, 2], [1, 2]]
    assert [(t.track_id, t.first_frame, t.last_frame, t.frames) for t in tracker.tracks()] == [
        (1, 0, 1, 2),
        (2, 0, 1, 2),
    ]


def test_two_objects_passing_each_other_keep_their_ids_and_classes_never_mix():
    # Two people walking towards each other, their boxes overlapping by half while they pass; a dog on A's path.
    frames = []
    for k in range(20):
        a, b = person(20 * k, 100), person(380 - 20 * k, 160)
        frames.append([a, b] if k % 2 else [b, a])  # detection order changes: ids must not
    ids = run(Tracker(TrackingOptions(min_frames=2)), frames)
    by_person = [pair if k % 2 else pair[::-1] for k, pair in enumerate(ids)]  # (A's id, B's id)
    assert by_person[0] == [None, None] and by_person[1:] == [[2, 1]] * 19  # B came first in frame 0
    tracker = Tracker(TrackingOptions(min_frames=1))
    dog = Detection(16, "dog", 0.9, 0, 100, 60, 220)
    assert run(tracker, [[person(0)], [dog]]) == [[1], [2]]
    assert tracker.distinct() == {"person": 1, "dog": 1}


def test_the_same_frames_always_give_the_same_tracks():
    rng = np.random.default_rng(7)
    frames = [
        [
            person(float(x), float(y), float(s))
            for x, y, s in zip(rng.uniform(0, 600, 6), rng.uniform(0, 300, 6), rng.uniform(0.3, 1, 6))
        ]
        for _ in range(40)
    ]
    line = CountLine(300, 0, 300, 400, "mid")
    first, second = Tracker(TrackingOptions(lines=(line,))), Tracker(TrackingOptions(lines=(line,)))
    assert run(first, frames) == run(second, frames)
    assert first.tracks() == second.tracks() and first.crossings == second.crossings


def test_line_directions_and_segment_ends():
    down = CountLine(240, 0, 240, 300)  # drawn top to bottom
    up = CountLine(240, 300, 240, 0)
    flat = CountLine(0, 150, 480, 150)
    assert down.directions == ("right-to-left", "left-to-right") and up.directions == ("left-to-right", "right-to-left")
    assert down.crossing((200, 100), (260, 100)) == up.crossing((200, 100), (260, 100)) == "left-to-right"
    assert down.crossing((260, 100), (200, 100)) == "right-to-left"
    assert down.crossing((200, 100), (230, 100)) is None  # not there yet
    assert down.crossing((200, 320), (260, 320)) is None  # past the end of the segment
    assert (
        flat.crossing((100, 100), (100, 200)) == "top-to-bottom"
        and flat.crossing((100, 200), (90, 100)) == "bottom-to-top"
    )
    assert parse_count_line("1, 2, 3, 4", 2) == CountLine(1, 2, 3, 4, "line 2")
    assert parse_count_line("1,2,3,4,front door, left").name == "front door, left"
    with pytest.raises(LineError):
        parse_count_line("1,2,1,2")
    # A crossing found before its track is confirmed is counted once it is, with its id.
    tracker = Tracker(TrackingOptions(min_frames=3, lines=(down,)))
    run(tracker, [[person(190)], [person(215)], [person(240)], [person(265)]])  # centres 220, 245, …
    assert [(c.frame, c.track_id, c.direction) for c in tracker.crossings] == [(1, 1, "left-to-right")]


def test_window_tracks_in_slices_equal_tracks_at_once(street, app_detector):
    """The window's re-tracking (``retrack.StoreTracks``) a few milliseconds at a time, as the GUI thread runs it,
    gives what one pass gives; memory for the ids stays a small part of the kept candidates'."""
    from yolo_desktop.settings import DetectorSettings
    from yolo_desktop.video.detect import VideoDetection
    from yolo_desktop.video.frame_store import FrameStore
    from yolo_desktop.video.retrack import StoreTracks

    detection = VideoDetection(app_detector, str(street), keep_pixels=False)
    info = detection.info
    store = FrameStore(info.name, info.width, info.height, info.fps, app_detector.names)
    for found in detection:
        store.append(found.frame.index, found.frame.time, found.result.candidates)
    store.finish()
    settings = DetectorSettings(classes=frozenset({"person", "motorbike"}))
    options = TrackingOptions(lines=(CountLine(*STREET_LINE, name="door"),))
    whole, sliced = StoreTracks(store, settings, options), StoreTracks(store, settings, options)
    assert whole.advance() and whole.complete
    turns = 0
    while not sliced.advance(0.0005):
        turns += 1
        assert sliced.detections(sliced.done) is None  # not reached yet: shown without ids meanwhile
    assert turns > 1
    assert [whole.detections(k) for k in range(len(store))] == [sliced.detections(k) for k in range(len(store))]
    assert whole.tracker.distinct() == STREET_DISTINCT and whole.line_counts()[0]["crossings"] == STREET_CROSSINGS
    assert whole.nbytes < store.nbytes / 4
