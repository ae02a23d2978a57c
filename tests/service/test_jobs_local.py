"""Asynchronous jobs on a server that runs the model itself (no Redis): the same routes and replies as with queue
workers — 202 at once, ``/view/<id>`` and ``/v1/jobs/<id>`` until done, the same record as ``/v1/detect``."""

from __future__ import annotations

import io
import time

import httpx
from PIL import Image

from tests.service.test_routes import files
from tests.ui.conftest import broken_files


def wait_job(server, job: dict, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = httpx.get(server.url + job["job"], timeout=10).json()
        if body["state"] in ("done", "failed"):
            return body
        assert body["state"] == "processing" and time.monotonic() < deadline, body
        time.sleep(0.02)


def test_local_jobs_answer_at_once_then_equal_the_synchronous_route(server, photos, tmp_path):
    reply = httpx.post(f"{server.url}/v1/jobs", files=files(photos["big"]), data={"conf": "0.1"}, timeout=30)
    assert reply.status_code == 202 and reply.headers["Location"] == reply.json()["job"]
    job = reply.json()
    done = wait_job(server, job)
    same = httpx.post(f"{server.url}/v1/detect", files=files(photos["big"]), data={"conf": "0.1"}, timeout=30).json()
    assert done["state"] == "done" and done["result"] == same["images"][0] and done["settings"]["conf"] == 0.1
    assert done["model"] == same["model"]
    view = httpx.get(server.url + job["url"], timeout=30)
    assert view.headers["content-type"] == "image/jpeg" and Image.open(io.BytesIO(view.content)).size == (2400, 1600)

    seed = httpx.post(f"{server.url}/upload?async=1", files=files(photos["coffee"]), timeout=30)
    assert seed.status_code == 202 and seed.json()["url"] == f"/view/{seed.json()['id']}"
    assert "cup" in {d["label"] for d in wait_job(server, seed.json())["result"]["detections"]}

    reasons = broken_files(tmp_path)
    bad = httpx.post(f"{server.url}/v1/jobs", files=files(tmp_path / "notes.jpg"), timeout=30).json()
    failed = wait_job(server, bad)
    assert failed["state"] == "failed" and failed["error"] == f"notes.jpg: {reasons['notes.jpg']}"
    assert httpx.get(server.url + bad["url"]).status_code == 415
    unknown = httpx.post(f"{server.url}/v1/jobs", files=files(photos["coffee"]), data={"classes": "unicorn"}).json()
    assert "unknown class name(s) unicorn" in wait_job(server, unknown)["error"]
    assert httpx.get(server.url + unknown["url"]).status_code == 400
    assert httpx.get(f"{server.url}/v1/jobs/0b6e8f6c-5d4a-4f0e-9a43-1c2d3e4f5a6b").status_code == 404
