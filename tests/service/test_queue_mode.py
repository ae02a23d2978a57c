"""``serve --redis``: a light front on a real Redis (with a password) and real queue workers, all real processes.

Jobs wait in the queue (with their position) until a worker comes, then are done with the same detections as a
local ``detect``; the synchronous routes go through the workers and equal the command line too; the front maps no
model runtime at all; bad uploads say why; Redis unreachable at start is one line (exit 2), Redis lost while
serving is a 503 naming it (never a 500), and the front recovers when Redis is back.
"""

from __future__ import annotations

import io
import re
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest
from PIL import Image

from tests.conftest import REPO
from tests.service.conftest import Server, start_server
from tests.service.test_routes import cli_records, files
from tests.support import processes
from tests.support.cluster import WorkerPool, cli_env
from tests.support.redis_server import RedisServer, free_port
from tests.ui.conftest import broken_files

PASSWORD = "queue-s3cret"
JOB = re.compile(r"^up-[0-9a-f]{32}$")


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"), password=PASSWORD).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def front(redis_server, tmp_path_factory) -> Iterator[Server]:
    """The light front, started before any worker (so it is up, but not ready)."""
    running = start_server(tmp_path_factory.mktemp("front"), "--redis", redis_server.url, "--queue", "3", wait=False)
    deadline = time.monotonic() + 60
    while True:
        assert running.process.poll() is None, running.log_text()
        try:
            if httpx.get(f"{running.url}/v2/health/ready", timeout=2).json()["status"] != "loading":
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, running.log_text()
        time.sleep(0.05)
    yield running
    running.stop()
    assert running.process.returncode is not None


@pytest.fixture(scope="module")
def pool(redis_server, front, tmp_path_factory) -> Iterator[WorkerPool]:
    workers = WorkerPool(redis_server.url, tmp_path_factory.mktemp("pool") / "workers.log", 1).start()
    wait_ready(front)
    yield workers
    assert workers.stop(), f"the worker pool did not stop by itself on SIGTERM within 30 s:\n{workers.text()[-3000:]}"


