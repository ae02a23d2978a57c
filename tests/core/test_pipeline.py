"""The one pipeline: order kept, failures reported in place with one wording, every kind of input (paths,
uploaded bytes, video frames), cancel between jobs, a feed that grows while it runs, and reduced JPEG decoding
that leaves the detections as they were. No Qt here."""

from __future__ import annotations

import threading
from collections import deque

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.conftest import read_rgb
from yolo_desktop.evaluation.metrics import agreement, matched_pairs
from yolo_desktop.imaging.read import load
from yolo_desktop.pipeline.inputs import collect_inputs
from yolo_desktop.pipeline.run import Job, Pipeline, run_one


@pytest.fixture(scope="module")
def big_photos(tmp_path_factory, data_dir):
    """Real photos enlarged to ≥ 4× the network size, saved as JPEG (the case reduced decoding is for)."""
    folder = tmp_path_factory.mktemp("big")
    for name in ("coffee.png", "motorcycle_left.png", "camera.png", "astronaut.png", "chelsea.png"):
        image = read_rgb(data_dir / name)
        big = cv2.resize(image, (image.shape[1] * 4, image.shape[0] * 4), interpolation=cv2.INTER_CUBIC)
        Image.fromarray(big).save(folder / f"{name.split('.')[0]}.jpg", quality=92)
    return folder


def jobs_for(folder) -> list[Job]:
    items, _ = collect_inputs([folder])
    return [Job.file(item.path, tag=item) for item in items]


def test_order_failures_and_results(tmp_path, app_detector, big_photos):
    (big_photos / "zz broken.jpg").write_bytes(b"\xff\xd8 not really")
    try:
        jobs = jobs_for(big_photos)
        out = list(Pipeline(app_detector).run(jobs))
    finally:
        (big_photos / "zz broken.jpg").unlink()
    assert [done.job for done in out] == jobs
    assert [done.result.path for done in out] == [job.name for job in jobs]
    broken = out[-1]
    assert broken.result.error and "not a supported image" in broken.result.error and broken.image is None
    assert all(done.result.ok for done in out[:-1])
    assert {d.label for done in out for d in done.result.detections} >= {"cup", "motorbike", "person"}


def test_paths_bytes_and_frames_give_the_same_detections(app_detector, data_dir, tmp_path):
    photo = tmp_path / "coffee.jpg"
    Image.fromarray(read_rgb(data_dir / "coffee.png")).save(photo, quality=92)
    from_path = run_one(app_detector, Job.file(str(photo)))
    from_bytes = run_one(app_detector, Job.upload(photo.read_bytes(), "upload.jpg"))
    from_frame = run_one(app_detector, Job.video_frame(load(photo).rgb, "clip.mp4#0"))
    assert from_path.result.detections and from_path.result.detections[0].label == "cup"
    assert from_bytes.result.detections == from_path.result.detections == from_frame.result.detections
    assert (from_bytes.result.path, from_frame.result.path) == ("upload.jpg", "clip.mp4#0")


def test_a_failure_reads_the_same_whatever_the_input(app_detector, tmp_path):
    (tmp_path / "notes.jpg").write_text("not an image")
    by_path = run_one(app_detector, Job.file(str(tmp_path / "notes.jpg"))).result
    by_upload = run_one(app_detector, Job.upload(b"not an image", "notes.jpg")).result
    assert by_path.error == by_upload.error == "not a supported image (unrecognized content: damaged, or not an image)"
    empty = run_one(app_detector, Job.upload(b"", "empty.jpg")).result
    assert empty.error == "empty file (0 bytes)"


def test_a_model_failure_becomes_a_result_and_the_batch_goes_on(app_detector, data_dir):
    class Failing:
        """The real detector, whose network breaks on the second image."""

        input_size = app_detector.input_size
        settings = app_detector.settings
        prepare = app_detector.prepare
        calls = 0

        def infer(self, prepared, path="", timings=None, settings=None):
            Failing.calls += 1
            if Failing.calls == 2:
                raise RuntimeError("engine exploded")
            return app_detector.infer(prepared, path, timings, settings)

    frames = [read_rgb(data_dir / n) for n in ("coffee.png", "camera.png", "motorcycle_left.png")]
    out = list(Pipeline(Failing()).run(Job.video_frame(f, f"f{i}") for i, f in enumerate(frames)))
    assert [d.result.ok for d in out] == [True, False, True]
    assert out[1].result.error == "detection failed: RuntimeError('engine exploded')"
    assert (out[1].result.width, out[1].result.height) == (frames[1].shape[1], frames[1].shape[0])


