"""Render the real Evaluate panel to docs/evaluate.png (``make screenshot``): YOLOv3-tiny against YOLOv4-tiny on
the first 40 photos of ``../shared/data/coco-train-sample`` (its official boxes), the per-class tab with the gains
highlighted. Runs offscreen; the panel, its thread, the models and the events are the real ones."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "docs"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from make_screenshot import pump  # noqa: E402

from yolo_desktop.ui.app import make_application  # noqa: E402
from yolo_desktop.ui.main_window import MainWindow  # noqa: E402
from yolo_desktop.ui.settings_store import SettingsStore  # noqa: E402

SAMPLE = REPO.parent / "shared" / "data" / "coco-train-sample"
PHOTOS = 40


def subset(target: Path) -> Path:
    document = json.loads((SAMPLE / "instances.json").read_text())
    images = sorted(document["images"], key=lambda image: image["file_name"])[:PHOTOS]
    ids = {image["id"] for image in images}
    document["images"] = images
    document["annotations"] = [a for a in document["annotations"] if a["image_id"] in ids]
    folder = target / "My labelled photos"
    folder.mkdir()
    (folder / "instances.json").write_text(json.dumps(document))
    for image in images:
        shutil.copy(SAMPLE / "images" / image["file_name"], folder / image["file_name"])
    return folder


def main() -> None:
    out = REPO / "docs" / "evaluate.png"
    with tempfile.TemporaryDirectory() as tmp:
        folder = subset(Path(tmp))
        app = make_application()
        window = MainWindow(SettingsStore(str(Path(tmp) / "settings.ini")))
        window.show()
        window.commands.evaluate.trigger()
        panel = window.evaluate_panel
        assert panel is not None
        panel.resize(1280, 860)
        panel.source.setText(str(folder))
        panel.add_model(None).select("yolov4-tiny", panel.pickers[0].settings())
        done = []
        panel.finished.connect(lambda: done.append(True))
        panel.run_button.click()
        pump(app, 300, lambda: bool(done))
        panel.tabs.setCurrentIndex(1)
        pump(app, 1)
        panel.grab().save(str(out))
    print(f"wrote {out}")
    window.close()


if __name__ == "__main__":
    main()
