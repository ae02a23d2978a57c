"""The window's "Process on" queue workers, under pytest-qt: a real Redis, 2 real worker processes; results
stream back into the same list, table and counts, thresholds re-filter without any network, cancel and resume,
export, and back to this computer."""

from __future__ import annotations

import json

import pytest

from tests.support.cluster import WorkerPool
from tests.support.engines import auto_engine_here
from tests.support.redis_server import RedisServer
from tests.ui.conftest import MODEL_TIMEOUT_MS, many_photos, wait_for_batch
from yolo_desktop.imaging.read import load
from yolo_desktop.inference.decode import refilter
from yolo_desktop.inference.model_spec import DetectorChoice
from yolo_desktop.settings import DetectorSettings
from yolo_desktop.ui.cluster_worker import ClusterWorker
from yolo_desktop.ui.export_job import ExportOptions
from yolo_desktop.ui.session import Status
from yolo_desktop.ui.worker import InferenceWorker


@pytest.fixture(scope="module")
def workers(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    pool = WorkerPool(server.url, tmp_path_factory.mktemp("pool") / "workers.log").start()
    yield server, pool
    warm = pool.stop()
    server.stop()
    assert warm, f"the worker pool did not stop by itself on SIGTERM within 30 s:\n{pool.text()[-3000:]}"


def switch(qtbot, window, url):
    window.process_on(url)
    qtbot.waitUntil(lambda: window.session.model_state == "ready", timeout=MODEL_TIMEOUT_MS)


def test_batches_run_on_queue_workers_and_stream_back(qtbot, window, workers, data_dir, tmp_path, app_detector):
    server, pool = workers
    switch(qtbot, window, server.url)
    assert isinstance(window.session.worker, ClusterWorker)
    assert "2 worker(s) at redis://127.0.0.1" in window.model_label.text()

    photos = many_photos(tmp_path / "photos", data_dir, 16)
    (tmp_path / "photos" / "broken.jpg").write_bytes(b"nope")
    window.add_paths([str(tmp_path / "photos")])
    wait_for_batch(qtbot, window, count=17)
    entries = {e.path: e for e in window.session.entries}
    assert entries[str(tmp_path / "photos" / "broken.jpg")].status is Status.FAILED
    for path in map(str, photos):
        expected = app_detector.detect(load(path).rgb, path)
        assert entries[path].status is Status.DONE
        assert (
            entries[path].shown.detections == refilter(expected, window.session.settings, app_detector.names).detections
        )
        assert window.session.thumbnail(window.session.entries.index(entries[path])) is not None
    progress = window.session.state.progress()
    assert (progress.done, progress.total, progress.running) == (17, 17, False)
    assert window.session.worker.network_runs == 0  # nothing ran in this process
    assert "loaded yolov3-tiny" in pool.text()

    # Thresholds re-filter from the candidates that came back, no job is sent.
    window.image_list.set_current_row(window.session.entries.index(entries[str(photos[1])]))
    before = window.table.model().rowCount()
    window.thresholds.conf.spin.setValue(0.05)
    qtbot.waitUntil(lambda: not window.session.refiltering)
    lowered = DetectorSettings(conf=0.05)
    expected = app_detector.detect(load(str(photos[1])).rgb, str(photos[1]))
    assert window.table.model().rowCount() == len(refilter(expected, lowered, app_detector.names).detections) > before

    # Export from the window, as with local results.
    out = tmp_path / "export"
    window.last_export = None
    window.run_export(ExportOptions(out, ("json", "csv"), False, "jpg"))
    qtbot.waitUntil(lambda: window.last_export is not None, timeout=60_000)
    report, error = window.last_export
    assert error == "" and not report.failed
    document = json.loads((out / "detections.json").read_text())
    assert len(document["images"]) == 17 and document["settings"]["conf"] == 0.05


def test_cancel_resume_and_back_to_this_computer(qtbot, window, workers, data_dir, tmp_path, tiny_model):
    server, _pool = workers
    switch(qtbot, window, server.url)
    many_photos(tmp_path / "many", data_dir, 60)
    window.add_paths([str(tmp_path / "many")])
    qtbot.waitUntil(lambda: window.session.state.progress().done >= 4, timeout=60_000)
    window.session.cancel()
    progress = window.session.state.progress()
    assert not progress.running and progress.done < 60
    assert any(e.status is Status.QUEUED for e in window.session.entries)
    window.session.resume()
    wait_for_batch(qtbot, window, count=60)
    assert all(e.status is Status.DONE for e in window.session.entries)

    switch(qtbot, window, None)
    assert isinstance(window.session.worker, InferenceWorker)
    assert window.session.model_info is not None and window.session.model_info.engine == auto_engine_here(tiny_model)
    assert all(e.status is Status.DONE for e in window.session.entries)  # same model: nothing runs again


def test_a_model_change_mid_batch_leaves_no_image_stuck(qtbot, window, workers, data_dir, tmp_path):
    """Images already with the workers when the model (here the input size) changes still come back: the batch
    finishes and every image is then detected again with the new size."""
    server, _pool = workers
    switch(qtbot, window, server.url)
    many_photos(tmp_path / "photos", data_dir, 40)
    window.add_paths([str(tmp_path / "photos")])
    qtbot.waitUntil(lambda: window.session.state.progress().done >= 2, timeout=60_000)
    window.session.load_model(DetectorChoice(window.session.model, DetectorSettings(size=320)))
    qtbot.waitUntil(lambda: window.session.model_info.input_size == 320, timeout=MODEL_TIMEOUT_MS)
    wait_for_batch(qtbot, window, count=40)
    assert all(e.status is Status.DONE for e in window.session.entries)
    assert not window.session.state.running
