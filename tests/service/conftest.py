"""A real ``yolo-desktop serve`` in a subprocess on a free loopback port: started, waited for until
``/v2/health/ready``, and stopped by its PID (SIGTERM, then SIGKILL), its uvicorn workers included."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
from PIL import Image

from tests.conftest import REPO, read_rgb
from tests.support import processes

READY_TIMEOUT = 180.0  # a first run converts the model once (TensorFlow, in a child process)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """SIGTERM (uvicorn shuts its workers down), then SIGKILL to anything of ours still alive, by PID."""
        try:
            family = [psutil.Process(self.pid), *psutil.Process(self.pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            family = []
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        _gone, alive = psutil.wait_procs(family, timeout=10)
        for proc in alive:
            proc.kill()
        psutil.wait_procs(alive, timeout=10)


def start_server(tmp: Path, *args: str, env: dict[str, str] | None = None, wait: bool = True) -> Server:
    port = free_port()
    log = tmp / f"serve-{port}.log"
    # A light front only when a test asks for one (serve reads the Redis URL from the environment too).
    inherited = {k: v for k, v in os.environ.items() if k != "YOLO_DESKTOP_REDIS_URL"}
    environment = {**inherited, "PYTHONPATH": str(REPO), **(env or {})}
    with open(log, "wb") as handle:  # a file, never a pipe nobody reads (a full pipe would stall the server)
        process = processes.popen(
            [sys.executable, "-m", "yolo_desktop", "serve", "--port", str(port), *args],
            cwd=REPO,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, port, log)
    if not wait:
        return server
    deadline = time.monotonic() + READY_TIMEOUT
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"serve exited with {process.returncode}:\n{server.log_text()}")
            try:
                if httpx.get(f"{server.url}/v2/health/ready", timeout=2).status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"serve not ready after {READY_TIMEOUT:.0f} s:\n{server.log_text()}")
            time.sleep(0.1)
    except BaseException:
        server.stop()
        raise


@pytest.fixture(scope="package")
def server(tmp_path_factory) -> Iterator[Server]:
    """One server for these tests: the defaults, but a 3 MB upload limit."""
    running = start_server(tmp_path_factory.mktemp("serve"), "--max-upload-mb", "3")
    yield running
    running.stop()
    assert running.process.returncode is not None


API_KEY = "s3cret-key"


@pytest.fixture(scope="package")
def two_workers(tmp_path_factory) -> Iterator[Server]:
    """Two worker processes behind one port, with an API key."""
    running = start_server(tmp_path_factory.mktemp("workers"), "--workers", "2", "--api-key", API_KEY)
    children = psutil.Process(running.pid).children(recursive=True)
    yield running
    running.stop()
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium driven by Playwright (never ``playwright install``); skipped, saying why, without it. Per
    module: Playwright's synchronous API keeps an event loop running, which other modules' ``asyncio.run`` refuse."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium): the page is not tested in a browser")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="package")
def photos(tmp_path_factory, data_dir) -> dict[str, Path]:
    """Real photos as files a client would send: JPEGs, a PNG, a large JPEG (decoded reduced for detection) and
    one stored sideways with an EXIF orientation tag."""
    folder = tmp_path_factory.mktemp("photos")
    coffee = read_rgb(data_dir / "coffee.png")
    paths = {
        "coffee": folder / "coffee.jpg",
        "motorbike": folder / "motorbike ü.png",
        "camera": folder / "camera.jpg",
        "big": folder / "big coffee.jpg",
        "rotated": folder / "rotated.jpg",
    }
    Image.fromarray(coffee).save(paths["coffee"], quality=92)
    Image.fromarray(read_rgb(data_dir / "motorcycle_left.png")).save(paths["motorbike"])
    Image.fromarray(read_rgb(data_dir / "camera.png")).save(paths["camera"], quality=92)
    Image.fromarray(coffee).resize((2400, 1600), Image.BICUBIC).save(paths["big"], quality=90)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways; "rotate 90° clockwise to view"
    Image.fromarray(coffee).transpose(Image.ROTATE_90).save(paths["rotated"], quality=92, exif=exif.tobytes())
    return paths
