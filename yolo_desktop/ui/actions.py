"""The window's actions, menus and toolbar (what the user can trigger, with shortcuts and tips)."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Actions:
    """What the user can trigger from menus, the toolbar and shortcuts."""

    open_images: QAction
    open_folder: QAction
    camera: QAction
    subfolders: QAction
    export: QAction
    cancel: QAction
    resume: QAction
    quit: QAction
    fit: QAction
    actual: QAction
    zoom_in: QAction
    zoom_out: QAction
    labels: QAction
    scores: QAction
    copy: QAction
    add_model: QAction
    fetch: QAction
    retry: QAction
    process_on: QAction


def build_actions(window: MainWindow) -> Actions:
    """Menus, toolbar and shortcuts of ``window``; returns its actions."""
    store, view, session = window.store, window.view, window.session
    keys = QKeySequence.StandardKey
    open_images = _action(window, "Open Images…", window.open_images, keys.Open, tip="Add image files (Ctrl+O)")
    open_folder = _action(
        window, "Open Folder…", window.open_folder, "Ctrl+Shift+O", tip="Add every image in a folder (Ctrl+Shift+O)"
    )
    camera = _action(
        window, "Camera…", window.open_camera, "Ctrl+K", tip="Live detection from a camera or a stream (Ctrl+K)"
    )
    subfolders = _action(
        window,
        "Include Subfolders",
        lambda on: store.set("input/subfolders", on),
        checkable=True,
        checked=store.flag("input/subfolders", True),
        tip="Folders (opened or dropped) are searched recursively",
    )
    export = _action(
        window, "Export…", window.export, "Ctrl+E", tip="Write annotated images and detection files (Ctrl+E)"
    )
    cancel = _action(window, "Cancel", session.cancel, Qt.Key.Key_Escape, tip="Stop after the current image (Esc)")
    resume = _action(window, "Resume", session.resume, tip="Process images left queued")
    quit = _action(window, "Quit", window.close, keys.Quit)
    fit = _action(window, "Fit to Window", view.fit, "Ctrl+0")
    actual = _action(window, "Actual Size (1:1)", view.actual_size, "Ctrl+1")
    zoom_in = _action(window, "Zoom In", lambda: view.zoom_by(1.25), keys.ZoomIn)
    zoom_out = _action(window, "Zoom Out", lambda: view.zoom_by(0.8), keys.ZoomOut)
    labels = _action(
        window, "Show Labels", window.apply_label_options, "L", checkable=True, checked=store.flag("view/labels", True)
    )
    scores = _action(
        window, "Show Scores", window.apply_label_options, "S", checkable=True, checked=store.flag("view/scores", True)
    )
    copy = _action(window, "Copy Detections", window.table.copy_selection)
    add_model = _action(window, "Add Model…", window.add_model)
    fetch = _action(window, "Fetch Default Model", window.fetch_default_model)
    retry = _action(window, "Retry Failed", lambda: session.retry(None))
    process_on = _action(
        window, "Process On…", window.choose_processing, tip="This computer, or queue workers on other machines"
    )

    menu = window.menuBar()
    file_menu = menu.addMenu("&File")
    for action in (
        open_images,
        open_folder,
        subfolders,
        None,
        camera,
        None,
        export,
        None,
        quit,
    ):
        file_menu.addSeparator() if action is None else file_menu.addAction(action)
    batch_menu = menu.addMenu("&Batch")
    for action in (cancel, resume, retry, None, process_on):
        batch_menu.addSeparator() if action is None else batch_menu.addAction(action)
    view_menu = menu.addMenu("&View")
    for action in (
        fit,
        actual,
        zoom_in,
        zoom_out,
        None,
        labels,
        scores,
        None,
        copy,
    ):
        view_menu.addSeparator() if action is None else view_menu.addAction(action)
    model_menu = menu.addMenu("&Model")
    model_menu.addAction(add_model)
    model_menu.addAction(fetch)
    menu.addMenu("&Help").addAction(_action(window, "About YOLO Desktop", window.about))

    toolbar = QToolBar("Main")
    toolbar.setObjectName("main-toolbar")
    toolbar.setMovable(False)
    toolbar.setIconSize(QSize(18, 18))
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    style = window.style()
    for action, pixmap in (
        (open_images, QStyle.StandardPixmap.SP_DialogOpenButton),
        (open_folder, QStyle.StandardPixmap.SP_DirOpenIcon),
        (camera, QStyle.StandardPixmap.SP_ComputerIcon),
        (export, QStyle.StandardPixmap.SP_DialogSaveButton),
        (cancel, QStyle.StandardPixmap.SP_BrowserStop),
    ):
        action.setIcon(style.standardIcon(pixmap))
    # Most used first: on a narrow screen the toolbar's overflow takes the view toggles (also in View, L and S).
    for action in (open_images, open_folder, subfolders, camera, export, None):
        toolbar.addSeparator() if action is None else toolbar.addAction(action)
    toolbar.addWidget(window.model_picker)
    toolbar.addSeparator()
    for action in (fit, actual, labels, scores):
        toolbar.addAction(action)
    window.addToolBar(toolbar)
    window.progress.cancel_button.clicked.connect(window.session.cancel)
    window.progress.resume_button.clicked.connect(window.session.resume)
    return Actions(
        open_images=open_images,
        open_folder=open_folder,
        camera=camera,
        subfolders=subfolders,
        export=export,
        cancel=cancel,
        resume=resume,
        quit=quit,
        fit=fit,
        actual=actual,
        zoom_in=zoom_in,
        zoom_out=zoom_out,
        labels=labels,
        scores=scores,
        copy=copy,
        add_model=add_model,
        fetch=fetch,
        retry=retry,
        process_on=process_on,
    )
