"""Render the real window analysing a clip to docs/footage.png (``make screenshot``): the street clip of the
tests (real photos of people and a motorbike moving across, ``tests/support/scenes.py``), a zone and a counting
line, the event table beside it and the events per interval under it.

Runs offscreen (or under Xvfb when DISPLAY is set); the window, worker thread and model are the real ones.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from make_screenshot import pump  # noqa: E402

from tests.conftest import skimage_data  # noqa: E402
from tests.support.scenes import STREET_ACTORS, STREET_FPS, STREET_LINE, STREET_SIZE, STREET_ZONES, render, write  # noqa: E402
from yolo_desktop.ui.app import make_application  # noqa: E402
from yolo_desktop.ui.main_window import MainWindow  # noqa: E402
from yolo_desktop.ui.settings_store import SettingsStore  # noqa: E402
from yolo_desktop.video.lines import CountLine  # noqa: E402
from yolo_desktop.video.zones import Zone  # noqa: E402


def main() -> None:
    out = REPO / "docs" / "footage.png"
    with tempfile.TemporaryDirectory() as tmp:
        frames = render(skimage_data(), STREET_ACTORS, 80, STREET_SIZE)
        clip = write(Path(tmp) / "cam1_20261207_081500.avi", frames * 2, STREET_FPS)
        app = make_application()
        window = MainWindow(SettingsStore(str(Path(tmp) / "settings.ini")))
        window.resize(1440, 900)
        window.show()
        window.start()
        pump(app, 120, lambda: window.session.model_state == "ready")
        window.class_filter.set_classes(window.session.model_info.names, {"person", "motorbike"})
        window._on_classes(window.class_filter.selected())
        window.add_paths([str(clip)])
        entries = window.session.entries
        pump(app, 180, lambda: bool(entries) and all(e.status.value == "done" for e in entries))
        window.image_list.set_current_row(0)
        pump(app, 10, lambda: window.player.frame == 0)
        window._set_video_lines((CountLine(*STREET_LINE, name="door"),))
        window.footage.set_zones((Zone(STREET_ZONES["crossing"], "crossing"),))
        pump(app, 20, lambda: window.player.tracks is not None and window.player.tracks.complete)
        window.right_tabs.setCurrentWidget(window.footage)
        window.footage.interval.setCurrentIndex(0)  # 10 s
        window.player.seek(15)
        pump(app, 5, lambda: window.player.frame == 15)
        pump(app, 1)
        window.grab().save(str(out))
    print(f"wrote {out}")
    window.close()


if __name__ == "__main__":
    main()
