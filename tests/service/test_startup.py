"""Start-up: the process answers at once but is ready only once the model is loaded — here converted first (an
empty model cache), in a child process, so the server itself never imports TensorFlow. A request sent meanwhile
waits and is answered."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import psutil

from tests.service.conftest import start_server

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample.jpg"


def test_ready_only_after_the_model_is_converted_and_loaded(tmp_path):
    cache = tmp_path / "empty cache"
    # OpenVINO, held by $YOLO_DESKTOP_ENGINE: it converts on every processor (auto runs OpenCV DNN on AVX2-only ones)
    server = start_server(
        tmp_path, env={"YOLO_DESKTOP_CACHE": str(cache), "YOLO_DESKTOP_ENGINE": "openvino"}, wait=False
    )
    try:
        deadline = time.monotonic() + 60
        while True:  # live as soon as uvicorn listens
            try:
                live = httpx.get(f"{server.url}/v2/health/live", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, server.log_text()
                time.sleep(0.05)
        assert live.status_code == 200
        loading = httpx.get(f"{server.url}/v2/health/ready")
        assert loading.status_code == 503 and loading.json()["status"] == "loading", loading.text
        assert loading.headers["Retry-After"] == "1"

        early: list[httpx.Response] = []
        sender = threading.Thread(
            target=lambda: early.append(
                httpx.post(f"{server.url}/upload", files={"file": ("s.jpg", SAMPLE.read_bytes())}, timeout=180)
            )
        )
        sender.start()
        while httpx.get(f"{server.url}/v2/health/ready").status_code == 503:
            assert time.monotonic() < deadline + 120, server.log_text()
            time.sleep(0.1)
        sender.join(60)
        assert early and early[0].status_code == 200 and "cup" in early[0].json()["info"]["objects"]
        assert list((cache / "converted").glob("yolov3-tiny-accurate-*.tflite"))
        assert "Converting yolov3-tiny" in server.log_text()  # said so in the server's log
        mapped = {m.path for m in psutil.Process(server.pid).memory_maps()}
        assert not [p for p in mapped if "/site-packages/tensorflow" in p]  # converted in a child process
    finally:
        server.stop()
