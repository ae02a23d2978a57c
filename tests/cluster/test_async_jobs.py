"""The service's asynchronous mode through real Redis and real workers: an upload is queued, says "processing"
until a worker is done, then gives the same result (and candidates) as the app's own engine, and the annotated
JPEG; a broken upload and a job for another precision fail with their reasons."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.conftest import REPO
from yolo_desktop.cluster.async_jobs import AsyncDetections
from yolo_desktop.cluster.protocol import upload_key
from yolo_desktop.imaging.read import load_bytes
from yolo_desktop.inference.decode import refilter
from yolo_desktop.settings import DetectorSettings


@pytest.fixture()
def bridge(pool, redis_server, tiny_model):
    return AsyncDetections(redis_server.url, tiny_model)


def test_upload_is_processing_until_done_then_equals_the_engine(bridge, redis_server, tiny_model, app_detector):
    data = (REPO / "resources" / "sample.jpg").read_bytes()

    idle = AsyncDetections(redis_server.url, tiny_model, queue="no-workers-here")
    waiting = idle.state(idle.submit(data, "sample.jpg", DetectorSettings()))
    assert (waiting.state, waiting.view(), waiting.position) == ("queued", "processing", 0)

    job_id = bridge.submit(data, "sample.jpg", DetectorSettings())
    assert bridge.state(job_id).view() in ("processing", "done")
    state = bridge.wait(job_id, timeout=60)
    assert state.state == "done", state
    expected = app_detector.detect(load_bytes(data, "sample.jpg", reduce_to=416).rgb, "sample.jpg")
    assert state.result is not None and state.result.detections == expected.detections
    assert [d.label for d in state.result.detections] == ["cup"]
    assert state.result.candidates is not None and len(state.result.candidates) == len(expected.candidates)
    lower = DetectorSettings(conf=0.05)
    assert (
        refilter(state.result, lower, app_detector.names).detections
        == refilter(expected, lower, app_detector.names).detections
    )
    annotated = cv2.imdecode(np.frombuffer(state.image, np.uint8), cv2.IMREAD_COLOR)
    assert annotated.shape[:2] == (state.result.height, state.result.width)


def test_failures_say_why(bridge, tiny_model, redis_server):
    broken = bridge.wait(bridge.submit(b"not an image", "notes.jpg", DetectorSettings()), timeout=60)
    assert broken.state == "done" and broken.result is not None
    assert broken.result.error == "not a supported image (unrecognized content: damaged, or not an image)"
    assert broken.image is None

    refused = bridge.wait(bridge.submit(b"x", "x.jpg", DetectorSettings(precision="fast")), timeout=60)
    assert refused.state == "failed"
    assert "needs precision 'fast' but this worker runs 'accurate'" in str(refused.error)

    assert bridge.state("up-" + "0" * 32).state == "unknown"
    assert bridge.state("../../etc").state == "unknown"


def test_kept_jobs_are_bounded_the_oldest_go_first(redis_server, tiny_model):
    bridge = AsyncDetections(redis_server.url, tiny_model, queue="kept-bound")  # no worker listens: all stay queued
    ids: list[str] = []
    for index in range(3):
        ids.append(bridge.submit(b"x", f"{index}.jpg", DetectorSettings(), keep_seconds=60))
        assert bridge.keep_at_most(ids[-1:], 2, 60) == (1 if index == 2 else 0)
    assert [bridge.state(job_id).state for job_id in ids] == ["unknown", "queued", "queued"]
    assert bridge.queue.get_job_ids() == ids[1:]  # the oldest left the queue too, and all it kept in Redis
    assert not bridge.connection.exists(upload_key(ids[0])) and bridge.connection.exists(upload_key(ids[1]))
    assert all(0 < bridge.connection.ttl(upload_key(job_id)) <= 60 for job_id in ids[1:])
