"""``yolo-desktop detect`` on real video files: real decode, real model, real encode, exit codes, Ctrl+C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import REPO, read_rgb
from tests.core.test_cli import digest_tree
from tests.support import processes
from tests.video.conftest import decode_all, truncate, video_facts, write_clip
from yolo_desktop.cli.main import main
from yolo_desktop.imaging.annotate import draw_detections
from yolo_desktop.pipeline.run import Job, run_one
from yolo_desktop.records import detection_record


def run(*args: str) -> int:
    return main(["detect", *args, "--quiet"])


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def still_records(detector, rgb: np.ndarray) -> list[dict]:
    """The detections.json records of one decoded frame, detected as a still image."""
    return [detection_record(d) for d in run_one(detector, Job.video_frame(rgb, "still")).result.detections]


def untracked(records: list[dict]) -> list[dict]:
    """A tracked video's detection records without their ``track_id`` (tests/video/test_tracking.py checks those)."""
    assert all("track_id" in r for r in records)
    return [{key: value for key, value in r.items() if key != "track_id"} for r in records]


def test_videos_and_photos_in_one_batch(tmp_path, clips, app_detector, capsys):
    out = tmp_path / "out"
    before = digest_tree(clips["folder"])
    assert run(str(clips["folder"]), "-o", str(out)) == 0
    printed = capsys.readouterr().out
    assert digest_tree(clips["folder"]) == before  # inputs never written
    assert not [p for p in out.rglob("*") if p.name.startswith(".") or ".part" in p.name]
    tree = out / "my clips"
    assert sorted(p.name for p in tree.iterdir()) == [
        "camera.png",
        "coffee.frames.csv",
        "coffee.frames.jsonl",
        "coffee.mp4",
        "coffee.tracks.csv",
        "street.frames.csv",
        "street.frames.jsonl",
        "street.mp4",
        "street.tracks.csv",
    ]
    document = json.loads((out / "detections.json").read_text(encoding="utf-8"))
    assert [Path(r["path"]).name for r in document["images"]] == ["camera.png"]
    records = {Path(v["path"]).name: v for v in document["videos"]}
    assert set(records) == {"street.mp4", "coffee.avi"}

    for name, source, label in (("street.mp4", clips["mp4"], "motorbike"), ("coffee.avi", clips["avi"], "cup")):
        count, width, height, fps = video_facts(source)
        annotated = tree / (Path(name).stem + ".mp4")
        assert video_facts(annotated) == (count, width, height, fps)  # every frame, same size and rate
        lines = jsonl(tree / (Path(name).stem + ".frames.jsonl"))
        assert [line["frame"] for line in lines] == list(range(count))
        assert [line["time"] for line in lines] == pytest.approx([k / fps for k in range(count)], abs=1e-3)
        decoded = decode_all(source)
        for k in (0, count // 2, count - 1):  # frame k's detections = a still detection of decoded frame k
            assert untracked(lines[k]["detections"]) == still_records(app_detector, decoded[k])
        record = records[name]
        assert (record["frame_count"], record["frames_read"], record["frames_processed"]) == (count, count, count)
        assert (record["width"], record["height"], record["fps"]) == (width, height, fps)
        assert record["duration"] == pytest.approx(count / fps)
        totals: dict[str, int] = {}
        most: dict[str, int] = {}
        for line in lines:
            per_frame: dict[str, int] = {}
            for d in line["detections"]:
                per_frame[d["label"]] = per_frame.get(d["label"], 0) + 1
            for key, value in per_frame.items():
                totals[key] = totals.get(key, 0) + value
                most[key] = max(most.get(key, 0), value)
        assert record["counts"] == totals and record["most_at_once"] == most
        assert totals[label] >= count // 2  # the photo's object is found in most frames
        assert record["error"] is None
        csv_rows = (tree / (Path(name).stem + ".frames.csv")).read_text(encoding="utf-8-sig").splitlines()
        assert len(csv_rows) == 1 + sum(totals.values())
    assert "street.mp4: 24 frames processed" in printed and "frames/s" in printed


def test_stride_and_time_range(tmp_path, clips, app_detector):
    out = tmp_path / "out"
    # 12 fps: 0.5 s → frame 6; 1.5 s → frame 18 (exclusive); stride 4 → frames 6, 10, 14.
    assert run(str(clips["mp4"]), "-o", str(out), "--stride", "4", "--start", "0.5", "--end", "0:01.5") == 0
    lines = jsonl(out / "street.frames.jsonl")
    assert [line["frame"] for line in lines] == [6, 10, 14]
    assert [line["time"] for line in lines] == pytest.approx([0.5, 10 / 12, 14 / 12], abs=1e-3)
    decoded = decode_all(clips["mp4"])
    for line in lines:
        assert untracked(line["detections"]) == still_records(app_detector, decoded[line["frame"]])
    written = decode_all(out / "street.mp4")
    assert len(written) == 12  # frames 6..17, all of them
    record = json.loads((out / "detections.json").read_text(encoding="utf-8"))["videos"][0]
    assert record["range"] == {"start": 0.5, "end": 1.5, "stride": 4}
    assert (record["frames_read"], record["frames_processed"]) == (12, 3)

    # A frame between processed ones carries the boxes of the processed frame before it: the written frame is far
    # closer, on the box outlines, to that frame drawn with those boxes than to the frame without them.
    result = run_one(app_detector, Job.video_frame(decoded[10], "f10")).result
    assert result.detections
    for index in (11, 13):
        with_boxes = draw_detections(decoded[index], result.detections)
        outline = np.any(with_boxes != decoded[index], axis=2)
        got = written[index - 6].astype(np.int32)
        near_boxes = np.abs(got - with_boxes)[outline].mean()
        near_plain = np.abs(got - decoded[index])[outline].mean()
        assert near_boxes < near_plain / 4, (near_boxes, near_plain)


def test_video_frames_are_tiled_like_photos(tmp_path, clips, tiny_model, app_detector):
    """``--tiles`` reaches every frame: each frame's records are that frame detected as a tiled still."""
    from yolo_desktop.inference.detector import Detector
    from yolo_desktop.settings import DetectorSettings

    out = tmp_path / "out"
    tiles = ["--tiles", "320", "--stride", "8", "--no-images", "--no-track"]  # records as a still's (no track ids)
    assert run(str(clips["mp4"]), "-o", str(out), *tiles) == 0
    lines = jsonl(out / "street.frames.jsonl")
    assert [line["frame"] for line in lines] == [0, 8, 16]
    tiled = Detector(tiny_model, DetectorSettings(tiles="320"))
    decoded = decode_all(clips["mp4"])
    for line in lines:
        assert line["detections"] == still_records(tiled, decoded[line["frame"]])
    assert any(line["detections"] != still_records(app_detector, decoded[line["frame"]]) for line in lines)
    assert json.loads((out / "detections.json").read_text(encoding="utf-8"))["settings"]["tiles"] == "320"


def test_damaged_and_unreadable_videos_do_not_stop_the_batch(tmp_path, clips, data_dir, capsys):
    folder = tmp_path / "inputs"
    folder.mkdir()
    (folder / "cut.avi").write_bytes(clips["cut"].read_bytes())
    import wave

    with wave.open(str(folder / "voice memo.mp4"), "wb") as sound:  # audio only, named like a video
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\0\0" * 4000)
    # A real MJPG AVI whose codec is declared as one FFmpeg does not know.
    write_clip(folder / "odd codec.avi", read_rgb(data_dir / "coffee.png"), 3, 10.0, "MJPG")
    data = bytearray((folder / "odd codec.avi").read_bytes())
    header = data.index(b"strh")
    data[header + 12 : header + 16] = b"ZZZZ"
    info = data.index(b"strf")
    data[info + 24 : info + 28] = b"ZZZZ"
    (folder / "odd codec.avi").write_bytes(bytes(data))
    write_clip(folder / "unfinished.mp4", read_rgb(data_dir / "coffee.png"), 12, 10.0, "mp4v")
    truncate(folder / "unfinished.mp4", 0.7)  # the index (moov) comes last: a recording cut off
    (folder / "notes.mkv").write_text("not a video\n", encoding="utf-8")
    (folder / "photo.png").write_bytes((data_dir / "camera.png").read_bytes())
    readable = len(decode_all(folder / "cut.avi"))
    assert 0 < readable < 20

    out = tmp_path / "out"
    assert run(str(folder), "-o", str(out)) == 1
    printed = capsys.readouterr().out
    document = json.loads((out / "detections.json").read_text(encoding="utf-8"))
    errors = {Path(v["path"]).name: v["error"] for v in document["videos"]}
    assert errors == {
        "cut.avi": f"stopped at frame {readable} (0:0{readable / 10:.2f}) of 20: the rest could not be decoded "
        "(the file is damaged or truncated)",
        "voice memo.mp4": "an audio file (WAV): no video stream",
        "odd codec.avi": "unsupported video codec 'ZZZZ' (this OpenCV/FFmpeg build cannot decode it)",
        "unfinished.mp4": "truncated or unfinished MP4/MOV: its index (moov) is missing, as when a recording is "
        "cut off",
        "notes.mkv": "not a video OpenCV can read (unrecognized content: damaged, or not a video)",
    }
    for name, reason in errors.items():
        assert f"{folder / name}: {reason}" in printed  # one line naming the file
    # What could be read was processed and written; the photo after them too.
    assert len(jsonl(out / "inputs" / "cut.frames.jsonl")) == readable
    assert video_facts(out / "inputs" / "cut.mp4")[0] == readable
    assert [Path(r["path"]).name for r in document["images"]] == ["photo.png"]
    assert not (out / "inputs" / "voice memo.mp4").exists()
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]


def test_ctrl_c_leaves_playable_files(tmp_path, data_dir):
    photo = cv2.resize(read_rgb(data_dir / "coffee.png"), (320, 224))
    write_clip(tmp_path / "long.mp4", photo, 400, 25.0, "mp4v", shift=2)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = processes.popen(
        [sys.executable, "-m", "yolo_desktop.cli", "detect", str(tmp_path / "long.mp4"), "-o", str(out), "--quiet"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            parts = [p for p in out.glob(".long.mp4.*.part.mp4")] if out.exists() else []
            if parts and parts[0].stat().st_size > 100_000:  # frames are being written
                break
            time.sleep(0.05)
        assert process.poll() is None, process.communicate()
        process.send_signal(signal.SIGINT)
        _stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    frames, width, height, fps = video_facts(out / "long.mp4")
    lines = jsonl(out / "long.frames.jsonl")
    assert 0 < frames < 400 and (width, height, fps) == (320, 224, 25.0)
    assert len(lines) == frames  # every frame written was processed (stride 1), and both files are complete
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]
