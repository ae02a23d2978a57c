"""The window's actions, menus and toolbar (what the user can trigger, with shortcuts and tips).

Only the actions and where they appear: the window connects them to what they do (``MainWindow._connect_actions``),
so this module needs nothing of the window but a ``QMainWindow`` to hang them on.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QStyle, QToolBar, QWidget


def _action(
    window: QMainWindow, text: str, shortcut=None, checkable: bool = False, checked: bool = False, tip: str = ""
) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setCheckable(checkable)
    if checkable:
        action.setChecked(checked)
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
    tile_grid: QAction
    copy: QAction
    add_model: QAction
    fetch: QAction
    retry: QAction
    process_on: QAction
    evaluate: QAction
    about: QAction


def build_actions(
    window: QMainWindow,
    model_picker: QWidget,
    subfolders: bool = True,
    labels: bool = True,
    scores: bool = True,
    tile_grid: bool = False,
) -> Actions:
    """Menus and toolbar of ``window`` (the model picker sits in the toolbar); the flags are the checkable
    actions' remembered states. Returns the actions, not yet connected."""
    keys = QKeySequence.StandardKey
    actions = Actions(
        open_images=_action(window, "Open Images…", keys.Open, tip="Add image files (Ctrl+O)"),
        open_folder=_action(window, "Open Folder…", "Ctrl+Shift+O", tip="Add every image in a folder (Ctrl+Shift+O)"),
        camera=_action(window, "Camera…", "Ctrl+K", tip="Live detection from a camera or a stream (Ctrl+K)"),
        subfolders=_action(
            window,
            "Include Subfolders",
            checkable=True,
            checked=subfolders,
            tip="Folders (opened or dropped) are searched recursively",
        ),
        export=_action(window, "Export…", "Ctrl+E", tip="Write annotated images and detection files (Ctrl+E)"),
        cancel=_action(window, "Cancel", Qt.Key.Key_Escape, tip="Stop after the current image (Esc)"),
        resume=_action(window, "Resume", tip="Process images left queued"),
        quit=_action(window, "Quit", keys.Quit),
        fit=_action(window, "Fit to Window", "Ctrl+0"),
        actual=_action(window, "Actual Size (1:1)", "Ctrl+1"),
        zoom_in=_action(window, "Zoom In", keys.ZoomIn),
        zoom_out=_action(window, "Zoom Out", keys.ZoomOut),
        labels=_action(window, "Show Labels", "L", checkable=True, checked=labels),
        scores=_action(window, "Show Scores", "S", checkable=True, checked=scores),
        tile_grid=_action(
            window,
            "Show Tile Grid",
            "G",
            checkable=True,
            checked=tile_grid,
            tip="The tiles a tiled detection cuts this photo into (G)",
        ),
        copy=_action(window, "Copy Detections"),
        add_model=_action(window, "Add Model…"),
        fetch=_action(window, "Fetch Default Model"),
        retry=_action(window, "Retry Failed"),
        process_on=_action(window, "Process On…", tip="This computer, or queue workers on other machines"),
        evaluate=_action(window, "Evaluate Models…", tip="Score and compare models on your own labelled photos"),
        about=_action(window, "About YOLO Desktop"),
    )
    _menus(window, actions)
    _toolbar(window, actions, model_picker)
    return actions


def _menus(window: QMainWindow, a: Actions) -> None:
    menu = window.menuBar()
    for title, items in (
        ("&File", (a.open_images, a.open_folder, a.subfolders, None, a.camera, None, a.export, None, a.quit)),
        ("&Batch", (a.cancel, a.resume, a.retry, None, a.process_on)),
        ("&View", (a.fit, a.actual, a.zoom_in, a.zoom_out, None, a.labels, a.scores, a.tile_grid, None, a.copy)),
        ("&Model", (a.add_model, a.fetch, None, a.evaluate)),
        ("&Help", (a.about,)),
    ):
        submenu = menu.addMenu(title)
        for action in items:
            submenu.addSeparator() if action is None else submenu.addAction(action)


def _toolbar(window: QMainWindow, a: Actions, model_picker: QWidget) -> None:
    toolbar = QToolBar("Main")
    toolbar.setObjectName("main-toolbar")
    toolbar.setMovable(False)
    toolbar.setIconSize(QSize(18, 18))
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    style = window.style()
    for action, pixmap in (
        (a.open_images, QStyle.StandardPixmap.SP_DialogOpenButton),
        (a.open_folder, QStyle.StandardPixmap.SP_DirOpenIcon),
        (a.camera, QStyle.StandardPixmap.SP_ComputerIcon),
        (a.export, QStyle.StandardPixmap.SP_DialogSaveButton),
        (a.cancel, QStyle.StandardPixmap.SP_BrowserStop),
    ):
        action.setIcon(style.standardIcon(pixmap))
    # Most used first: on a narrow screen the toolbar's overflow takes the view toggles (also in View, L and S).
    for item in (a.open_images, a.open_folder, a.subfolders, a.camera, a.export, None):
        toolbar.addSeparator() if item is None else toolbar.addAction(item)
    toolbar.addWidget(model_picker)
    toolbar.addSeparator()
    for action in (a.fit, a.actual, a.labels, a.scores):
        toolbar.addAction(action)
    window.addToolBar(toolbar)
