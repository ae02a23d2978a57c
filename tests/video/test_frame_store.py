"""The compact per-frame store: re-thresholding a whole video from it gives exactly what ``select`` (i.e. a fresh
network run) gives frame by frame, for every threshold at or above its floor, IoU, class filter and cap (below the
floor: what the floor gives); and what it costs in memory."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from tests.video.conftest import decode_all
from yolo_desktop.inference.decode import select
from yolo_desktop.pipeline.run import Job, Pipeline
from yolo_desktop.results import Candidates
from yolo_desktop.settings import DetectorSettings
from yolo_desktop.video.frame_store import FrameStore

SETTINGS = [
    DetectorSettings(),
    DetectorSettings(conf=0.005),
    DetectorSettings(conf=0.05, iou=0.3),
    DetectorSettings(conf=0.1, iou=0.9),
    DetectorSettings(conf=0.02, classes=frozenset({"motorbike", "person"})),
    DetectorSettings(conf=0.01, max_detections=2),
    DetectorSettings(conf=0.6),
]


@pytest.fixture(scope="module")
def real_frames(clips, app_detector):
    """(frame, time, result) for every frame of the mp4 clip and the MJPG clip, detected for real."""
    out = []
    for clip in (clips["mp4"], clips["avi"]):
        frames = decode_all(clip)
        jobs = [Job.video_frame(rgb, f"{clip.name}#{k}") for k, rgb in enumerate(frames)]
        out.append([(k, k / 12.0, done.result) for k, done in enumerate(Pipeline(app_detector).run(jobs))])
    return out


def per_frame_counts(store: FrameStore, settings: DetectorSettings) -> list[Counter]:
    positions, classes, counts = store.counts_per_frame(settings)
    table = [Counter() for _ in range(len(store))]
    for position, class_id, count in zip(positions, classes, counts):
        table[int(position)][store.names[int(class_id)]] = int(count)
    return table


def test_refiltered_video_equals_select_on_every_frame(real_frames, app_detector):
    for frames in real_frames:
        first = frames[0][2]
        store = FrameStore("clip", first.width, first.height, 12.0, app_detector.names)
        for index, time_s, result in frames:
            store.append(index, time_s, result.candidates)
        store.finish()
        assert len(store) == len(frames)
        for settings in SETTINGS:
            applied = replace(settings, conf=max(settings.conf, store.floor))
            expected = [select(r.candidates, applied, app_detector.names, r.width, r.height) for _, _, r in frames]
            assert [store.detections(p, settings) for p in range(len(store))] == expected
            assert per_frame_counts(store, settings) == [Counter(d.label for d in e) for e in expected]
        # The settings the network ran with: the stored frame gives what the pipeline returned.
        assert [store.detections(p, DetectorSettings()) for p in range(len(store))] == [
            r.detections for _, _, r in frames
        ]
        assert sum(len(r.candidates) for _, _, r in frames) > 10 * len(frames)  # a real workload


def test_random_candidates_edge_cases():
    """Boxes outside the frame, exact score ties, many overlapping boxes, a frame without candidates."""
    rng = np.random.default_rng(7)
    names = [f"class{i}" for i in range(5)]
    store = FrameStore("random", 640, 480, 25.0, names)
    frames = []
    for index in range(60):
        n = 0 if index == 5 else int(rng.integers(1, 120))
        xy = rng.uniform(-200, 700, (n, 2)).astype(np.float32)
        wh = rng.uniform(5, 300, (n, 2)).astype(np.float32)
        scores = np.round(rng.uniform(0.005, 1.0, n), 2).astype(np.float32)  # many exact ties
        order = np.argsort(-scores, kind="stable")
        candidates = Candidates(np.hstack([xy, xy + wh])[order], scores[order], rng.integers(0, 5, n)[order], 0.005)
        store.append(index * 2, index * 2 / 25.0, candidates)
        frames.append(candidates)
    for settings in [*SETTINGS[:4], DetectorSettings(conf=0.3, iou=0.5, classes=frozenset({"class1", "class3"}))]:
        settings = replace(settings, classes=(settings.classes and frozenset(settings.classes) & set(names)) or None)
        expected = [select(c, store.applied(settings), names, 640, 480) for c in frames]
        assert [store.detections(p, settings) for p in range(len(store))] == expected
        assert per_frame_counts(store, settings) == [Counter(d.label for d in e) for e in expected]
    # A stride's frames show the processed frame before them.
    assert (store.position_of(0), store.position_of(1), store.position_of(2), store.position_of(119)) == (0, 0, 1, 59)


def test_tiled_frames_refilter_exactly_whole_video_masks_included(clips, tiny_model):
    """A video detected in tiles (its candidates merged across runs at selection): the store's frames and its
    whole-video counts still equal ``select`` frame by frame, real frames and random tiled ones alike."""
    from yolo_desktop.inference.detector import Detector

    tiled = Detector(tiny_model, DetectorSettings(tiles="320"))
    frames = decode_all(clips["mp4"])[:8]
    results = [done.result for done in Pipeline(tiled).run(Job.video_frame(f, f"#{k}") for k, f in enumerate(frames))]
    assert all(r.candidates is not None and r.candidates.tiled for r in results)
    store = FrameStore("clip", results[0].width, results[0].height, 12.0, tiled.names)
    for k, result in enumerate(results):
        store.append(k, k / 12.0, result.candidates)
    for settings in SETTINGS:
        expected = [select(r.candidates, store.applied(settings), tiled.names, r.width, r.height) for r in results]
        assert [store.detections(p, settings) for p in range(len(store))] == expected
        assert per_frame_counts(store, settings) == [Counter(d.label for d in e) for e in expected]
    assert [store.detections(p, DetectorSettings()) for p in range(len(store))] == [r.detections for r in results]

    rng = np.random.default_rng(11)
    names = [f"class{i}" for i in range(3)]
    store = FrameStore("random", 640, 480, 25.0, names)
    made = []
    for index in range(40):
        n = int(rng.integers(0, 150))
        xy = rng.uniform(-50, 600, (n, 2)).astype(np.float32)
        wh = rng.uniform(5, 250, (n, 2)).astype(np.float32)
        scores = np.round(rng.uniform(0.005, 1.0, n), 2).astype(np.float32)  # many exact ties
        order = np.argsort(-scores, kind="stable")
        boxes = np.hstack([xy, xy + wh])[order]
        candidates = Candidates(
            boxes, scores[order], rng.integers(0, 3, n)[order], 0.005, sources=rng.integers(0, 5, n)
        )
        store.append(index, index / 25.0, candidates)
        made.append(candidates)
    for settings in SETTINGS[:4]:
        expected = [select(c, store.applied(settings), names, 640, 480) for c in made]
        assert [store.detections(p, settings) for p in range(len(store))] == expected
        assert per_frame_counts(store, settings) == [Counter(d.label for d in e) for e in expected]


def test_counts_per_second_and_iou_in_slices(real_frames, app_detector):
    frames = real_frames[0]
    store = FrameStore("clip", frames[0][2].width, frames[0][2].height, 12.0, app_detector.names)
    for index, time_s, result in frames:
        store.append(index, time_s, result.candidates)
    settings = DetectorSettings(conf=0.08)
    assert store.prepare_nms(0.3, budget_s=0.0) is False  # one frame per call at the least: resumable
    while not store.prepare_nms(0.3, budget_s=0.0):
        pass
    seconds = store.counts_per_second(replace(settings, iou=0.3))
    expected: dict[tuple[int, str], int] = {}
    for _, time_s, result in frames:
        detections = select(result.candidates, replace(settings, iou=0.3), app_detector.names, 740, 500)
        for label, count in Counter(d.label for d in detections).items():
            key = (int(time_s), label)
            expected[key] = max(expected.get(key, 0), count)
    got = {
        (s, app_detector.names[int(c)]): int(seconds.counts[s, j])
        for s in range(seconds.seconds)
        for j, c in enumerate(seconds.class_ids)
        if seconds.counts[s, j]
    }
    assert got == expected and seconds.seconds == 2  # 24 frames at 12 fps


def test_memory_per_frame_is_compact(real_frames):
    frames = real_frames[0]
    store = FrameStore("clip", 740, 500, 12.0, [f"c{i}" for i in range(80)])
    for index, time_s, result in frames:
        store.append(index, time_s, result.candidates)
    store.finish()
    kept = sum(int((r.candidates.scores >= store.floor).sum()) for _, _, r in frames)
    assert store.nbytes == 20 * len(frames) + 22 * kept  # exactly the documented layout
    assert kept < sum(len(r.candidates) for _, _, r in frames) / 3  # the floor drops most of them
