"""Footage analysis on the street clip (``tests/support/scenes.py``: real photos of three people and a motorbike on
known paths), end to end through ``yolo-desktop detect``: zones, stays and dwell, the event log, wall-clock times,
counts per interval, the heatmap, and a run killed with SIGKILL keeping a valid log. Every count is known by
construction: each actor's bottom centre is placed in or out of each zone frame by frame from its path
(``expected_stays``), independently of the model."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.support import processes
from tests.support.scenes import (
    STREET_ACTORS,
    STREET_CROSSINGS,
    STREET_FPS,
    STREET_FRAMES,
    STREET_LINE,
    STREET_SIZE,
    STREET_ZONES,
    anchors,
    render,
    write,
)
from yolo_desktop.cli.main import main
from yolo_desktop.geometry import in_polygon
from yolo_desktop.video.event_files import EVENT_COLUMNS, read_events

REPO = Path(__file__).resolve().parents[2]
CLASSES = "person,motorbike"
LINE = ",".join(f"{v:g}" for v in STREET_LINE) + ",door"
START = datetime(2026, 12, 7, 8, 15, 0)


def zone_flag(name: str) -> str:
    return ",".join(f"{v:g}" for point in STREET_ZONES[name] for v in point) + f",{name}"


ZONE_FLAGS = ["--zone", zone_flag("crossing"), "--zone", zone_flag("kerb"), "--min-dwell", "0.4"]


def expected_stays() -> list[tuple[str, str, int, int, int]]:
    """(zone, class, first frame inside, last frame inside, frame it left) for every stay, from the actors' paths
    (their bottom centres while at least half in view): it leaves on the first frame seen outside, or — when it
    goes out of the picture while inside — on the last frame it was seen. What the tracker should report, frame
    for frame within the model's reach (an object is found from about half in view: ±2 frames at the picture's
    edges, ±1 elsewhere)."""
    stays = []
    for actor in STREET_ACTORS:
        seen = anchors(actor)
        for zone, polygon in STREET_ZONES.items():
            entered, last = None, -1
            for frame in sorted(seen):
                inside = bool(in_polygon(np.array([seen[frame]]), np.array(polygon, float))[0])
                if inside and entered is None:
                    entered = frame
                elif not inside and entered is not None:
                    stays.append((zone, actor.kind, entered, last, frame))
                    entered = None
                if inside:
                    last = frame
            if entered is not None:
                stays.append((zone, actor.kind, entered, last, last))
    return sorted(stays, key=lambda s: s[2])


@pytest.fixture(scope="module")
def street(tmp_path_factory, data_dir) -> Path:
    """The street clip, named as a camera names its recordings (a wall-clock time in the name)."""
    folder = tmp_path_factory.mktemp("footage")
    frames = render(data_dir, STREET_ACTORS, STREET_FRAMES, STREET_SIZE)
    return write(folder / "cam1_20261207_081500.avi", frames, STREET_FPS)


@pytest.fixture(scope="module")
def analysed(street, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("analysed")
    flags = ["--classes", CLASSES, "--count-line", LINE, *ZONE_FLAGS, "--interval", "2s", "--snapshots"]
    code = main(["detect", str(street), "-o", str(out), "--quiet", *flags])
    assert code == 0
    return out, json.loads((out / "detections.json").read_text(encoding="utf-8"))["videos"][0]


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_truth_by_construction_is_what_the_scene_says():
    """The stays computed from the paths are the ones the scene was drawn for (scenes.py's comments)."""
    assert [(z, k, first, left) for z, k, first, _last, left in expected_stays()] == [
        ("crossing", "person", 11, 21),  # A walks through
        ("crossing", "person", 13, 22),  # B, the other way
        ("kerb", "motorbike", 24, 34),  # from the right edge (half in view) to the notch
        ("kerb", "motorbike", 42, 54),  # back on the kerb after the notch (hidden 37–41), out on the left
        ("crossing", "person", 48, 55),  # C walks in, stops past the zone's edge (its middle at x 334)…
        ("crossing", "person", 62, 69),  # …turns back: a second stay
    ]


def test_zone_counts_stays_and_events_are_those_of_the_paths(analysed):
    out, record = analysed
    crossing, kerb = record["zones"]
    assert crossing["name"] == "crossing" and crossing["points"] == [list(p) for p in STREET_ZONES["crossing"]]
    assert crossing["counts"] == {"person": {"entered": 4, "left": 4, "visits": 4, "inside": 0}}
    # The motorbike leaves the kerb at the notch and comes back: two stays, both visits (≥ 0.4 s).
    assert kerb["counts"] == {"motorbike": {"entered": 2, "left": 2, "visits": 2, "inside": 0}}
    assert record["tracking"] == {"min_frames": 3, "lost_seconds": 1.0, "anchor": "auto", "min_dwell": 0.4}
    assert record["lines"][0]["crossings"] == STREET_CROSSINGS
    assert record["events"] == {"cross": 5, "enter": 6, "leave": 6, "visit": 6}
    assert record["wall_clock_start"] == "2026-12-07T08:15:00.000"

    stays = read_csv(out / "cam1_20261207_081500.zones.csv")
    truth = expected_stays()
    assert len(stays) == len(truth)
    for stay, (zone, label, first, last, _left) in zip(stays, truth):
        assert (stay["zone"], stay["label"]) == (zone, label)
        assert abs(int(stay["first_frame"]) - first) <= 2, (stay, first)
        assert abs(int(stay["last_frame"]) - last) <= 2, (stay, last)
        assert float(stay["dwell"]) == pytest.approx((int(stay["last_frame"]) - int(stay["first_frame"])) / 10)
        assert stay["visit"] == "1" and stay["inside_at_end"] == "0"
        wall = START + timedelta(seconds=int(stay["first_frame"]) / 10)
        assert stay["first_wall_time"] == wall.isoformat(timespec="milliseconds")
    by_track = {}
    for stay in stays:
        by_track.setdefault(stay["track_id"], []).append(stay["zone"])
    assert sorted(by_track.values()) == [["crossing"], ["crossing"], ["crossing", "crossing"], ["kerb", "kerb"]]


def test_the_event_log_is_in_time_order_with_wall_clock_and_snapshots(analysed):
    out, _record = analysed
    rows = read_csv(out / "cam1_20261207_081500.events.csv")
    assert tuple(rows[0]) == EVENT_COLUMNS
    lines = read_events(out / "cam1_20261207_081500.events.jsonl")
    assert [r["event"] for r in rows] == [line["event"] for line in lines]
    frames = [int(r["frame"]) for r in rows]
    assert frames == sorted(frames)
    enters = [(r["place"], int(r["frame"])) for r in rows if r["event"] == "enter"]
    leaves = [(r["place"], int(r["frame"])) for r in rows if r["event"] == "leave"]
    truth = expected_stays()
    assert [p for p, _f in enters] == [z for z, *_ in truth]
    for (_place, frame), (_z, _k, first, _last, _left) in zip(enters, truth):
        assert abs(frame - first) <= 2
    # Leaving is dated on the first frame seen outside, or the last seen when the object vanished inside.
    by_leaving = sorted(truth, key=lambda s: s[4])
    assert [p for p, _f in leaves] == [z for z, *_ in by_leaving]
    for (place, frame), (_z, _k, _first, _last, left) in zip(leaves, by_leaving):
        assert abs(frame - left) <= 2, (place, frame, left)
    for row, line in zip(rows, lines):
        assert float(row["time"]) == pytest.approx(int(row["frame"]) / STREET_FPS)
        wall = START + timedelta(seconds=int(row["frame"]) / STREET_FPS)
        assert row["wall_time"] == line["wall_time"] == wall.isoformat(timespec="milliseconds")
        assert row["video"] == line["video"] and row["video"].endswith("cam1_20261207_081500.avi")
        assert row["event"] in ("cross", "enter", "leave", "visit") and 0.2 < float(row["score"]) <= 1
        if row["event"] in ("leave", "visit"):
            assert float(row["dwell"]) >= (0.4 if row["event"] == "visit" else 0) and row["direction"] == ""
        if row["event"] == "cross":
            assert row["place"] == "door" and row["direction"] in ("left-to-right", "right-to-left")
        # The snapshot is the object: a crop of the box at that frame, on disk beside the log.
        snapshot = out / row["snapshot"]
        crop = cv2.imread(str(snapshot))
        box = [float(row[k]) for k in ("x1", "y1", "x2", "y2")]
        assert (
            crop is not None
            and abs(crop.shape[1] - (box[2] - box[0])) <= 2
            and abs(crop.shape[0] - (box[3] - box[1])) <= 2
        )


def test_counts_per_interval_add_up_to_the_totals(analysed):
    out, _record = analysed
    rows = read_csv(out / "intervals.csv")
    starts = sorted({r["start"] for r in rows})
    # 8 s of video from 08:15:00 in 2 s intervals, each fully recorded.
    assert starts == [(START + timedelta(seconds=2 * k)).isoformat() for k in range(4)]
    assert {r["recorded_s"] for r in rows} == {"2.0"}
    totals: dict[tuple[str, str, str], int] = {}
    for r in rows:
        totals[(r["label"], r["place"], r["measure"])] = totals.get((r["label"], r["place"], r["measure"]), 0) + int(
            r["count"]
        )
    assert totals[("person", "crossing", "entered")] == 4 and totals[("motorbike", "kerb", "visits")] == 2
    assert totals[("person", "door", "left-to-right")] == 2 and totals[("motorbike", "door", "right-to-left")] == 1
    # A and B enter the crossing in the first 2 s; C at 4.8 s and again at 6.2 s.
    first = {(r["start"], r["measure"]): int(r["count"]) for r in rows if r["place"] == "crossing"}
    assert [first[(s, "entered")] for s in starts] == [2, 0, 1, 1]


def test_the_heatmap_is_hot_where_objects_went(analysed, street):
    out, record = analysed
    heat = cv2.imread(str(out / "cam1_20261207_081500.heatmap.png"))[:, :, ::-1].astype(int)
    first = cv2.VideoCapture(str(street))
    ok, frame = first.read()
    first.release()
    assert ok and heat.shape == frame.shape and record["outputs"]["heatmap"] == "cam1_20261207_081500.heatmap.png"
    changed = np.abs(heat - frame[:, :, ::-1].astype(int)).sum(axis=2) > 30
    # People stand at y 140–210 and the motorbike's wheels at ~290 (bottom centres): tinted there, not at the top.
    assert changed[130:215].mean() > 0.3 and changed[280:300].mean() > 0.3 and changed[:60].mean() < 0.02


def test_a_killed_run_keeps_a_valid_event_log_and_resume_finishes_it(tmp_path, data_dir):
    """SIGKILL mid-video: every line of the log is a whole event (no half row); ``--resume`` processes the clip
    again and writes the same log a run that never stopped writes."""
    frames = render(data_dir, STREET_ACTORS, STREET_FRAMES, STREET_SIZE)
    clip = write(tmp_path / "long_20261207_090000.avi", frames * 2, STREET_FPS)  # 16 s: time to be killed
    out, whole = tmp_path / "out", tmp_path / "whole"
    base = [str(clip), "--quiet", "--classes", CLASSES, "--count-line", LINE, "--no-images", *ZONE_FLAGS]
    base += ["--stride", "2"]  # half the frames: the test's time
    args = [*base, "-o", str(out), "--resume"]
    command = [sys.executable, "-m", "yolo_desktop", "detect", *args]
    process = processes.popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = out / "long_20261207_090000.events.csv"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if log.is_file() and len(log.read_text(encoding="utf-8-sig").splitlines()) > 8:
                break
            time.sleep(0.02)
        assert process.poll() is None, "the run ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    kept = read_csv(log)
    assert len(kept) >= 8 and all(len(row) == len(EVENT_COLUMNS) and row["snapshot"] is not None for row in kept)
    assert all(json.loads(line) for line in (out / "long_20261207_090000.events.jsonl").read_text().splitlines())
    assert main(["detect", *args]) == 0
    assert main(["detect", *base, "-o", str(whole)]) == 0
    for name in (log.name, "long_20261207_090000.events.jsonl", "long_20261207_090000.zones.csv"):
        assert (out / name).read_bytes() == (whole / name).read_bytes(), name


def test_a_folder_of_clips_in_time_order_with_a_corrupt_clip_and_another_camera(tmp_path, street, data_dir, capsys):
    """Zones saved with the folder (as the window saves them) are used for every clip of their camera size; the
    clips are taken in the order of the times in their names, not their names' order; a corrupt clip and a clip
    of another size each get one line naming them, the others are processed; ``--resume`` skips what is done;
    intervals count over the clips together, on the clock."""
    from yolo_desktop.video.lines import CountLine
    from yolo_desktop.video.zone_book import CameraSetup, ZoneBook
    from yolo_desktop.video.zones import Zone

    folder = tmp_path / "recordings"
    folder.mkdir()
    late = folder / "a_cam1_20261207_081510.avi"  # named first, recorded second
    early = folder / "b_cam1_20261207_081500.avi"
    for clip in (late, early):
        clip.write_bytes(street.read_bytes())
    (folder / "c_cam1_20261207_081505.avi").write_bytes(b"RIFF\x00\x00\x00\x00AVI LIST" + bytes(300))  # corrupt
    small = render(data_dir, STREET_ACTORS[:1], 10, (320, 200))
    write(folder / "d_cam2_20261207_081520.avi", small, STREET_FPS)  # another camera: no zones for its size
    zones = tuple(Zone(points, name) for name, points in STREET_ZONES.items())
    ZoneBook.load(folder).set(*STREET_SIZE, CameraSetup(zones, (CountLine(*STREET_LINE, name="door"),)))
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    out = tmp_path / "out"
    args = [str(folder), "-o", str(out), "--quiet", "--classes", CLASSES, "--min-dwell", "0.4", "--no-images"]
    assert main(["detect", *args, "--interval", "10s", "--resume"]) == 1
    printed = capsys.readouterr().out
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # inputs never written
    records = json.loads((out / "detections.json").read_text(encoding="utf-8"))["videos"]
    assert [Path(r["path"]).name for r in records] == [
        "b_cam1_20261207_081500.avi",
        "c_cam1_20261207_081505.avi",
        "a_cam1_20261207_081510.avi",
        "d_cam2_20261207_081520.avi",
    ]
    b, c, a, d = records
    assert a["zones"] == b["zones"] and b["zones"][0]["counts"]["person"]["entered"] == 4
    assert a["events"] == b["events"] == {"cross": 5, "enter": 6, "leave": 6, "visit": 6}
    assert c["fps"] is None and "c_cam1_20261207_081505.avi" in c["path"]
    assert d["fps"] is None and "are for 480×300, not for this 320×200 clip" in d["error"]
    assert not list((out / "recordings").glob("c_*")) and not list((out / "recordings").glob("d_*"))
    assert "2 videos not read to the end:" in printed and f"  {d['path']}: the zones saved in" in printed
    assert f"Zones and lines from {folder / '.yolo-desktop-zones.json'}" in printed
    assert "All 2 videos: 0:16.00 of video, 160 frames processed" in printed
    rows = read_csv(out / "intervals.csv")
    entered = {r["start"][11:]: int(r["count"]) for r in rows if (r["place"], r["measure"]) == ("crossing", "entered")}
    assert entered == {"08:15:00": 4, "08:15:10": 4}  # one clip in each 10 s interval
    assert {r["recorded_s"] for r in rows} == {"8.0"}

    # Run again with --resume: both clips are done (their part files say so), nothing is processed again.
    logs = {p: p.stat().st_mtime_ns for p in (out / "recordings").glob("*.events.csv")}
    assert main(["detect", *args, "--interval", "10s", "--resume"]) == 1
    assert {p: p.stat().st_mtime_ns for p in logs} == logs
    assert json.loads((out / "detections.json").read_text(encoding="utf-8"))["videos"] == records
    # Other zones flags than the parts were made with: refused, saying what differs.
    assert main(["detect", *args, "--resume", "--min-dwell", "2"]) == 2
    assert "cannot resume" in capsys.readouterr().err


def test_bad_zones_are_refused_naming_them(tmp_path, street, capsys):
    """Zones that cannot be zones stop the command before anything runs (exit code 2, the flag and why); a zone
    outside a clip's frame fails that clip alone (exit code 1), nothing written for it."""
    for bad, reason in (
        ("10,10,200,10", "give at least 3 points"),
        ("0,0,100,100,100,0,0,100,bow", "zone 'bow' crosses itself"),
        ("0,0,100,0,100,x", "each point needs x and y"),
    ):
        with pytest.raises(SystemExit) as exit_code:
            main(["detect", str(street), "-o", str(tmp_path / "out"), "--zone", bad])
        error = capsys.readouterr().err
        assert exit_code.value.code == 2 and "error: argument --zone: " in error and reason in error, error
    assert not (tmp_path / "out").exists()
    code = main(["detect", str(street), "-o", str(tmp_path / "out"), "--quiet", "--zone", "0,0,500,0,500,300,lot"])
    printed = capsys.readouterr().out
    assert code == 1
    assert f"{street}: zone 'lot' is outside cam1_20261207_081500.avi's 480×300 frame (point 2 is at 500,0)" in printed
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["detections.csv", "detections.json"]