def test_reduced_decode_keeps_the_detections(app_detector, big_photos):
    """Detection decodes large JPEGs at reduced scale (every front-end alike); boxes stay as a full decode's."""
    jobs = jobs_for(big_photos)
    reduced = {done.job.name: done for done in Pipeline(app_detector).run(jobs)}
    pairs = []
    for job in jobs:
        done = reduced[job.name]
        assert done.image is not None and done.image.scale in (2, 4)
        full = app_detector.detect(load(job.name).rgb, job.name)
        assert (done.result.width, done.result.height) == (full.width, full.height)
        pairs.append((done.result.detections, full.detections))
    assert agreement(pairs).f1 >= 0.95
    for mine, theirs in pairs:
        assert matched_pairs(mine, theirs, threshold=0.85) >= len(theirs) - 1  # boxes nearly identical


def test_cancel_stops_between_jobs(app_detector, big_photos):
    cancel = threading.Event()
    seen = []
    for done in Pipeline(app_detector).run(jobs_for(big_photos), cancel=cancel):
        seen.append(done)
        cancel.set()
    assert len(seen) == 1


def test_a_cancelled_job_is_skipped_without_running_the_network(app_detector, big_photos):
    batch = threading.Event()
    batch.set()
    jobs = jobs_for(big_photos)
    mixed = [jobs[0], Job.file(jobs[1].name, cancel=batch), jobs[2]]
    pipeline = Pipeline(app_detector)
    assert [d.job for d in pipeline.run(mixed)] == [jobs[0], jobs[2]]
    assert pipeline.network_runs == 2


def test_a_feed_that_grows_while_running(app_detector, big_photos):
    """A source may have nothing for now (the window adds images over time): the run ends when nothing is
    pending, and jobs added while it runs are picked up in order."""
    jobs = jobs_for(big_photos)

    class Feed:
        def __init__(self) -> None:
            self.items: deque[Job] = deque(jobs[:2])

        def poll(self) -> Job | None:
            return self.items.popleft() if self.items else None

    feed = Feed()
    names = []
    for done in Pipeline(app_detector, prefetch=1).run(feed):
        names.append(done.job.name)
        if len(names) == 1:
            feed.items.extend(jobs[2:4])  # arrives while the first results stream out
    assert names == [job.name for job in jobs[:4]]
    assert list(Pipeline(app_detector).run(feed)) == []  # empty for now: ends at once


def test_decoding_runs_ahead_on_one_loader_thread(app_detector, big_photos):
    threads = set()
    owner = threading.get_ident()
    pipeline = Pipeline(app_detector, on_loaded=lambda image: threads.add(threading.get_ident()) or image.width)
    widths = [done.extra for done in pipeline.run(jobs_for(big_photos))]
    assert len(threads) == 1 and owner not in threads
    assert widths == [load(j.name).width for j in jobs_for(big_photos)]


def test_full_decode_is_upright_and_full_size(big_photos):
    image = load(big_photos / "coffee.jpg")
    assert image.scale == 1 and image.rgb.shape == (1600, 2400, 3)
    reduced = load(big_photos / "coffee.jpg", reduce_to=416)
    assert reduced.scale == 2 and (reduced.width, reduced.height) == (2400, 1600)
    assert np.allclose(
        cv2.resize(image.rgb, (1200, 800), interpolation=cv2.INTER_AREA).mean(), reduced.rgb.mean(), atol=2
    )


def test_the_inbox_hands_out_runs_of_jobs_and_skips_dropped_items(app_detector, big_photos):
    """The owner thread's inbox (the window's orders, the service's uploads): a run takes items from the head
    while they are jobs, stops at the first that is not, and never hands out an item marked as dropped."""
    from yolo_desktop.pipeline.run import Inbox

    jobs = jobs_for(big_photos)
    inbox: Inbox[object] = Inbox(dropped=lambda item: item == "gone")
    inbox.put(jobs[0], "gone", jobs[1], "model", jobs[2])
    as_job = lambda item: item if isinstance(item, Job) else None  # noqa: E731
    first = inbox.wait()
    assert first is jobs[0]
    inbox.push_front(first)
    ran = [done.job for done in Pipeline(app_detector).run(inbox.source(as_job))]
    assert ran == [jobs[0], jobs[1]]  # "gone" skipped, the run ends at "model"
    assert inbox.wait() == "model"
    assert inbox.close() == [jobs[2]] and inbox.wait() is None