def wait_ready(front: Server, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        reply = httpx.get(f"{front.url}/v2/health/ready", timeout=5)
        if reply.status_code == 200:
            return reply.json()
        assert time.monotonic() < deadline, reply.text
        time.sleep(0.1)


def wait_job(front: Server, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = httpx.get(f"{front.url}/v1/jobs/{job_id}", timeout=10).json()
        if body["state"] in ("done", "failed"):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def submit(front: Server, route: str, path: Path, **form: str) -> dict:
    reply = httpx.post(f"{front.url}{route}", files=files(path), data=form, timeout=30)
    assert reply.status_code == 202, reply.text
    body = reply.json()
    assert JOB.match(body["id"]) and body["url"] == f"/view/{body['id']}"
    assert reply.headers["Location"] == body["job"] == f"/v1/jobs/{body['id']}"
    return body


@pytest.mark.parametrize("given", ["option", "environment"])
def test_unreachable_redis_at_start_is_one_line_naming_it(given):
    url = f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0"
    option = ["--redis", url] if given == "option" else []
    done = processes.run(
        [sys.executable, "-m", "yolo_desktop", "serve", "--port", str(free_port()), *option],
        cwd=REPO,
        env={**cli_env(), **({"YOLO_DESKTOP_REDIS_URL": url} if given == "environment" else {})},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach Redis at redis://:***@127.0.0.1:" in lines[0], done.stderr
    assert PASSWORD not in done.stderr + done.stdout


def test_jobs_wait_in_the_queue_until_a_worker_comes(front, photos, tmp_path, request):
    ready = httpx.get(f"{front.url}/v2/health/ready")
    assert ready.status_code == 503 and "no queue worker is alive on queue 'yolo-desktop'" in ready.json()["error"]
    assert PASSWORD not in ready.text and ready.json()["model_loads"] == 0
    refused = httpx.post(f"{front.url}/upload", files=files(photos["coffee"]), timeout=30)
    assert refused.status_code == 503 and "no queue worker is alive" in refused.json()["info"]["error"]

    first = submit(front, "/upload?async=1", photos["coffee"])  # the original service's "mode 2"
    second = submit(front, "/v1/jobs", photos["big"], conf="0.1")
    assert httpx.get(f"{front.url}{first['job']}").json()["position"] == 0
    waiting = httpx.get(f"{front.url}{second['job']}").json()
    assert (waiting["state"], waiting["position"], waiting["result"]) == ("queued", 1, None)
    view = httpx.get(f"{front.url}{first['url']}")
    assert view.status_code == 202 and view.json()["status"] == "processing"
    third = submit(front, "/v1/jobs", photos["camera"])
    full = httpx.post(f"{front.url}/v1/jobs", files=files(photos["coffee"]), timeout=30)  # --queue 3
    assert full.status_code == 503 and "busy" in full.json()["detail"] and int(full.headers["Retry-After"]) >= 1

    request.getfixturevalue("pool")  # a worker comes
    assert wait_job(front, third["id"])["state"] == "done"
    done = [wait_job(front, first["id"]), wait_job(front, second["id"])]
    expected = cli_records(tmp_path, [photos["coffee"]]) + cli_records(tmp_path, [photos["big"]], "--conf", "0.1")
    for body, record in zip(done, expected):
        record["path"] = Path(record["path"]).name
        assert body["state"] == "done" and body["error"] is None
        assert body["result"] == record
        assert body["model"]["name"] == "yolov3-tiny" and body["model"]["input_size"] == 416
    assert done[1]["settings"]["conf"] == 0.1 and "cup" in {d["label"] for d in done[0]["result"]["detections"]}

    image = httpx.get(f"{front.url}{second['url']}")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(image.content)).size == (2400, 1600)  # drawn at full size by the worker
    refiltered = httpx.get(f"{front.url}{done[1]['results']}", params={"conf": "0.25"}).json()  # no network run
    at_default = cli_records(tmp_path, [photos["big"]])[0]
    assert refiltered["images"] == [{**at_default, "path": "big coffee.jpg"}]
    assert httpx.get(f"{front.url}/v1/jobs/up-{'0' * 32}").status_code == 404
    assert httpx.get(f"{front.url}/view/up-{'0' * 32}").status_code == 404


def test_synchronous_routes_go_through_the_workers_and_equal_a_local_detect(front, pool, photos, tmp_path):
    broken = tmp_path / "broken"
    reasons = broken_files(broken)
    inputs = [photos[k] for k in ("coffee", "motorbike", "camera", "rotated")] + [broken / "cut.jpg"]
    tiled = ("--tiles", "416", "--tile-overlap", "0.3")  # the workers cut the photos as the command line does
    for options in ((), ("--conf", "0.1", "--iou", "0.6"), ("--classes", "cup,person"), tiled):
        expected = cli_records(tmp_path, inputs, *options)
        form = dict(zip((o.lstrip("-").replace("-", "_") for o in options[::2]), options[1::2]))
        reply = httpx.post(f"{front.url}/v1/detect", files=files(*inputs), data=form, timeout=60)
        assert reply.status_code == 200, reply.text
        for record in expected:
            record["path"] = Path(record["path"]).name
        assert reply.json()["images"] == expected
        assert reply.json()["settings"]["tiles"] == form.get("tiles", "off")
        assert reply.json()["images"][-1]["error"] == reasons["cut.jpg"]

    upload = httpx.post(f"{front.url}/upload", files=files(photos["coffee"]), timeout=30)
    assert upload.status_code == 200 and "cup" in upload.json()["info"]["objects"]
    view_id = upload.json()["id"].removeprefix("/view/")
    assert JOB.match(view_id)  # kept in Redis: any front sharing it answers /view
    view = httpx.get(f"{front.url}/view/{view_id}")
    assert view.headers["content-type"] == "image/jpeg" and Image.open(io.BytesIO(view.content)).size == (600, 400)
    image = httpx.post(f"{front.url}/upload?format=image", files=files(photos["big"]), timeout=30)
    assert image.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(image.content)).size == (2400, 1600)
    deepstack = httpx.post(f"{front.url}/v1/vision/detection", files=files(photos["coffee"], field="image"), timeout=30)
    assert "cup" in {p["label"] for p in deepstack.json()["predictions"]}
    counts = httpx.get(f"{front.url}/counts").json()  # counted by the workers, in Redis: every front says the same
    assert counts["cup"] >= 6 and counts["motorbike"] >= 2 and list(counts.values()) == sorted(counts.values())[::-1]


def test_bad_uploads_and_options_say_why(front, pool, tmp_path):
    reasons = broken_files(tmp_path)
    for name, status in (("notes.jpg", 415), ("cut.jpg", 422)):
        job = submit(front, "/v1/jobs", tmp_path / name)
        body = wait_job(front, job["id"])
        assert body["state"] == "failed" and body["error"] == f"{name}: {reasons[name]}"
        assert body["result"]["error"] == reasons[name]
        view = httpx.get(f"{front.url}{job['url']}")
        assert view.status_code == status and view.json() == {"status": "failed", "error": body["error"]}
        sync = httpx.post(f"{front.url}/upload", files=files(tmp_path / name), timeout=30)
        assert sync.status_code == status and sync.json()["info"]["error"] == f"{name}: {reasons[name]}"

    sample = files(tmp_path / "cut.jpg")
    for form, says in (
        ({"classes": "unicorn"}, "unknown class name(s) unicorn"),
        ({"precision": "fast"}, "queue workers run yolov3-tiny (accurate)"),
        ({"model": "yolov3"}, "queue workers run yolov3-tiny (accurate)"),
    ):
        for route in ("/v1/jobs", "/v1/detect"):
            reply = httpx.post(f"{front.url}{route}", files=sample, data=form, timeout=30)
            assert reply.status_code == 400 and says in reply.json()["detail"], reply.text
    two = httpx.post(f"{front.url}/v1/jobs", files=files(tmp_path / "cut.jpg", tmp_path / "notes.jpg"))
    assert two.status_code == 400 and "one file per job" in two.json()["detail"]


def test_the_front_loads_no_model(front, pool, photos):
    mapped = {m.path for m in psutil.Process(front.pid).memory_maps()}
    heavy = [p for p in mapped if any(k in p for k in ("tensorflow", "openvino", "ai_edge_litert", "PySide6"))]
    assert not heavy
    ready = wait_ready(front)
    assert ready["model_loads"] == 0 and ready["pid"] == front.pid
    assert [w["matches"] for w in ready["workers"]] == [True] and ready["workers"][0]["model"] == "yolov3-tiny"
    assert ready["models"] == [
        {
            "name": "yolov3-tiny",
            "input_size": 416,
            "precision": "accurate",
            "engine": "1 queue worker(s)",
            "classes": 80,
        }
    ]  # what the drop page shows
    models = httpx.get(f"{front.url}/v1/models").json()
    assert models["default"] == "yolov3-tiny" and models["loaded"] == ready["models"]
    upload = httpx.post(f"{front.url}/upload", files=files(photos["coffee"]), timeout=60)
    assert upload.status_code == 200 and "cup" in upload.json()["info"]["objects"]
    assert "loaded yolov3-tiny accurate" in pool.text()  # …the workers hold the model (on the engine auto chose)
    assert wait_ready(front)["model_loads"] == 0  # the front still holds none
    mapped = {m.path for m in psutil.Process(front.pid).memory_maps()}
    assert not [p for p in mapped if any(k in p for k in ("tensorflow", "openvino", "ai_edge_litert", "PySide6"))]


def test_a_front_admits_by_the_workers_time_and_max_wait(redis_server, pool, photos, tmp_path):
    """A second front with a tiny --max-wait (50 ms: two jobs of one worker): the worker publishes its time per
    image, and a burst is answered in part, the rest refused with 503 and Retry-After, nothing else."""
    strict = start_server(tmp_path, "--redis", redis_server.url, "--max-wait", "0.05")
    try:
        for _ in range(3):  # the worker publishes its moving average after each image
            assert httpx.post(f"{strict.url}/v1/detect", files=files(photos["coffee"]), timeout=30).status_code == 200
        deadline = time.monotonic() + 10
        while True:  # the monitor reads the workers' hashes twice a second
            ready = wait_ready(strict)
            if all((w["seconds_per_image"] or 0) > 0 for w in ready["workers"]):
                break
            assert time.monotonic() < deadline, ready["workers"]
            time.sleep(0.1)
        assert ready["seconds_per_image"] > 0 and ready["max_wait"] == 0.05

        data = photos["coffee"].read_bytes()
        start = threading.Barrier(30)

        def one(_index: int) -> httpx.Response:
            start.wait()
            return httpx.post(
                f"{strict.url}/v1/vision/detection", files={"image": ("c.jpg", data, "image/jpeg")}, timeout=60
            )

        with ThreadPoolExecutor(30) as threads:
            replies = list(threads.map(one, range(30)))
        answered = [r for r in replies if r.status_code == 200]
        refused = [r for r in replies if r.status_code == 503]
        assert len(answered) + len(refused) == 30 and answered and refused, [r.status_code for r in replies]
        assert all("cup" in {p["label"] for p in r.json()["predictions"]} for r in answered)
        assert all(int(r.headers["Retry-After"]) >= 1 and "--max-wait of 0.05 s" in r.json()["error"] for r in refused)
        after = httpx.post(f"{strict.url}/v1/detect", files=files(photos["coffee"]), timeout=30)
        assert after.status_code == 200 and wait_ready(strict)["in_flight"] == 0
    finally:
        strict.stop()


def test_redis_lost_is_503_naming_it_and_the_front_recovers(front, pool, redis_server, photos):
    job = submit(front, "/v1/jobs", photos["camera"])
    wait_job(front, job["id"])
    redis_server.stop()
    try:
        time.sleep(0.6)  # the monitor's next check
        replies = {
            "ready": httpx.get(f"{front.url}/v2/health/ready", timeout=10),
            "upload": httpx.post(f"{front.url}/upload", files=files(photos["coffee"]), timeout=10),
            "job": httpx.post(f"{front.url}/v1/jobs", files=files(photos["coffee"]), timeout=10),
            "state": httpx.get(f"{front.url}{job['job']}", timeout=10),
            "view": httpx.get(f"{front.url}{job['url']}", timeout=10),
            "counts": httpx.get(f"{front.url}/counts", timeout=10),
        }
        for what, reply in replies.items():
            assert reply.status_code == 503, (what, reply.text)
            assert "Redis at redis://:***@127.0.0.1:" in reply.text and PASSWORD not in reply.text, (what, reply.text)
        assert httpx.get(f"{front.url}/v2/health/live").status_code == 200
    finally:
        redis_server.start()  # empty: the worker registers again, the front sees it
    wait_ready(front, timeout=20)  # rq's reconnection back-off (1, 2, 4 s…), then the worker's next heartbeat
    again = httpx.post(f"{front.url}/upload", files=files(photos["coffee"]), timeout=30)
    assert again.status_code == 200 and "cup" in again.json()["info"]["objects"]
    assert front.process.poll() is None and "Traceback" not in front.log_text()
