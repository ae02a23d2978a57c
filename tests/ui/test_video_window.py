"""Videos in the real window: dropped with photos, processed by the real worker, played, stepped, sought, and
re-thresholded across every frame without the network; the timeline's counts. Real decode, real Qt events."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from tests.support.clips import decode_all, make_clips
from tests.ui.conftest import LatenessProbe, wait_for_batch
from tests.ui.test_window import drop, row_of
from yolo_desktop.inference.decode import refilter
from yolo_desktop.pipeline.run import Job, Pipeline
from yolo_desktop.settings import DetectorSettings


@pytest.fixture(scope="module")
def clips(tmp_path_factory, data_dir):
    return make_clips(tmp_path_factory.mktemp("clips"), data_dir)


@pytest.fixture(scope="module")
def still_results(clips, app_detector):
    """Every frame of the mp4 clip, decoded and detected as a still image."""
    frames = decode_all(clips["mp4"])
    jobs = [Job.video_frame(rgb, f"street.mp4#{k}") for k, rgb in enumerate(frames)]
    return [done.result for done in Pipeline(app_detector).run(jobs)]


def shown_frame(window) -> int:
    return window.player.frame


def wait_for_frame(qtbot, window, frame: int) -> None:
    qtbot.waitUntil(lambda: shown_frame(window) == frame, timeout=10_000)


def expected_counts(results, settings: DetectorSettings, names, fps: float) -> dict[tuple[int, str], int]:
    table: dict[tuple[int, str], int] = {}
    for k, result in enumerate(results):
        for label, count in Counter(d.label for d in refilter(result, settings, names).detections).items():
            key = (int(k / fps), label)
            table[key] = max(table.get(key, 0), count)
    return table


def timeline_counts(window) -> dict[tuple[int, str], int]:
    counts = window.player.timeline.counts
    names = window.session.model_info.names
    return {
        (second, names[int(class_id)]): int(counts.counts[second, column])
        for second in range(counts.seconds)
        for column, class_id in enumerate(counts.class_ids)
        if counts.counts[second, column]
    }


def test_video_plays_seeks_steps_and_refilters_without_the_network(qtbot, window, clips, still_results, app_detector):
    drop(window, [clips["folder"]])
    wait_for_batch(qtbot, window, count=3)
    names = sorted(os.path.basename(e.path) for e in window.session.entries)
    assert names == ["camera.png", "coffee.avi", "street.mp4"]
    row = row_of(window, "street.mp4")
    entry = window.session.entries[row]
    assert entry.status.value == "done" and entry.status_text == "24 frames · 0:02.00"
    assert window.session.thumbnail(row) is not None
    runs = window.session.worker.network_runs

    window.image_list.set_current_row(row)
    assert window.player.isVisible() and window.player.active
    wait_for_frame(qtbot, window, 0)
    settings = window.session.settings
    model_names = window.session.model_info.names

    def table_matches(frame: int) -> bool:
        """The shown detections are the still image's (the window adds track ids: tests/ui/test_tracking_window)."""
        expected = refilter(still_results[frame], window.session.settings, model_names).detections
        table = [replace(d, track_id=None) for d in window.table.source.detections]
        boxes = [replace(b.detection, track_id=None) for b in window.view.boxes()]
        return table == list(expected) and boxes == list(expected)

    assert table_matches(0) and window.table.model().rowCount() > 0

    # Play: frames advance on their own, at the clip's pace; pause stops them.
    qtbot.mouseClick(window.player.play_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown_frame(window) >= 6, timeout=10_000)
    qtbot.keyClick(window, Qt.Key.Key_Space)  # pause
    assert not window.player.playing
    paused_at = shown_frame(window)
    qtbot.wait(300)
    assert shown_frame(window) == paused_at
    assert table_matches(paused_at)

    # Seek with the slider, then step with '.' and ','.
    window.player.slider.setValue(17)
    wait_for_frame(qtbot, window, 17)
    assert table_matches(17)
    qtbot.keyClick(window, Qt.Key.Key_Period)
    wait_for_frame(qtbot, window, 18)
    qtbot.keyClick(window, Qt.Key.Key_Comma)
    qtbot.keyClick(window, Qt.Key.Key_Comma)
    wait_for_frame(qtbot, window, 16)
    assert table_matches(16)

    # The timeline: per second, the most of each class seen at once, for the thresholds on screen.
    qtbot.waitUntil(lambda: window.player.timeline.counts is not None, timeout=5_000)
    assert timeline_counts(window) == expected_counts(still_results, settings, model_names, 12.0)
    # Clicking it seeks there (the middle of the track is second 1 of 2: frame 12).
    timeline = window.player.timeline
    track = timeline._track()
    qtbot.mouseClick(
        timeline, Qt.MouseButton.LeftButton, pos=QPoint(int(track.left() + track.width() / 2), timeline.height() // 2)
    )
    wait_for_frame(qtbot, window, 12)

    # Re-threshold the whole video: the shown frame and the timeline follow, the network never runs.
    slider = window.thresholds.conf.slider
    slider.setFocus()
    before = window.table.model().rowCount()
    for _ in range(4):  # 0.25 → 0.05
        qtbot.keyClick(slider, Qt.Key.Key_PageDown)
    assert window.session.settings.conf == pytest.approx(0.05)
    assert table_matches(12) and window.table.model().rowCount() >= before
    qtbot.waitUntil(
        lambda: timeline_counts(window) == expected_counts(still_results, window.session.settings, model_names, 12.0),
        timeout=5_000,
    )
    window.thresholds.iou.set_value(0.2)  # a new NMS IoU: every frame's NMS again, still no network
    qtbot.waitUntil(
        lambda: timeline_counts(window) == expected_counts(still_results, window.session.settings, model_names, 12.0),
        timeout=10_000,
    )
    assert table_matches(12)
    window.class_filter.set_classes(model_names, {"person"})
    window._on_classes(window.class_filter.selected())
    assert all(d.label == "person" for d in window.table.source.detections)
    assert set(label for _s, label in timeline_counts(window)) <= {"person"}
    assert window.session.worker.network_runs == runs

    # Back to a photo: the player goes away and the photo's boxes are shown.
    window.image_list.set_current_row(row_of(window, "camera.png"))
    assert not window.player.isVisible() and not window.player.active
    qtbot.waitUntil(lambda: window.view.has_image, timeout=10_000)


def test_player_keeps_the_event_loop_free(qtbot, window, clips):
    """Decoding happens on the player's thread: playing a clip keeps the GUI thread's timer on time."""
    window.add_paths([str(clips["avi"])])
    wait_for_batch(qtbot, window, count=1)
    window.image_list.set_current_row(0)
    wait_for_frame(qtbot, window, 0)
    probe = LatenessProbe()
    probe.start()
    window.player.play()
    qtbot.waitUntil(lambda: not window.player.playing, timeout=10_000)  # plays to the end and stops
    stats = probe.stop()
    assert shown_frame(window) == 19
    assert stats["max_ms"] < 100, stats


def test_export_writes_the_video_files_at_the_thresholds_on_screen(qtbot, window, clips, still_results, tmp_path):
    from tests.support.clips import video_facts
    from tests.ui.test_export_and_responsiveness import run_export
    from yolo_desktop.records import detection_record
    from yolo_desktop.ui.export_job import ExportOptions

    window.add_paths([str(clips["mp4"]), str(clips["photo"])])
    wait_for_batch(qtbot, window, count=2)
    window.thresholds.conf.set_value(0.1)
    runs = window.session.worker.network_runs
    out = tmp_path / "export"
    report, error = run_export(qtbot, window, ExportOptions(out, ("json", "csv"), True, "jpg"))
    assert error == "" and not report.failed
    assert window.session.worker.network_runs == runs
    assert sorted(p.name for p in out.iterdir()) == [
        "camera.jpg",
        "detections.csv",
        "detections.json",
        "street.frames.csv",
        "street.frames.jsonl",
        "street.mp4",
        "street.tracks.csv",
    ]
    assert video_facts(out / "street.mp4") == video_facts(clips["mp4"])
    names = window.session.model_info.names
    lines = [json.loads(line) for line in (out / "street.frames.jsonl").read_text().splitlines()]
    assert [
        [detection_record(d) for d in refilter(r, window.session.settings, names).detections] for r in still_results
    ] == [[{k: v for k, v in d.items() if k != "track_id"} for d in line["detections"]] for line in lines]
    document = json.loads((out / "detections.json").read_text())
    assert [Path(v["path"]).name for v in document["videos"]] == ["street.mp4"]
    assert document["videos"][0]["frames_processed"] == 24 and document["settings"]["conf"] == 0.1
    assert [Path(r["path"]).name for r in document["images"]] == ["camera.png"]


def test_a_video_that_cannot_be_read_fails_by_name_and_the_batch_goes_on(qtbot, window, clips, tmp_path):
    """A video order ends with its own message (``VideoEnd``): an unreadable one fails with the reason, a good one
    after it is done with its frames, and the photo beside them too."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "broken.mp4").write_bytes(b"not a video at all" * 64)
    for name in ("street.mp4", "camera.png"):
        shutil.copy(Path(clips["folder"]) / name, folder / name)
    drop(window, [str(folder)])
    wait_for_batch(qtbot, window, count=3)
    broken = window.session.entries[row_of(window, "broken.mp4")]
    assert broken.status.value == "failed" and broken.error, broken
    street = row_of(window, "street.mp4")
    assert window.session.entries[street].status.value == "done" and window.session.video(street).finished
    assert window.session.thumbnail(street) is not None
    assert window.session.entries[row_of(window, "camera.png")].status.value == "done"
