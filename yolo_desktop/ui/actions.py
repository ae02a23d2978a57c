"""The window's actions, menus and toolbar (what the user can trigger, with shortcuts and tips)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QStyle, QToolBar

if TYPE_CHECKING:
    from .main_window import MainWindow


def _action(
    window: QMainWindow, text: str, slot, shortcut=None, checkable: bool = False, checked: bool = False, tip: str = ""
) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setCheckable(checkable)
    if checkable:
        action.setChecked(checked)
        action.toggled.connect(slot)
    else:
        action.triggered.connect(slot)
    if tip:
        action.setToolTip(tip)
        action.setStatusTip(tip)
    return action


def build_actions(window: MainWindow) -> None:
    """Menus, toolbar and shortcuts of ``window``; the actions become its attributes (``window.cancel_action``…)."""
    store, view, session = window.store, window.view, window.session
    keys = QKeySequence.StandardKey
    window.open_images_action = _action(
        window, "Open Images…", window.open_images, keys.Open, tip="Add image files (Ctrl+O)"
    )
    window.open_folder_action = _action(
        window, "Open Folder…", window.open_folder, "Ctrl+Shift+O", tip="Add every image in a folder (Ctrl+Shift+O)"
    )
    window.subfolders_action = _action(
        window,
        "Include Subfolders",
        lambda on: store.set("input/subfolders", on),
        checkable=True,
        checked=store.flag("input/subfolders", True),
        tip="Folders (opened or dropped) are searched recursively",
    )
    window.export_action = _action(
        window, "Export…", window.export, "Ctrl+E", tip="Write annotated images and detection files (Ctrl+E)"
    )
    window.cancel_action = _action(
        window, "Cancel", session.cancel, Qt.Key.Key_Escape, tip="Stop after the current image (Esc)"
    )
    window.resume_action = _action(window, "Resume", session.resume, tip="Process images left queued")
    window.quit_action = _action(window, "Quit", window.close, keys.Quit)
    window.fit_action = _action(window, "Fit to Window", view.fit, "Ctrl+0")
    window.actual_action = _action(window, "Actual Size (1:1)", view.actual_size, "Ctrl+1")
    window.zoom_in_action = _action(window, "Zoom In", lambda: view.zoom_by(1.25), keys.ZoomIn)
    window.zoom_out_action = _action(window, "Zoom Out", lambda: view.zoom_by(0.8), keys.ZoomOut)
    window.labels_action = _action(
        window, "Show Labels", window.apply_label_options, "L", checkable=True, checked=store.flag("view/labels", True)
    )
    window.scores_action = _action(
        window, "Show Scores", window.apply_label_options, "S", checkable=True, checked=store.flag("view/scores", True)
    )
    window.copy_action = _action(window, "Copy Detections", window.table.copy_selection)
    window.add_model_action = _action(window, "Add Model…", window.add_model)
    window.fetch_action = _action(window, "Fetch Default Model", window.fetch_default_model)
    window.retry_action = _action(window, "Retry Failed", lambda: session.retry(None))

    menu = window.menuBar()
    file_menu = menu.addMenu("&File")
    for action in (
        window.open_images_action,
        window.open_folder_action,
        window.subfolders_action,
        None,
        window.export_action,
        None,
        window.quit_action,
    ):
        file_menu.addSeparator() if action is None else file_menu.addAction(action)
    batch_menu = menu.addMenu("&Batch")
    for action in (window.cancel_action, window.resume_action, window.retry_action):
        batch_menu.addAction(action)
    view_menu = menu.addMenu("&View")
    for action in (
        window.fit_action,
        window.actual_action,
        window.zoom_in_action,
        window.zoom_out_action,
        None,
        window.labels_action,
        window.scores_action,
        None,
        window.copy_action,
    ):
        view_menu.addSeparator() if action is None else view_menu.addAction(action)
    model_menu = menu.addMenu("&Model")
    model_menu.addAction(window.add_model_action)
    model_menu.addAction(window.fetch_action)
    menu.addMenu("&Help").addAction(_action(window, "About YOLO Desktop", window.about))

    toolbar = QToolBar("Main")
    toolbar.setObjectName("main-toolbar")
    toolbar.setMovable(False)
    toolbar.setIconSize(QSize(18, 18))
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    style = window.style()
    for action, pixmap in (
        (window.open_images_action, QStyle.StandardPixmap.SP_DialogOpenButton),
        (window.open_folder_action, QStyle.StandardPixmap.SP_DirOpenIcon),
        (window.export_action, QStyle.StandardPixmap.SP_DialogSaveButton),
        (window.cancel_action, QStyle.StandardPixmap.SP_BrowserStop),
    ):
        action.setIcon(style.standardIcon(pixmap))
    for action in (window.open_images_action, window.open_folder_action, window.subfolders_action, None):
        toolbar.addSeparator() if action is None else toolbar.addAction(action)
    toolbar.addWidget(window.model_picker)
    toolbar.addSeparator()
    for action in (
        window.fit_action,
        window.actual_action,
        window.labels_action,
        window.scores_action,
        None,
        window.export_action,
    ):
        toolbar.addSeparator() if action is None else toolbar.addAction(action)
    window.addToolBar(toolbar)
    window.progress.cancel_button.clicked.connect(window.session.cancel)
    window.progress.resume_button.clicked.connect(window.session.resume)
