"""What the window imports before it is on screen: only what the first window shows. Start-up time itself is a
benchmark (bench/bench_memory_startup.py --startup); this is its structural guard, in a fresh interpreter."""

from __future__ import annotations

import json
import os
import sys

from tests.conftest import REPO
from tests.support import processes

# Nobody chose queue workers, the service or a camera; the model runtime loads on the worker thread, after the
# window is shown; OpenCV and Pillow decode photos on the worker and viewer threads.
NOT_BEFORE_THE_WINDOW = (
    "redis",
    "rq",
    "fastapi",
    "uvicorn",
    "openvino",
    "ai_edge_litert",
    "onnxruntime",
    "tensorflow",
    "keras",
    "cv2",
    "PIL",
    "yolo_desktop.pipeline.run",
    "yolo_desktop.cluster",
    "yolo_desktop.service",
    "yolo_desktop.export.writer",
    "yolo_desktop.video.camera",
    "yolo_desktop.video.writer",
    "yolo_desktop.ui.camera_view",
    "yolo_desktop.ui.export_flow",
    "yolo_desktop.ui.worker",
)

CHILD = """
import json, sys
names = json.loads(sys.argv[1])
loaded = lambda: sorted(n for n in names if n in sys.modules)
import yolo_desktop.ui.main_window
after_import = loaded()
from yolo_desktop.ui.app import make_application
from yolo_desktop.ui.main_window import MainWindow
from yolo_desktop.ui.settings_store import SettingsStore
app = make_application()
window = MainWindow(SettingsStore(sys.argv[2]))
window.show()
app.processEvents()
print(json.dumps({"after_import": after_import, "after_show": loaded(), "visible": window.isVisible()}))
window.close()
"""


def test_the_window_is_shown_before_anything_it_does_not_need_is_imported(tmp_path):
    done = processes.run(
        [sys.executable, "-c", CHILD, json.dumps(NOT_BEFORE_THE_WINDOW), str(tmp_path / "settings.ini")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["visible"]
    assert seen["after_import"] == [], "imported with the window module"
    assert seen["after_show"] == [], "imported before the window was shown"
