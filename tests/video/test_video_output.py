"""One video output for ``detect`` and the window's export (``video/output.py``): for the same video they write the
same files under the same names, and report a file that cannot be written the same way — as a failed write of
that file (its path, the reason), never as the video's error. Real clips, real model, real encoder, real
filesystem errors (a folder standing where a file must go)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.video.conftest import video_facts
from yolo_desktop.cli.main import main
from yolo_desktop.pipeline.inputs import InputFile, collect_inputs
from yolo_desktop.settings import DetectorSettings
from yolo_desktop.video.detect import VideoDetection
from yolo_desktop.video.export import export_video
from yolo_desktop.video.frame_store import FrameStore
from yolo_desktop.video.output import VideoOutputOptions, VideoOutputResult

VIDEO_FILES = ["street.frames.csv", "street.frames.jsonl", "street.mp4", "street.tracks.csv"]


@pytest.fixture(scope="module")
def street(clips) -> InputFile:
    """The mp4 clip as both front-ends list it (one file given: no subfolder)."""
    items, problems = collect_inputs([clips["mp4"]])
    assert not problems and len(items) == 1
    return items[0]


@pytest.fixture(scope="module")
def processed(street, app_detector) -> FrameStore:
    """The clip processed as the window's worker does: every frame's candidates kept."""
    detection = VideoDetection(app_detector, street.path, keep_pixels=False)
    info = detection.info
    store = FrameStore(street.path, info.width, info.height, info.fps, app_detector.names)
    for found in detection:
        assert found.result.candidates is not None
        store.append(found.frame.index, found.frame.time, found.result.candidates)
    store.finish()
    return store


def detect(clip: Path, out: Path, capsys) -> tuple[int, dict, str]:
    """``yolo-desktop detect CLIP -o OUT`` (defaults: json,csv, annotated mp4): exit code, record, stdout."""
    code = main(["detect", str(clip), "-o", str(out), "--quiet"])
    printed = capsys.readouterr().out
    record = json.loads((out / "detections.json").read_text(encoding="utf-8"))["videos"][0]
    return code, record, printed


def export(store: FrameStore, item: InputFile, out: Path) -> VideoOutputResult:
    """The window's export of that video at the command line's default thresholds, json and csv, annotated."""
    out.mkdir(parents=True, exist_ok=True)
    return export_video(store, item, out, DetectorSettings(), VideoOutputOptions())


def relative(failures: list[tuple[str, str]], out: Path) -> list[tuple[str, str]]:
    return [(str(Path(path).relative_to(out)), reason) for path, reason in failures]


def leftovers(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.startswith(".")]


def test_cli_and_window_export_write_the_same_files_under_the_same_names(tmp_path, clips, street, processed, capsys):
    cli_out, window_out = tmp_path / "cli", tmp_path / "window"
    code, cli_record, _printed = detect(clips["mp4"], cli_out, capsys)
    exported = export(processed, street, window_out)
    assert code == 0 and not exported.failed and exported.error is None

    assert sorted(p.name for p in cli_out.iterdir()) == sorted(["detections.csv", "detections.json", *VIDEO_FILES])
    assert sorted(p.name for p in window_out.iterdir()) == VIDEO_FILES
    assert sorted(exported.written) == [window_out / name for name in VIDEO_FILES]
    expected_outputs = {
        "video": "street.mp4",
        "frames_jsonl": "street.frames.jsonl",
        "frames_csv": "street.frames.csv",
        "tracks_csv": "street.tracks.csv",
        "crossings_csv": None,  # no counting line
    }
    assert cli_record["outputs"] == exported.record["outputs"] == expected_outputs
    # Same thresholds, same frames: the per-frame files are the same bytes, and the records the same facts.
    for name in ("street.frames.jsonl", "street.frames.csv", "street.tracks.csv"):
        assert (cli_out / name).read_bytes() == (window_out / name).read_bytes(), name
    assert video_facts(cli_out / "street.mp4") == video_facts(window_out / "street.mp4") == video_facts(clips["mp4"])
    assert cli_record == exported.record
    assert not leftovers(cli_out) and not leftovers(window_out)


def test_a_frame_file_that_cannot_be_written_is_a_failed_write_of_that_file_in_both(
    tmp_path, clips, street, processed, capsys
):
    """A folder where ``street.frames.csv`` must go: that file, and only it, is reported — with its path and the
    reason, as a photo's file would be — while the video and its jsonl are written and the video counts as read
    to the end (its record's ``error`` stays None: the input is fine, the output folder is not)."""
    cli_out, window_out = tmp_path / "cli", tmp_path / "window"
    for out in (cli_out, window_out):
        (out / "street.frames.csv").mkdir(parents=True)

    code, cli_record, printed = detect(clips["mp4"], cli_out, capsys)
    exported = export(processed, street, window_out)

    assert code == 1  # something the user asked for is missing
    assert f"1 output file(s) could not be written:\n  {cli_out / 'street.frames.csv'}: Is a directory" in printed
    assert "not read to the end" not in printed and "street.mp4: 24 frames processed" in printed
    assert exported.failed == [(str(window_out / "street.frames.csv"), "Is a directory")]
    for record in (cli_record, exported.record):
        assert record["error"] is None and record["frames_processed"] == 24 and record["detections"] > 0
        assert record["outputs"] == {
            "video": "street.mp4",
            "frames_jsonl": "street.frames.jsonl",
            "frames_csv": None,
            "tracks_csv": "street.tracks.csv",
            "crossings_csv": None,
        }
    assert cli_record == exported.record
    for out in (cli_out, window_out):
        assert len((out / "street.frames.jsonl").read_text(encoding="utf-8").splitlines()) == 24
        assert video_facts(out / "street.mp4")[0] == 24
        assert not any((out / "street.frames.csv").iterdir()) and not leftovers(out)


def test_outputs_that_cannot_be_opened_are_failed_writes_and_the_video_is_still_processed(
    tmp_path, clips, processed, capsys
):
    """The video's folder under OUT cannot be made (a file stands there): each of its four outputs is a failed
    write naming that file, the same in both; the video is still read and counted, and detections.json (in OUT)
    still has its record."""
    folder_input = clips["folder"]  # "my clips": street.mp4, coffee.avi, camera.png
    street = next(i for i in collect_inputs([folder_input])[0] if i.path.endswith("street.mp4"))
    assert street.rel_dir == "my clips"
    cli_out, window_out = tmp_path / "cli", tmp_path / "window"
    for out in (cli_out, window_out):
        out.mkdir()
        (out / "my clips").write_text("in the way\n", encoding="utf-8")

    code = main(["detect", str(folder_input), "-o", str(cli_out), "--quiet"])
    printed = capsys.readouterr().out
    exported = export(processed, street, window_out)

    assert code == 1 and "not read to the end" not in printed
    cli_records = json.loads((cli_out / "detections.json").read_text(encoding="utf-8"))["videos"]
    cli_record = next(r for r in cli_records if r["path"] == street.path)
    expected = [
        ("my clips/street.mp4", "File exists"),
        ("my clips/street.frames.jsonl", "File exists"),
        ("my clips/street.frames.csv", "File exists"),
        ("my clips/street.tracks.csv", "File exists"),
    ]
    assert relative(exported.failed, window_out) == expected
    for name, reason in expected:
        assert f"  {cli_out / name}: {reason}\n" in printed
    for record in (cli_record, exported.record):
        assert record["error"] is None and record["frames_processed"] == 24 and record["detections"] > 0
        assert record["outputs"] == {
            "video": None,
            "frames_jsonl": None,
            "frames_csv": None,
            "tracks_csv": None,
            "crossings_csv": None,
        }
    assert exported.written == [] and not leftovers(window_out) and not leftovers(cli_out)
