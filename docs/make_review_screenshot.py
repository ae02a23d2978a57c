"""Render the real window reviewing a folder to docs/review.png (``make screenshot``): the model's proposals
(dashed), labels accepted and one drawn with the mouse, the Labels tab, the list with label states.

Runs offscreen (or under Xvfb when DISPLAY is set); the window, the worker thread, the model and the events are
the real ones.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "docs"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from make_screenshot import pump, sample_folder  # noqa: E402
from PySide6.QtCore import QPointF, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from yolo_desktop.labels.place import PlaceMemory  # noqa: E402
from yolo_desktop.ui.app import make_application  # noqa: E402
from yolo_desktop.ui.main_window import MainWindow  # noqa: E402
from yolo_desktop.ui.settings_store import SettingsStore  # noqa: E402


def main() -> None:
    out = REPO / "docs" / "review.png"
    with tempfile.TemporaryDirectory() as tmp:
        folder = sample_folder(Path(tmp))
        app = make_application()
        window = MainWindow(SettingsStore(str(Path(tmp) / "settings.ini")))
        window.review.files.memory = PlaceMemory(Path(tmp) / "label-places.json")
        window.resize(1440, 900)
        window.show()
        window.start()
        pump(app, 120, lambda: window.session.model_state == "ready")
        window.add_paths([str(folder)])
        pump(app, 120, lambda: bool(window.session.entries) and not window.session.state.running)
        review = window.review
        review.actions.review.trigger()
        pump(app, 30, lambda: len(review.rows) == len(window.session.entries))
        names = [Path(e.path).name for e in window.session.entries]
        review.panel.score.setValue(0.4)
        for name in ("camera.jpg", "coffee.jpg"):  # two photos reviewed already
            window.image_list.set_current_row(names.index(name))
            pump(app, 10, lambda: review.photo is not None and window.view.has_image)
            review.accept_above_on_photo()
            review.set_reviewed(True)
        window.image_list.set_current_row(names.index("collage.jpg"))
        pump(app, 10, lambda: review.photo is not None and window.view.has_image and bool(window.view.boxes()))
        review.accept_above_on_photo()  # the confident proposals become labels; the others stay dashed
        view = window.view
        view.setFocus()
        QTest.keyClick(view, Qt.Key.Key_W)  # a box drawn with the mouse, its class chosen by typing
        at = view.mapFromScene
        QTest.mousePress(
            view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(QPointF(40, 40))
        )
        QTest.mouseMove(view.viewport(), at(QPointF(300, 200)))
        QTest.mouseRelease(
            view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, at(QPointF(560, 370))
        )
        pump(app, 1, lambda: review.chooser.isVisible())
        QTest.keyClicks(review.chooser.edit, "camera")  # a class the model does not know
        QTest.keyClick(review.chooser.edit, Qt.Key.Key_Return)
        QTest.keyClick(view, Qt.Key.Key_W)
        pump(app, 1)
        window.grab().save(str(out))
        review.model.flush()
    print(f"wrote {out}")
    window.close()


if __name__ == "__main__":
    main()
