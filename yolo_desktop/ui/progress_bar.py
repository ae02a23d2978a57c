"""Status-bar progress: n / N, images per second, time left, and Cancel; a busy state while a model loads."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from .session_model import Progress


def format_seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class ProgressStrip(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QLabel()
        self.bar = QProgressBar()
        self.bar.setFixedWidth(200)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop after the current image (Esc)")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Process the images left queued after a cancel")
        self.resume_button.setVisible(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.resume_button)
        self._busy = False
        self._progress = Progress()
        self.show_progress(self._progress)

    def set_busy(self, busy: bool, message: str) -> None:
        """Indeterminate bar (model loading, fetching) — the window stays usable meanwhile."""
        self._busy = busy
        if busy:
            self.bar.setRange(0, 0)
            self.bar.setVisible(True)
            self.text.setText(message)
        else:
            self.show_progress(self._progress)

    def show_progress(self, progress: Progress) -> None:
        self._progress = progress
        if self._busy:
            return
        self.bar.setRange(0, max(1, progress.total))
        self.bar.setValue(progress.done)
        self.bar.setVisible(progress.running)
        self.cancel_button.setVisible(progress.running)
        if progress.running:
            parts = [f"{progress.done} / {progress.total}"]
            if progress.rate > 0:
                parts.append(f"{progress.rate:.1f} images/s")
            if progress.eta is not None:
                parts.append(f"{format_seconds(progress.eta)} left")
            self.text.setText(" · ".join(parts))
        elif progress.total and progress.done < progress.total:
            self.text.setText(f"Stopped: {progress.done} of {progress.total} images done")
        elif progress.total:
            self.text.setText(f"Done: {progress.done} of {progress.total} images")
        else:
            self.text.setText("")
