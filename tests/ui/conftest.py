"""A real main window (offscreen), with its own settings file, a real worker thread and the real model."""

from __future__ import annotations

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
