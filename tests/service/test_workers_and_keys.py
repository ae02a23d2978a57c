"""``--workers 2``: two processes answer, each loaded the model once (in its own process, after the fork);
``--api-key``: every route but health refuses a request without the key."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest

from tests.service.conftest import API_KEY as KEY

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample.jpg"


def ready_pids(server, tries: int = 200) -> dict[int, dict]:
    """Ask /v2/health/ready on fresh connections until both workers answered ready (the kernel picks one)."""
    seen: dict[int, dict] = {}
    deadline = time.monotonic() + 120
    while len(seen) < 2 and time.monotonic() < deadline:
        for _ in range(tries):
            with httpx.Client() as client:  # a new connection each time
                reply = client.get(f"{server.url}/v2/health/ready")
            if reply.status_code == 200:
                seen[reply.json()["pid"]] = reply.json()
            if len(seen) == 2:
                break
    return seen


def test_two_workers_each_load_the_model_once(two_workers):
    auth = {"Authorization": f"Bearer {KEY}"}
    for _ in range(8):
        with httpx.Client() as client:
            reply = client.post(
                f"{two_workers.url}/upload", files={"file": ("s.jpg", SAMPLE.read_bytes())}, headers=auth
            )
        assert reply.status_code == 200 and "cup" in reply.json()["info"]["objects"]
    workers = ready_pids(two_workers)
    assert len(workers) == 2, workers
    children = {p.pid for p in psutil.Process(two_workers.pid).children(recursive=True)}
    assert set(workers) <= children and two_workers.pid not in workers  # loaded in the workers, not the parent
    assert all(w["model_loads"] == 1 and w["status"] == "ready" for w in workers.values())
    # Workers × engine threads ≤ cores: each worker's LiteRT runs on cores // 2 threads.
    assert all(psutil.Process(pid).environ().get("YOLO_DESKTOP_THREADS") for pid in workers)


@pytest.mark.parametrize(
    ("method", "route"),
    [
        ("POST", "/upload"),
        ("GET", "/view/0b6e8f6c-5d4a-4f0e-9a43-1c2d3e4f5a6b"),
        ("GET", "/counts"),
        ("POST", "/v1/vision/detection"),
        ("POST", "/v1/vision/custom/list"),
        ("POST", "/v1/detect"),
        ("GET", "/v1/models"),
        ("GET", "/v1/results/0b6e8f6c-5d4a-4f0e-9a43-1c2d3e4f5a6b"),
    ],
)
def test_api_key_is_required_everywhere_but_health(two_workers, method, route):
    field = "image" if route.startswith("/v1/vision") else "file"
    upload = {"files": {field: ("s.jpg", SAMPLE.read_bytes())}} if method == "POST" and "list" not in route else {}
    for headers in ({}, {"X-API-Key": "wrong"}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {KEY}"}):
        reply = httpx.request(method, two_workers.url + route, headers=headers, timeout=30, **upload)
        assert reply.status_code == 401, (route, headers, reply.text)
        assert reply.json()["success"] is False and "API key" in reply.json()["error"]
    for headers in ({"X-API-Key": KEY}, {"Authorization": f"Bearer {KEY}"}):
        reply = httpx.request(method, two_workers.url + route, headers=headers, timeout=30, **upload)
        assert reply.status_code in (200, 404), (route, reply.text)  # 404: the made-up result ids


def test_health_page_and_deepstack_form_key(two_workers):
    assert httpx.get(f"{two_workers.url}/v2/health/live").status_code == 200
    assert httpx.get(f"{two_workers.url}/v2/health/ready").status_code == 200
    assert httpx.get(f"{two_workers.url}/").status_code == 200  # the page holds no data; it asks for the key
    reply = httpx.post(
        f"{two_workers.url}/v1/vision/detection",
        files={"image": ("s.jpg", SAMPLE.read_bytes())},
        data={"api_key": KEY},  # DeepStack's own way of sending the key
        timeout=30,
    )
    assert reply.status_code == 200 and reply.json()["success"] is True


def test_forty_concurrent_requests_to_two_workers_are_all_answered(two_workers):
    """Each worker process admits by its own expected wait: a burst of 40 at the defaults is answered in full."""
    data = SAMPLE.read_bytes()
    start = threading.Barrier(40)

    def one(_index: int) -> httpx.Response:
        start.wait()
        with httpx.Client() as client:  # a connection each: the kernel spreads them over both workers
            return client.post(
                f"{two_workers.url}/v1/vision/detection",
                files={"image": ("s.jpg", data)},
                headers={"X-API-Key": KEY},
                timeout=60,
            )

    with ThreadPoolExecutor(40) as pool:
        replies = list(pool.map(one, range(40)))
    assert [r.status_code for r in replies] == [200] * 40, [r.text for r in replies if r.status_code != 200]
    assert all("cup" in {p["label"] for p in r.json()["predictions"]} for r in replies)
