"""One real Redis server and one real pool of 2 worker processes for the cluster tests, real photos, and a local
reference run of the same photos."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.support.cluster import WorkerPool
from tests.support.redis_server import RedisServer
from tests.ui.conftest import many_photos
from yolo_desktop.cli.main import main

ALL_FORMATS = "json,csv,yolo,voc,coco"
PHOTOS = 60
CHUNK = 6
CHUNKS = 11  # 60 photos + 1 broken file in chunks of 6


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pool(redis_server, tmp_path_factory):
    workers = WorkerPool(redis_server.url, tmp_path_factory.mktemp("pool") / "workers.log").start()
    yield workers
    assert workers.stop(), f"the worker pool did not stop by itself on SIGTERM within 30 s:\n{workers.text()[-3000:]}"


@pytest.fixture(scope="session")
def photos(tmp_path_factory, data_dir) -> Path:
    """60 distinct real photos (a subfolder among them) and one broken file."""
    root = tmp_path_factory.mktemp("inputs") / "photos"
    many_photos(root, data_dir, PHOTOS - 6)
    sub = many_photos(root / "sub", data_dir, 6)
    sub[0].rename(sub[0].with_name("photo 000 copy.jpg"))
    (root / "broken.jpg").write_bytes(b"not a photo at all")
    return root


@pytest.fixture(scope="session")
def local_reference(photos, tmp_path_factory) -> Path:
    """What a local ``detect`` writes for the same photos and options."""
    out = tmp_path_factory.mktemp("local") / "out"
    assert main(["detect", str(photos), "-r", "-o", str(out), "--formats", ALL_FORMATS, "--quiet"]) == 1  # broken
    return out


def digest_tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` (but the part files) → sha256."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".parts" not in p.relative_to(root).parts
    }
