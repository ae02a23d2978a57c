"""Tiled detection over HTTP: ``tiles``/``tile_overlap`` form fields give the command line's ``--tiles``
detections, record for record; a kept tiled result re-filters to what a fresh tiled request gives; bad values are
the client's error, said in the CLI's words."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.service.test_routes import cli_records, files
from tests.support.mosaic import EXPECTED, write_mosaic
from yolo_desktop.geometry import box_iou


@pytest.fixture(scope="module")
def mosaic_png(tmp_path_factory, data_dir) -> Path:
    return write_mosaic(tmp_path_factory.mktemp("mosaic") / "mosaic.png", data_dir)


def detect(server, path: Path, **form: str) -> dict:
    reply = httpx.post(f"{server.url}/v1/detect", files=files(path), data=form, timeout=60)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_tiles_over_http_equal_the_command_lines(server, mosaic_png, tmp_path):
    for form, options in (
        ({"tiles": "416"}, ("--tiles", "416")),
        (
            {"tiles": "auto", "tile_overlap": "0.3", "conf": "0.1"},
            ("--tiles", "auto", "--tile-overlap", "0.3", "--conf", "0.1"),
        ),
    ):
        (expected,) = cli_records(tmp_path, [mosaic_png], *options)
        expected["path"] = mosaic_png.name
        document = detect(server, mosaic_png, **form)
        assert document["images"] == [expected]
        assert document["settings"]["tiles"] == form["tiles"]
        assert document["settings"]["tile_overlap"] == float(form.get("tile_overlap", 0.2))
    untiled = detect(server, mosaic_png)["images"][0]["detections"]
    tiled = detect(server, mosaic_png, tiles="416")["images"][0]["detections"]
    assert sum(any(d["label"] == e.label and box_iou(d["box"], e.box) >= 0.5 for d in tiled) for e in EXPECTED) == 5
    assert sum(any(d["label"] == e.label and box_iou(d["box"], e.box) >= 0.5 for d in untiled) for e in EXPECTED) == 1


def test_a_kept_tiled_result_refilters_like_a_fresh_tiled_request(server, mosaic_png):
    first = detect(server, mosaic_png, tiles="416")
    fresh = detect(server, mosaic_png, tiles="416", conf="0.1", iou="0.3")
    refiltered = httpx.get(server.url + first["results"][0], params={"conf": "0.1", "iou": "0.3"}, timeout=30)
    assert refiltered.status_code == 200, refiltered.text
    assert refiltered.json()["images"] == fresh["images"]
    assert refiltered.json()["settings"]["tiles"] == "416"


def test_deepstack_clients_may_tile_too(server, mosaic_png):
    def labels(**form: str) -> list[str]:
        reply = httpx.post(
            f"{server.url}/v1/vision/detection", files=files(mosaic_png, field="image"), data=form, timeout=60
        )
        assert reply.status_code == 200, reply.text
        return sorted(p["label"] for p in reply.json()["predictions"])

    assert "cup" not in labels() and labels(tiles="416").count("cup") == 2


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({"tiles": "7"}, "tiles '7' must be off, auto, or a tile size in pixels of at least 64"),
        ({"tiles": "416", "tile_overlap": "0.9"}, "tile overlap 0.9 must be between 0 and 0.5"),
        ({"tile_overlap": "lots"}, "tile_overlap='lots' is not a number"),
        ({"tiles": "²"}, "tiles '²' must be off, auto"),  # "²".isdigit(), yet no number: a 400, never a 500
    ],
)
def test_bad_tiles_are_the_clients_error(server, mosaic_png, form, words):
    reply = httpx.post(f"{server.url}/v1/detect", files=files(mosaic_png), data=form, timeout=30)
    assert reply.status_code == 400 and words in reply.json()["detail"]


def test_a_photo_needing_more_tiles_than_the_service_allows_is_refused_with_the_reason(server, tmp_path):
    """One request must not cost the service minutes: 320-px tiles of a 3000×3000 photo would be 144 network runs
    (above tiling.SERVICE_MAX_TILES); the photo is refused saying so, and ``auto`` (at most 36) goes through."""
    import cv2
    import numpy as np

    photo = tmp_path / "big.jpg"
    cv2.imwrite(str(photo), np.full((3000, 3000, 3), 90, np.uint8))
    refused = httpx.post(f"{server.url}/v1/detect", files=files(photo), data={"tiles": "320"}, timeout=60)
    assert refused.status_code == 422, refused.text
    assert "tiles" in refused.text and "choose larger tiles, or auto" in refused.text
    auto = httpx.post(f"{server.url}/v1/detect", files=files(photo), data={"tiles": "auto"}, timeout=60)
    assert auto.status_code == 200, auto.text
