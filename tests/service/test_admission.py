"""Admission by expected wait and a memory budget, on real servers: with a tiny ``--max-wait`` (50 ms: a handful
of photos) a burst far beyond it is answered in part, the rest refused with 503 and ``Retry-After``, nothing else;
with a 2 MB budget for uploads held in memory, uploads still being received count against it. Afterwards each
server is idle and answers again."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.service.conftest import Server, start_server

MB = 1024 * 1024


@pytest.fixture(scope="module")
def strict(tmp_path_factory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("strict"), "--max-wait", "0.05")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def small_budget(tmp_path_factory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("budget"), "--max-upload-mb", "1", "--upload-memory-mb", "2")
    yield running
    running.stop()


def detect(server: Server, data: bytes) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/vision/detection", files={"image": ("coffee.jpg", data, "image/jpeg")}, timeout=60
    )


def idle(server: Server, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        ready = httpx.get(f"{server.url}/v2/health/ready").json()
        if ready["in_flight"] == 0 or time.monotonic() > deadline:
            return ready
        time.sleep(0.05)


def test_a_burst_beyond_max_wait_is_answered_in_part_and_refused_with_retry_after(strict, photos):
    data = photos["coffee"].read_bytes()
    start = threading.Barrier(40)

    def one(_index: int) -> httpx.Response:
        start.wait()
        return detect(strict, data)

    with ThreadPoolExecutor(40) as pool:
        replies = list(pool.map(one, range(40)))
    answered = [r for r in replies if r.status_code == 200]
    refused = [r for r in replies if r.status_code == 503]
    assert len(answered) + len(refused) == 40, [r.status_code for r in replies]  # nothing else
    assert answered and refused, (len(answered), len(refused))
    assert all("cup" in {p["label"] for p in r.json()["predictions"]} for r in answered)
    for reply in refused:
        body = reply.json()
        assert body["success"] is False and "the server is busy" in body["error"], body
        assert int(reply.headers["Retry-After"]) >= 1
    assert any("--max-wait of 0.05 s" in r.json()["error"] for r in refused)

    ready = idle(strict)
    assert ready["status"] == "ready" and ready["in_flight"] == 0 and ready["upload_mb_held"] == 0
    after = detect(strict, data)
    assert after.status_code == 200 and after.json()["success"] is True


def hold(server: Server, declared: int) -> socket.socket:
    """A request whose body is still being received: its headers and a first few bytes."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(
        b"POST /v1/detect HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=XX\r\n"
        b"Content-Length: %d\r\n\r\n--XX\r\n" % declared
    )
    return sock


def test_uploads_being_received_count_against_the_memory_budget(small_budget, photos):
    first, second = hold(small_budget, MB), hold(small_budget, MB)  # each may send up to the 1 MB limit: 2 MB reserved
    try:
        deadline = time.monotonic() + 10
        while httpx.get(f"{small_budget.url}/v2/health/ready").json()["in_flight"] < 2:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        refused = detect(small_budget, photos["coffee"].read_bytes())
        assert refused.status_code == 503 and int(refused.headers["Retry-After"]) >= 1
        assert "this one would pass its budget of 2 MB" in refused.json()["error"]
    finally:
        first.close()
        second.close()
    assert idle(small_budget)["in_flight"] == 0  # clients gone: their reservations are given back
    assert detect(small_budget, photos["coffee"].read_bytes()).status_code == 200
