"""A real main window (offscreen), with its own settings file, a real worker thread and the real model."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import read_rgb

MODEL_TIMEOUT_MS = 120_000
BATCH_TIMEOUT_MS = 180_000


@pytest.fixture()
def make_window(qtbot, tmp_path):
    from yolo_desktop.ui.main_window import MainWindow
    from yolo_desktop.ui.settings_store import SettingsStore

    windows = []

    def make(settings_file: Path | None = None, start: bool = True):
        window = MainWindow(SettingsStore(str(settings_file or tmp_path / "settings.ini")))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        if start:
            window.start()
            qtbot.waitUntil(lambda: window.session.model_state == "ready", timeout=MODEL_TIMEOUT_MS)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()  # stops the worker thread; a test may already have closed it


@pytest.fixture()
def window(make_window):
    return make_window()


def wait_for_batch(qtbot, window, count: int | None = None) -> None:
    def finished() -> bool:
        entries = window.session.entries
        if count is not None and len(entries) < count:
            return False
        return bool(entries) and all(e.status.value in ("done", "failed") for e in entries)

    qtbot.waitUntil(finished, timeout=BATCH_TIMEOUT_MS)


@pytest.fixture()
def photo_folder(tmp_path, data_dir) -> Path:
    """Real photos under names with spaces and non-ASCII characters, one in a subfolder."""
    root = tmp_path / "Holiday photos été"
    (root / "day two").mkdir(parents=True)
    Image.fromarray(read_rgb(data_dir / "coffee.png")).save(root / "café au lait.jpg", quality=92)
    Image.fromarray(read_rgb(data_dir / "motorcycle_left.png")).save(root / "day two" / "motorbike 2.png")
    return root


def many_photos(folder: Path, data_dir: Path, count: int) -> list[Path]:
    """``count`` distinct real photos (sample photos, flipped and shifted so each is a different image)."""
    sources = [
        read_rgb(data_dir / n)
        for n in ("coffee.png", "motorcycle_left.png", "camera.png", "astronaut.png", "chelsea.png", "rocket.jpg")
    ]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        image = sources[i % len(sources)]
        if (i // len(sources)) % 2:
            image = image[:, ::-1]
        image = np.roll(image, 7 * i, axis=1)
        path = folder / f"photo {i:03d}.jpg"
        Image.fromarray(np.ascontiguousarray(image)).save(path, quality=90)
        paths.append(path)
    return paths


class LatenessProbe:
    """A 10 ms QTimer on the GUI thread: how late does it fire (ms beyond its interval)? A stalled event loop
    (the GUI thread busy, or starved of the GIL) shows up as lateness."""

    def __init__(self, interval_ms: int = 10) -> None:
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.interval = interval_ms
        self.lateness: list[float] = []
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._probe)

    def _probe(self) -> None:
        now = self._clock.nsecsElapsed()
        self.lateness.append(max(0.0, (now - self._last) / 1e6 - self.interval))
        self._last = now

    def start(self) -> None:
        # It measures how soon the GUI thread is scheduled: beside another busy test process (pytest-xdist's other
        # worker) on 2 cores a tick came 101 ms late. make test runs tests/ui alone, after the rest.
        if os.environ.get("PYTEST_XDIST_WORKER"):
            pytest.fail("a responsiveness guard must run alone: keep its test in tests/ui (make test's second part)")
        # The suite's process holds what hundreds of earlier tests left (models, graphs, 10,000-row lists): a full
        # garbage collection walks all of it on whichever thread allocates, the GUI thread included — once 535 ms
        # in a full run, never in the test alone, and not something the app's own process carries. So what exists
        # before the probe is frozen out of collection (gc.freeze); everything made during the probe is collected.
        gc.collect()
        gc.freeze()
        self._clock.start()
        self._last = self._clock.nsecsElapsed()
        self._timer.start()

    def stop(self) -> dict[str, float]:
        import statistics

        self._timer.stop()
        gc.unfreeze()
        p99 = statistics.quantiles(self.lateness, n=100)[98] if len(self.lateness) >= 2 else 0.0
        return {
            "probes": len(self.lateness),
            "p99_ms": round(p99, 1),
            "max_ms": round(max(self.lateness, default=0), 1),
        }


def broken_files(folder: Path) -> dict[str, str]:
    """Files that must fail, each with the reason every front-end gives: a header-only PNG claiming 1.6 GP, a
    truncated JPEG, and text named .jpg."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "huge.png").write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 40_000, 40_000, 8, 2, 0, 0, 0))
        + chunk(b"IEND", b"")
    )
    Image.fromarray(np.full((300, 400, 3), 90, np.uint8)).save(folder / "cut.jpg", quality=90)
    data = (folder / "cut.jpg").read_bytes()
    (folder / "cut.jpg").write_bytes(data[: len(data) // 3])
    (folder / "notes.jpg").write_text("not an image\n", encoding="utf-8")
    return {
        "huge.png": "40000×40000 = 1600 MP is above the 100 MP limit",
        "cut.jpg": "JPEG data is damaged or truncated and could not be decoded",
        "notes.jpg": "not a supported image (unrecognized content: damaged, or not an image)",
    }
