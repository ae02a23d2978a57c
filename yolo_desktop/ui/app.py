"""Start the window: QApplication set-up, then show the window before anything heavy is imported."""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer, Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from ..resources import resource_path
from .settings_store import APPLICATION, ORGANIZATION


def make_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if existing is not None:
        return existing  # type: ignore[return-value]
    # Fractional scale factors (125 %, 150 %) rendered as such instead of rounded: crisp text and thumbnails.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    app.setDesktopFileName("yolo-desktop")
    icon = resource_path("icon.png")
    if icon is not None:
        app.setWindowIcon(QIcon(str(icon)))
    return app


def run_app(paths: list[str] | None = None) -> int:
    app = make_application()
    from .main_window import MainWindow

    window = MainWindow()
    window.show()
    # The model loads on the worker thread once the window is on screen (TensorFlow is imported there).
    QTimer.singleShot(0, window.start)
    if paths:
        QTimer.singleShot(0, lambda: window.add_paths(paths))
    return app.exec()
