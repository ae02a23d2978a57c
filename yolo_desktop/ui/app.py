"""Start the window: QApplication set-up, then show the window before anything heavy is imported."""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import Qt, QTimer
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
    trace = StartupTrace(window) if os.environ.get("YOLO_DESKTOP_TRACE_STARTUP") else None
    window.show()
    if trace:
        QTimer.singleShot(0, lambda: trace.mark("window shown"))
    # The model loads on the worker thread once the window is on screen (TensorFlow, if needed, is imported there).
    QTimer.singleShot(0, window.start)
    if paths:
        QTimer.singleShot(0, lambda: window.add_paths(paths))
    return app.exec()


class StartupTrace:
    """Prints wall-clock stamps (seconds since the epoch) of start-up milestones for bench/bench_startup.py."""

    def __init__(self, window) -> None:
        self.window = window
        self.first_result = False
        window.session.model_state_changed.connect(
            lambda state, _message: self.mark("model ready") if state == "ready" else None
        )
        window.session.entry_changed.connect(self._on_entry)
        self.mark("qt ready")

    def mark(self, what: str) -> None:
        print(f"[startup] {what} {time.time():.4f}", flush=True)

    def _on_entry(self, row: int) -> None:
        entry = self.window.session.entries[row]
        if not self.first_result and entry.shown is not None:
            self.first_result = True
            self.mark("first result")
            if os.environ.get("YOLO_DESKTOP_TRACE_STARTUP") == "exit":
                QTimer.singleShot(0, self.window.close)
