"""Photos for the label tests: real ones (scikit-image's, the 167 COCO photos when ../shared is there) and tiny
generated ones; a per-test index of remembered label places, so no test touches the user's."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import REPO, from_shared

COCO_SAMPLE = REPO.parent / "shared" / "data" / "coco-train-sample"


@pytest.fixture
def memory(tmp_path):
    from yolo_desktop.labels.place import PlaceMemory

    return PlaceMemory(tmp_path / "index" / "label-places.json")


def jpeg_bytes(width: int, height: int, orientation: int = 1, seed: int = 0) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (height, width, 3), dtype=np.uint8)
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", quality=80, exif=exif.tobytes())
    return out.getvalue()


def header_only_jpeg(width: int, height: int) -> bytes:
    """A JPEG cut right after its start-of-scan header: its size reads, any pixel decode fails."""
    data = jpeg_bytes(width, height)
    sos = data.index(b"\xff\xda")
    return data[: sos + 2 + int.from_bytes(data[sos + 2 : sos + 4], "big")]


@pytest.fixture
def coco_sample(tmp_path) -> Path:
    """The 167 COCO photos with their official boxes (read in place; ../shared is read-only)."""
    from_shared(COCO_SAMPLE / "instances.json", "the labelled COCO sample")
    return COCO_SAMPLE


def coco_subset(root: Path, count: int) -> Path:
    """The first ``count`` photos of the COCO sample (by file name), copied into ``root`` with their own
    instances.json: a small labelled folder for evaluation tests."""
    document = json.loads(from_shared(COCO_SAMPLE / "instances.json", "the labelled COCO sample").read_text())
    images = sorted(document["images"], key=lambda image: image["file_name"])[:count]
    ids = {image["id"] for image in images}
    document["images"] = images
    document["annotations"] = [a for a in document["annotations"] if a["image_id"] in ids]
    root.mkdir(parents=True, exist_ok=True)
    (root / "instances.json").write_text(json.dumps(document))
    copy_photos([image["file_name"] for image in images], root)
    return root


def copy_photos(names: list[str], target: Path) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(COCO_SAMPLE / "images" / name, target / name)) for name in names]
