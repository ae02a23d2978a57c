"""The service through real HTTP on a real server: the original service's routes (and curl exactly as its README
had it), the DeepStack API, the native route against the command line's own detections.json, kept results."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import httpx
import psutil
import pytest
from PIL import Image

from tests.support import processes
from tests.support.engines import LIBRARY, auto_engine_here
from tests.ui.conftest import broken_files
from yolo_desktop.cli.main import main as cli_main

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample.jpg"


def files(*paths: Path, field: str = "file") -> list[tuple[str, tuple[str, bytes, str]]]:
    return [(field, (p.name, p.read_bytes(), "application/octet-stream")) for p in paths]


def test_seed_upload_finds_the_cup_and_keeps_the_annotated_image(server):
    reply = httpx.post(f"{server.url}/upload", files=files(SAMPLE), timeout=30)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["id"].startswith("/view/") and UUID.match(body["id"].removeprefix("/view/"))
    info = body["info"]
    assert info["success"] is True
    assert "cup" in info["objects"] and "1 cup" in info["object_string"]
    cup = next(o for o in info["scored_objects"] if o["object"] == "cup")
    assert isinstance(cup["score"], str) and 0.25 <= float(cup["score"]) <= 1
    assert cup["left"] < cup["mid_h"] < cup["right"] and cup["top"] < cup["mid_v"] < cup["bottom"]
    assert info["timings"]["network"] > 0 and info["timings"]["total"] >= info["timings"]["network"]

    view = httpx.get(server.url + body["id"], timeout=30)
    assert view.status_code == 200 and view.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(view.content)).size == Image.open(SAMPLE).size
    assert httpx.get(f"{server.url}/view/0b6e8f6c-5d4a-4f0e-9a43-1c2d3e4f5a6b").status_code == 404
    assert httpx.get(f"{server.url}/view/not-a-uuid").status_code == 404
    assert httpx.get(f"{server.url}/view/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_curl_as_in_the_old_readme(server, tmp_path):
    image = tmp_path / "image.jpg"
    image.write_bytes(SAMPLE.read_bytes())
    done = processes.run(
        ["curl", "-s", "-F", "file=@image.jpg", f"http://localhost:{server.port}/upload"],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "cup" in json.loads(done.stdout)["info"]["objects"]


@pytest.mark.parametrize("how", ["query", "accept"])
def test_upload_replies_with_the_annotated_jpeg_at_the_input_size(server, photos, how):
    big = photos["big"]  # 2400×1600: detection decodes it reduced; the image must still be full size
    params = {"format": "image"} if how == "query" else {}
    headers = {"Accept": "image/jpeg"} if how == "accept" else {}
    reply = httpx.post(f"{server.url}/upload", files=files(big), params=params, headers=headers, timeout=30)
    assert reply.status_code == 200 and reply.headers["content-type"] == "image/jpeg"
    annotated = Image.open(io.BytesIO(reply.content))
    assert annotated.format == "JPEG" and annotated.size == (2400, 1600)
    assert reply.content != big.read_bytes()


def test_upload_of_an_exif_rotated_photo_is_upright(server, photos):
    reply = httpx.post(f"{server.url}/upload?format=image", files=files(photos["rotated"]), timeout=30)
    assert Image.open(io.BytesIO(reply.content)).size == Image.open(photos["coffee"]).size  # 600×400, upright


def test_deepstack_detection_honours_min_confidence(server, photos):
    def detect(**form: str) -> dict:
        reply = httpx.post(
            f"{server.url}/v1/vision/detection", files=files(photos["coffee"], field="image"), data=form, timeout=30
        )
        assert reply.status_code == 200, reply.text
        return reply.json()

    default, low, high = detect(), detect(min_confidence="0.05"), detect(min_confidence="0.9")
    for body, floor in ((default, 0.40), (low, 0.05), (high, 0.9)):
        assert body["success"] is True and body["count"] == len(body["predictions"])
        assert all(p["confidence"] >= floor for p in body["predictions"])
        assert set(body) >= {"predictions", "count", "inferenceMs", "processMs", "duration"}
    assert "cup" in {p["label"] for p in default["predictions"]}
    assert len(low["predictions"]) > len(default["predictions"]) >= len(high["predictions"])
    cup = next(p for p in default["predictions"] if p["label"] == "cup")
    assert all(isinstance(cup[k], int) for k in ("x_min", "y_min", "x_max", "y_max"))
    assert 0 <= cup["x_min"] < cup["x_max"] <= 600 and 0 <= cup["y_min"] < cup["y_max"] <= 400


def test_deepstack_custom_models(server, photos):
    listed = httpx.post(f"{server.url}/v1/vision/custom/list", timeout=30).json()
    assert listed["success"] is True and "yolov3-tiny" in listed["models"]
    reply = httpx.post(
        f"{server.url}/v1/vision/custom/yolov3-tiny", files=files(photos["coffee"], field="image"), timeout=30
    )
    assert reply.status_code == 200 and "cup" in {p["label"] for p in reply.json()["predictions"]}
    unknown = httpx.post(f"{server.url}/v1/vision/custom/nope", files=files(photos["coffee"], field="image"))
    assert unknown.status_code == 404
    assert unknown.json()["success"] is False and "not installed" in unknown.json()["error"]


def cli_records(tmp_path: Path, inputs: list[Path], *options: str) -> list[dict]:
    out = tmp_path / f"cli{len(list(tmp_path.iterdir()))}"
    code = cli_main(["detect", *map(str, inputs), "-o", str(out), "--no-images", "--quiet", *options])
    assert code in (0, 1)
    return json.loads((out / "detections.json").read_text(encoding="utf-8"))["images"]


def test_native_detect_equals_the_command_lines_detections_json(server, photos, tmp_path):
    broken = tmp_path / "broken"
    reasons = broken_files(broken)
    inputs = [photos[k] for k in ("coffee", "motorbike", "camera", "big", "rotated")] + [broken / "cut.jpg"]
    for options in ((), ("--conf", "0.1", "--iou", "0.6"), ("--classes", "cup,person")):
        expected = cli_records(tmp_path, inputs, *options)
        form = dict(zip(("conf", "iou"), options[1::2])) if options and options[0] == "--conf" else {}
        if options and options[0] == "--classes":
            form = {"classes": options[1]}
        reply = httpx.post(f"{server.url}/v1/detect", files=files(*inputs), data=form, timeout=60)
        assert reply.status_code == 200, reply.text
        document = reply.json()
        for record in expected:
            record["path"] = Path(record["path"]).name  # the CLI names the file; the service, the upload
        assert document["images"] == expected
        assert document["images"][-1]["error"] == reasons["cut.jpg"]
        assert document["summary"]["images"] == len(inputs) and document["summary"]["failed"] == 1
        assert document["model"]["name"] == "yolov3-tiny" and document["model"]["input_size"] == 416
        assert len(document["results"]) == len(inputs) and document["results"][-1] is None
    assert {d["label"] for r in expected for d in r["detections"]} == {"cup", "person"}


def test_kept_results_refilter_without_the_network(server, photos):
    first = httpx.post(f"{server.url}/v1/detect", files=files(photos["motorbike"]), timeout=30).json()
    counts_before = httpx.get(f"{server.url}/counts").json()
    again = httpx.post(f"{server.url}/v1/detect", files=files(photos["motorbike"]), data={"conf": "0.1"}).json()
    counts_after_second_run = httpx.get(f"{server.url}/counts").json()
    refiltered = httpx.get(server.url + first["results"][0], params={"conf": "0.1"}).json()
    assert refiltered["images"] == again["images"]
    assert refiltered["settings"]["conf"] == 0.1
    assert httpx.get(f"{server.url}/counts").json() == counts_after_second_run != counts_before  # no network run
    only = httpx.get(server.url + first["results"][0], params={"conf": "0.1", "classes": "motorbike"}).json()
    assert {d["label"] for d in only["images"][0]["detections"]} == {"motorbike"}
    bad = httpx.get(server.url + first["results"][0], params={"classes": "unicorn"})
    assert bad.status_code == 400 and "unicorn" in bad.json()["detail"]


def test_native_zip_and_image_formats(server, photos, tmp_path):
    same_name = tmp_path / "coffee.png"
    Image.open(photos["coffee"]).save(same_name)
    reply = httpx.post(
        f"{server.url}/v1/detect?format=zip", files=files(photos["coffee"], same_name, photos["big"]), timeout=60
    )
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(reply.content))
    assert sorted(archive.namelist()) == ["big coffee.jpg", "coffee-2.jpg", "coffee.jpg", "detections.json"]
    assert len(json.loads(archive.read("detections.json"))["images"]) == 3
    assert Image.open(io.BytesIO(archive.read("big coffee.jpg"))).size == (2400, 1600)
    image = httpx.post(f"{server.url}/v1/detect?format=image", files=files(photos["camera"]), timeout=30)
    assert image.headers["content-type"] == "image/jpeg"
    two = httpx.post(f"{server.url}/v1/detect?format=image", files=files(photos["camera"], photos["coffee"]))
    assert two.status_code == 400


def test_counts_models_and_health(server):
    counts = httpx.get(f"{server.url}/counts").json()
    assert counts.get("cup", 0) >= 1 and list(counts.values()) == sorted(counts.values(), reverse=True)
    models = httpx.get(f"{server.url}/v1/models").json()
    assert models["default"] == "yolov3-tiny" and "yolov3-tiny" in [m["name"] for m in models["installed"]]
    assert models["loaded"][0]["input_size"] == 416
    assert httpx.get(f"{server.url}/v2/health/live").json()["status"] == "live"
    ready = httpx.get(f"{server.url}/v2/health/ready").json()
    assert ready["status"] == "ready" and ready["pid"] == server.pid and ready["model_loads"] >= 1


def test_per_request_size_uses_a_second_detector_owned_by_the_same_thread(server, photos):
    loads = httpx.get(f"{server.url}/v2/health/ready").json()["model_loads"]
    small = [
        httpx.post(f"{server.url}/v1/detect", files=files(photos["coffee"]), data={"size": "320"}, timeout=120).json()
        for _ in range(2)
    ]
    default = httpx.post(f"{server.url}/v1/detect", files=files(photos["coffee"]), timeout=30).json()
    assert [d["model"]["input_size"] for d in small] == [320, 320] and default["model"]["input_size"] == 416
    assert small[0]["images"] == small[1]["images"] != default["images"]
    assert httpx.get(f"{server.url}/v2/health/ready").json()["model_loads"] == loads + 1  # built once, kept


def test_live_openapi_equals_the_checked_in_copy(server):
    from yolo_desktop.service.openapi import DEFAULT_PATH, render

    live = httpx.get(f"{server.url}/openapi.json").json()
    assert render(live) == DEFAULT_PATH.read_text(encoding="utf-8"), (
        "the API changed: run 'python -m yolo_desktop.service.openapi' and commit docs/openapi.json"
    )
    assert httpx.get(f"{server.url}/docs").status_code == 200


def test_the_serving_process_has_neither_tensorflow_nor_qt(server, tiny_model):
    mapped = {m.path for m in psutil.Process(server.pid).memory_maps()}
    # The model runs on the engine auto chose here (OpenVINO with AVX-512, OpenCV DNN on AVX2-only processors)…
    assert any(LIBRARY[auto_engine_here(tiny_model)] in path for path in mapped)
    assert not [
        p for p in mapped if "/site-packages/tensorflow" in p or "PySide6" in p or "Qt6" in p
    ]  # …and nothing heavier
