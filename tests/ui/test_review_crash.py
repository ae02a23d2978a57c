"""A real window process killed mid-edit (SIGKILL): reopened, its edits are there, up to the last second or so.

The child runs the real window offscreen and edits with real Qt events (a box drawn with the mouse, its class
chosen with keys, then arrow-key nudges every 20 ms, each reported on stdout); the parent SIGKILLs it mid-nudging.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np

from tests.conftest import REPO
from tests.labels.conftest import jpeg_bytes
from tests.support import processes
from yolo_desktop.labels.place import BESIDE, Place
from yolo_desktop.labels.store import LabelStore

LOSS_S = 1.0  # the most work a crash may lose: write-behind's 0.5 s, plus the write under way, plus slack
NUDGES_BEFORE_KILL = 60

EDITOR = r"""
import os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from pathlib import Path
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from yolo_desktop.labels.place import PlaceMemory
from yolo_desktop.ui.app import make_application
from yolo_desktop.ui.main_window import MainWindow
from yolo_desktop.ui.settings_store import SettingsStore

folder, home = sys.argv[1], Path(sys.argv[2])
app = make_application()
window = MainWindow(SettingsStore(str(home / "settings.ini")))
window.review.files.memory = PlaceMemory(home / "places.json")
window.resize(1000, 700)
window.show()

def wait(condition):
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline
        QTest.qWait(10)

window.add_paths([folder])
wait(lambda: len(window.session.entries) == 1)
window.review.actions.review.trigger()
wait(lambda: window.review.photo is not None and window.view.has_image)
view, review = window.view, window.review
view.setFocus()
at = lambda x, y: view.mapFromScene(QPointF(x, y))
QTest.keyClick(view, Qt.Key.Key_W)
QTest.mousePress(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(20, 30))
QTest.mouseMove(view.viewport(), at(60, 60))
QTest.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(100, 80))
wait(lambda: review.chooser.isVisible())
QTest.keyClick(review.chooser.edit, Qt.Key.Key_Return)  # the first class: cat
QTest.keyClick(view, Qt.Key.Key_W)
x1 = float(review.photo.boxes.boxes[0][0])
print(f"drawn {x1}", flush=True)
for n in range(1, 200):
    QTest.keyClick(view, Qt.Key.Key_Right)
    print(f"nudge {n}", flush=True)
    QTest.qWait(20)
print("done", flush=True)
time.sleep(600)
"""


def test_a_killed_window_keeps_its_edits(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "noise.jpg").write_bytes(jpeg_bytes(320, 240))
    (folder / "classes.txt").write_text("cat\n")
    child = processes.popen(
        [sys.executable, "-c", EDITOR, str(folder), str(tmp_path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    reported: list[tuple[float, int]] = []  # (when the parent read it, nudges done)
    try:
        drawn_x1 = None
        while len(reported) < NUDGES_BEFORE_KILL:
            line = child.stdout.readline()
            assert line and line != "done\n", child.stderr.read()
            if line.startswith("drawn "):
                drawn_x1 = float(line.split()[1])
            elif line.startswith("nudge "):
                reported.append((time.monotonic(), int(line.split()[1])))
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)  # mid-edit: the child nudges every 20 ms
        killed = time.monotonic()
        child.wait(timeout=30)
    assert drawn_x1 is not None
    settled = max((n for when, n in reported if when <= killed - LOSS_S), default=0)

    with LabelStore(Place(folder, folder, BESIDE)) as store:  # opening for editing: the dead window's lock is free
        labels = store.read("noise.jpg")
    assert labels is not None and labels.boxes.labels == ("cat",)
    nudges_on_disk = round(float(labels.boxes.boxes[0][0]) - drawn_x1)
    assert settled <= nudges_on_disk <= reported[-1][1] + 1, (settled, nudges_on_disk, reported[-1])
    assert np.isclose(labels.boxes.boxes[0][2] - labels.boxes.boxes[0][0], 80, atol=1), labels.boxes.boxes
    assert [name for name in os.listdir(folder) if name.endswith(".part")] == []  # no half-written file left
