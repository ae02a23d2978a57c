"""Render the real window after a batch of sample photos to docs/screenshot.png (``make screenshot``).

Runs offscreen (or under Xvfb when DISPLAY is set); the window, worker thread and model are the real ones.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop  # noqa: E402

from yolo_desktop.ui.app import make_application  # noqa: E402
from yolo_desktop.ui.main_window import MainWindow  # noqa: E402
from yolo_desktop.ui.settings_store import SettingsStore  # noqa: E402

PHOTOS = (
    "coffee.png",
    "motorcycle_left.png",
    "camera.png",
    "motorcycle_right.png",
    "chelsea.png",
    "astronaut.png",
    "rocket.jpg",
    "coins.png",
)


def sample_folder(target: Path) -> Path:
    import skimage

    data = Path(skimage.__file__).parent / "data"
    folder = target / "Sample photos"
    folder.mkdir(parents=True)
    images = {}
    for name in PHOTOS:
        image = cv2.imread(str(data / name), cv2.IMREAD_COLOR)
        images[name] = image
        cv2.imwrite(str(folder / (Path(name).stem + ".jpg")), image, [cv2.IMWRITE_JPEG_QUALITY, 93])
    # A collage of three of them: several kinds of objects in one picture.
    tiles = [
        cv2.resize(images[n], (600, 400), interpolation=cv2.INTER_AREA)
        for n in ("camera.png", "coffee.png", "motorcycle_left.png", "motorcycle_right.png")
    ]
    collage = np.vstack([np.hstack(tiles[:2]), np.hstack(tiles[2:])])
    cv2.imwrite(str(folder / "collage.jpg"), collage, [cv2.IMWRITE_JPEG_QUALITY, 93])
    return folder


def pump(app, seconds: float, until=lambda: False) -> None:
    end = time.time() + seconds
    while time.time() < end and not until():
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def main() -> None:
    out = REPO / "docs" / "screenshot.png"
    with tempfile.TemporaryDirectory() as tmp:
        folder = sample_folder(Path(tmp))
        app = make_application()
        window = MainWindow(SettingsStore(str(Path(tmp) / "settings.ini")))
        window.resize(1440, 900)
        window.show()
        window.start()
        pump(app, 120, lambda: window.session.model_state == "ready")
        window.add_paths([str(folder)])
        pump(
            app,
            120,
            lambda: (
                len(window.session.entries) == len(PHOTOS) + 1
                and all(e.status.value == "done" for e in window.session.entries)
            ),
        )
        names = [Path(e.path).name for e in window.session.entries]
        window.image_list.set_current_row(names.index("collage.jpg"))
        pump(app, 10, lambda: window.view.has_image and bool(window.view.boxes()))
        window.table.selectRow(1)
        pump(app, 1)
        window.grab().save(str(out))
    print(f"wrote {out}")
    window.close()


if __name__ == "__main__":
    main()
