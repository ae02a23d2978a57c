"""The window's session state without Qt: queue, request ids, stale results, cancel/resume, retry, re-filtering,
per-class counts, model changes — and per-event bookkeeping that never scans the whole batch."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import read_rgb
from yolo_desktop.inference.decode import refilter
from yolo_desktop.inference.model_spec import DetectorChoice, ModelFiles, ModelInfo
from yolo_desktop.pipeline.inputs import InputFile, InputProblem
from yolo_desktop.results import ImageResult
from yolo_desktop.settings import DetectorSettings
from yolo_desktop.ui.session_model import MAX_IN_FLIGHT, SessionModel, Status, VideoEnd
from yolo_desktop.video.probe import VideoInfo

MODEL = ModelFiles("m", Path("m.cfg"), Path("m.weights"), Path("m.names"))
COCO = tuple((Path(__file__).resolve().parents[2] / "weights" / "yolov3-tiny" / "coco.names").read_text().split("\n"))


def info(size: int = 416, precision: str = "accurate", resize: str = "area") -> ModelInfo:
    return ModelInfo("m", size, tuple(n for n in COCO if n), precision, resize, "litert", seconds=0.1)


def ready_state(count: int) -> SessionModel:
    state = SessionModel()
    state.model_ready(state.begin_model_load(DetectorChoice(MODEL)), info())
    state.add_scanned([InputFile(f"/p/{i}.jpg", "", str(i)) for i in range(count)], [])
    return state


@pytest.fixture(scope="module")
def real_results(app_detector, data_dir):
    """Real detections (with candidates) of three photos, to feed the state as the worker would."""
    return [app_detector.detect(read_rgb(data_dir / n), n) for n in ("coffee.png", "camera.png", "motorcycle_left.png")]


def run_all(state: SessionModel, results: list[ImageResult]) -> None:
    while True:
        orders = state.next_orders()
        if not orders:
            return
        for order in orders:
            state.started(order.request_id)
            state.finished(order.request_id, results[order.index % len(results)])


def test_orders_keep_a_bounded_number_in_flight_and_none_while_a_model_loads():
    state = SessionModel()
    state.add_scanned([InputFile(f"/p/{i}.jpg", "", str(i)) for i in range(10)], [InputProblem("/gone", "not found")])
    assert state.next_orders() == []  # no model yet
    request = state.begin_model_load(DetectorChoice(MODEL))
    assert state.next_orders() == []  # loading
    assert state.model_ready(request, info()) == []
    orders = state.next_orders()
    assert [o.index for o in orders] == list(range(MAX_IN_FLIGHT)) and state.next_orders() == []
    assert state.entries[10].status is Status.FAILED and state.entries[10].error == "not found"
    assert state.progress().total == 10 and state.progress().running


def test_results_counts_and_refiltering(real_results):
    state = ready_state(6)
    run_all(state, real_results)
    assert all(e.status is Status.DONE for e in state.entries)
    recount = lambda: +Counter(d.label for e in state.entries if e.shown for d in e.shown.detections)  # noqa: E731
    assert state.counts == recount() and state.counts["cup"] == 2
    state.current = 1
    assert state.set_settings(DetectorSettings(conf=0.05)) == [1]  # the image on screen first
    assert state.refiltering
    changed = state.refilter_some(budget_s=10.0)
    assert sorted(changed) == [0, 2, 3, 4, 5] and not state.refiltering
    assert state.counts == recount() and sum(state.counts.values()) > 0
    state.set_settings(DetectorSettings(conf=0.05, classes=frozenset({"person"})))
    state.refilter_some(10.0)
    assert set(state.counts) == {"person"} and state.counts == recount()


def test_a_result_is_shown_as_its_order_selected_it_unless_the_thresholds_changed_meanwhile(real_results):
    """Orders carry the session's settings (the worker selects each photo at them): the result is shown as it
    comes, no second NMS; only a change of thresholds or classes since the order re-filters it on arrival."""
    state = ready_state(3)
    state.model_ready(state.begin_model_load(DetectorChoice(MODEL, DetectorSettings(size=320, tiles="416"))), info())
    assert state.settings == DetectorSettings(size=416, tiles="416")  # the choice's, the input size resolved
    first, second, third = state.next_orders()
    assert first.settings == second.settings == state.settings
    state.finished(first.request_id, real_results[0])  # real_results: selected at the default thresholds
    assert state.entries[0].shown is real_results[0]
    state.set_settings(replace(state.settings, conf=0.05))
    state.finished(second.request_id, real_results[2])
    shown = state.entries[1].shown
    assert shown is not None and shown is not real_results[2]
    assert shown.detections == refilter(real_results[2], state.settings, state.names).detections
    assert len(shown.detections) > len(real_results[2].detections)
    state.set_settings(replace(state.settings, conf=0.25))  # back to what the third was ordered with
    state.finished(third.request_id, real_results[1])
    assert state.entries[2].shown is real_results[1]


def test_stale_results_are_ignored_after_cancel_and_resume_queues_the_rest(real_results):
    state = ready_state(10)
    orders = state.next_orders()
    state.finished(orders[0].request_id, real_results[0])
    changed = state.cancel()
    assert orders[1].cancel.is_set()
    assert sorted(changed) == list(range(1, 10))  # in flight or queued: all say "queued" (0 finished)
    assert [state.entries[i].status for i in (0, 1)] == [Status.DONE, Status.QUEUED]
    assert state.finished(orders[1].request_id, real_results[1]) is None  # stale
    assert state.has_unprocessed and not state.running
    state.resume()
    assert not state.has_unprocessed and state.progress().total == 9
    run_all(state, real_results)
    assert [e.status for e in state.entries] == [Status.DONE] * 10 and not state.has_unprocessed


def test_failures_and_retry():
    state = ready_state(2)
    orders = state.next_orders()
    state.finished(orders[0].request_id, ImageResult(path="/p/0.jpg", error="truncated"))
    state.finished(orders[1].request_id, ImageResult(path="/p/1.jpg", width=10, height=10))
    assert [e.status for e in state.entries] == [Status.FAILED, Status.DONE]
    assert state.failed_entries()[0][1].error == "truncated"
    assert state.retry() == [0] and state.entries[0].status is Status.QUEUED
    assert [o.index for o in state.next_orders()] == [0]


def test_a_video_order_ends_with_its_own_message():
    """A video's end is a ``VideoEnd`` (size, why it stopped, thumbnail), not a photo's result: it finishes the
    entry with its frames kept; one that could not be opened fails with the reason; a stale one changes nothing."""
    state = SessionModel()
    state.model_ready(state.begin_model_load(DetectorChoice(MODEL)), info())
    state.add_scanned([InputFile(f"/v/{i}.mp4", "", str(i)) for i in range(3)], [])
    opened, broken, cancelled = state.next_orders()[:3]
    assert state.video_opened(opened.request_id, VideoInfo("0.mp4", 64, 48, 25.0, 2, "MJPG")) == 0
    state.video_frames(opened.request_id, [], 2)
    assert state.video_done(opened.request_id, VideoEnd(64, 48, "stopped at frame 2 of 3")) == 0
    assert state.entries[0].status is Status.DONE and state.entries[0].error is None
    assert (state.entries[0].raw.width, state.entries[0].raw.height) == (64, 48)
    assert state.video(0) is not None and state.video(0).finished
    assert state.video_done(broken.request_id, VideoEnd(error="not a video OpenCV can read")) == 1
    assert state.entries[1].status is Status.FAILED and state.entries[1].error == "not a video OpenCV can read"
    state.cancel()
    assert state.video_done(cancelled.request_id, VideoEnd(64, 48)) is None  # stale
    assert state.entries[2].status is Status.QUEUED and state.progress().done == 2


def test_a_new_model_or_resize_reruns_finished_images_and_stale_model_replies_are_ignored(real_results):
    state = ready_state(3)
    run_all(state, real_results)
    old = state.begin_model_load(DetectorChoice(MODEL))
    newer = state.begin_model_load(DetectorChoice(MODEL))
    assert state.model_ready(old, info(size=608)) is None  # superseded by a newer request
    assert state.model_ready(newer, info(resize="bilinear")) == [0, 1, 2]
    assert [e.status for e in state.entries] == [Status.QUEUED] * 3
    assert all(e.shown is not None for e in state.entries)  # old results stay shown until replaced
    same = state.begin_model_load(DetectorChoice(MODEL))
    run_all(state, real_results)
    assert state.model_ready(same, info(resize="bilinear")) == []  # nothing changed: nothing re-runs


def test_export_snapshot_is_frozen(real_results):
    state = ready_state(3)
    run_all(state, real_results)
    snapshot = state.export_snapshot()
    before = [item.shown for item in snapshot]
    state.set_settings(DetectorSettings(conf=0.9))
    state.refilter_some(10.0)
    assert [item.shown for item in snapshot] == before
    assert [e.shown for e in state.entries] != before


class NoScan(list):
    """A list that fails the test if anything walks it whole (per-event work must not depend on batch size)."""

    armed = False

    def __iter__(self):
        assert not NoScan.armed, "walked every entry"
        return super().__iter__()


def test_per_event_bookkeeping_never_walks_the_whole_batch(real_results):
    state = ready_state(0)
    state.entries = NoScan()
    state.add_scanned([InputFile(f"/p/{i}.jpg", "", str(i)) for i in range(20_000)], [])
    NoScan.armed = True
    try:
        for _ in range(50):
            for order in state.next_orders():
                state.started(order.request_id)
                state.finished(order.request_id, real_results[0])
            assert state.has_unprocessed is False and state.progress().running
        state.cancel()
        assert state.has_unprocessed
        state.resume()
        assert not state.has_unprocessed
    finally:
        NoScan.armed = False
