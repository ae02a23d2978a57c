"""What of the window the review uses (``review.ReviewController`` is given these, never the window)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QComboBox, QMainWindow, QMessageBox, QTabWidget

from .image_list import ImageList
from .image_view import ImageView
from .session import Session
from .settings_store import SettingsStore


@dataclass(frozen=True)
class ReviewParts:
    """What of the window the review uses."""

    window: QMainWindow  # menus, dialogs' parent
    session: Session
    view: ImageView
    image_list: ImageList
    status_filter: QComboBox
    right_tabs: QTabWidget
    settings: SettingsStore
    show_message: Callable[[QMessageBox.Icon, str, str], QMessageBox]
