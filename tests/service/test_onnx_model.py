"""The service with your own ONNX export (``serve --onnx``): DeepStack, native replies and /v1/models treat it as
any other model — its class names from its metadata, its own input size, the file named (not its path)."""

from __future__ import annotations

import httpx

from tests.conftest import REPO
from tests.service.conftest import start_server

EXPORT = REPO / "tests" / "fixtures" / "onnx" / "yolov8-3cls-320.onnx"
NAMES = {"helmet", "safety vest", "glove"}


def test_serve_an_onnx_export(tmp_path, data_dir):
    server = start_server(tmp_path, "--onnx", str(EXPORT))
    try:
        photo = (data_dir / "astronaut.png").read_bytes()
        reply = httpx.post(f"{server.url}/v1/vision/detection", files={"image": ("a.png", photo)}, timeout=60)
        assert reply.status_code == 200 and reply.json()["success"]
        labels = {p["label"] for p in reply.json()["predictions"]}
        assert labels and labels <= NAMES
        native = httpx.post(f"{server.url}/v1/detect", files={"file": ("a.png", photo)}, timeout=60).json()
        model = native["model"]
        assert (model["name"], model["cfg"], model["weights"], model["input_size"]) == (
            "yolov8-3cls-320",
            None,
            EXPORT.name,
            320,
        )
        assert model["classes"] == 3 and native["images"][0]["detections"]
        refused = httpx.post(
            f"{server.url}/v1/detect", files={"file": ("a.png", photo)}, data={"classes": "person"}, timeout=60
        )
        assert refused.status_code == 400 and "unknown class name(s) person" in refused.text
        other_size = httpx.post(
            f"{server.url}/v1/detect", files={"file": ("a.png", photo)}, data={"size": "416"}, timeout=60
        )
        assert other_size.status_code == 400 and "runs only at that size" in other_size.text
    finally:
        server.stop()
