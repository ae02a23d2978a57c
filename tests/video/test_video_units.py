"""Small pieces of the video front-end that need no model: times, frame ranges, inputs with videos, formats."""

from __future__ import annotations

import json

import pytest

from tests.conftest import read_rgb
from tests.video.conftest import video_facts, write_clip
from yolo_desktop.cli.main import main
from yolo_desktop.pipeline.inputs import collect_inputs
from yolo_desktop.video.detect import FrameRange
from yolo_desktop.video.probe import VideoInfo
from yolo_desktop.video.timecode import TimecodeError, format_time, parse_time


def test_times():
    assert [parse_time(t) for t in ("90", "1:30", "00:01:30.5", "0:00:00", "2.25")] == [90, 90, 90.5, 0, 2.25]
    for bad in ("", "1:60", "-3", "a:b", "1::2", "1:2:3:4", "inf"):
        with pytest.raises(TimecodeError):
            parse_time(bad)
    assert [format_time(s) for s in (0, 7.25, 59.999, 3723)] == ["0:00.00", "0:07.25", "1:00.00", "1:02:03.00"]


def test_frame_range():
    info = VideoInfo("clip.mp4", 640, 480, 25.0, 250, "FMP4")
    assert FrameRange().bounds(info) == (0, None)
    assert FrameRange(start=1.0, end=2.0).bounds(info) == (25, 50)
    assert FrameRange(start=0.01).bounds(info) == (1, None)  # the first frame at or after the start
    assert [i for i in range(10) if FrameRange(stride=3).processes(i, 0)] == [0, 3, 6, 9]
    with pytest.raises(ValueError, match="must come after"):
        FrameRange(start=5, end=5)
    with pytest.raises(ValueError, match="at least 1"):
        FrameRange(stride=0)
    with pytest.raises(Exception, match="after the end"):
        FrameRange(start=20).bounds(info)


def test_videos_join_inputs_with_collision_free_names(tmp_path):
    folder = tmp_path / "trip"
    (folder / "day 1").mkdir(parents=True)
    for name in ("clip.mp4", "clip.jpg", "CLIP.MOV", "day 1/walk.webm", "notes.txt", ".hidden.mp4"):
        (folder / name).write_bytes(b"x")
    items, problems = collect_inputs([folder], recursive=True)
    assert not problems
    found = {item.path[len(str(folder)) + 1 :]: (item.rel_dir, item.stem, item.is_video) for item in items}
    assert found == {
        "CLIP.MOV": ("trip", "CLIP_MOV", True),
        "clip.jpg": ("trip", "clip", False),
        "clip.mp4": ("trip", "clip_mp4", True),
        "day 1/walk.webm": ("trip/day 1", "walk", True),
    }
    only_images, _ = collect_inputs([folder], recursive=True, videos=False)
    assert [item.stem for item in only_images] == ["clip"]
    # Every output of a video (annotated video, .frames.jsonl/.csv) hangs off its stem: none can collide.
    stems = [(item.rel_dir, item.stem.casefold()) for item in items]
    assert len(set(stems)) == len(stems)


@pytest.mark.parametrize("video_format, extension", [("avi", ".avi"), ("webm", ".webm")])
def test_other_video_formats(tmp_path, data_dir, video_format, extension, capfd):
    write_clip(tmp_path / "in.mp4", read_rgb(data_dir / "coffee.png")[::2, ::2], 6, 10.0, "mp4v")
    out = tmp_path / "out"
    assert main(["detect", str(tmp_path / "in.mp4"), "-o", str(out), "--quiet", "--video-format", video_format]) == 0
    assert video_facts(out / f"in{extension}") == (6, 300, 200, 10.0)
    assert json.loads((out / "detections.json").read_text())["videos"][0]["outputs"]["video"] == f"in{extension}"
    assert "not supported with codec id" not in capfd.readouterr().err  # FFmpeg's noise stays out of the terminal


def test_bad_video_arguments(tmp_path, capsys):
    for args, message in ((["--stride", "0"], "is not a stride"), (["--start", "1:75"], "is not a time")):
        with pytest.raises(SystemExit) as exit_info:  # argparse refuses them
            main(["detect", str(tmp_path), "-o", str(tmp_path / "out"), *args])
        assert exit_info.value.code == 2 and message in capsys.readouterr().err
    assert main(["detect", str(tmp_path), "-o", str(tmp_path / "out"), "--start", "10", "--end", "5"]) == 2
    assert "the end (0:05.00) must come after the start (0:10.00)" in capsys.readouterr().err
