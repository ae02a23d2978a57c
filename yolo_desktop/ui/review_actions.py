"""The review's actions: the Labels menu, its keys, and the toolbar's Review switch.

Keys that type letters (W, E, N, P, Space) are window shortcuts that a text field keeps for itself (Qt gives a
focused line edit the printable keys first), so typing a class name never triggers them. Enter, Tab, the arrows and
Esc act on the photo only (``label_boxes.LabelOverlay``), never while a table cell or the chooser has the focus.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar


@dataclass(frozen=True)
class ReviewActions:
    review: QAction  # the switch: review and correct on/off
    draw: QAction
    change_class: QAction
    delete: QAction
    accept: QAction
    undo: QAction
    redo: QAction
    reviewed_next: QAction
    unreview: QAction
    next: QAction
    previous: QAction
    accept_photo: QAction
    accept_folder: QAction
    import_labels: QAction
    export_set: QAction
    labels_folder: QAction

    def editing(self) -> list[QAction]:
        """Every action but the switch: enabled only while reviewing."""
        return [getattr(self, f.name) for f in fields(self) if f.name != "review"]


def build_review_actions(window: QMainWindow, reviewing: bool) -> ReviewActions:
    def action(text: str, shortcut: str | QKeySequence.StandardKey | None = None, tip: str = "") -> QAction:
        made = QAction(text, window)
        if shortcut is not None:
            made.setShortcut(QKeySequence(shortcut))
        if tip:
            made.setToolTip(tip)
            made.setStatusTip(tip)
        return made

    review = action("Review and Correct", "Ctrl+R", "Edit the photos' own labels, accept or reject detections (Ctrl+R)")
    review.setCheckable(True)
    review.setChecked(reviewing)
    actions = ReviewActions(
        review=review,
        draw=action("Draw Boxes", "W", "Drag on the photo to draw a box, then choose its class (W; Esc stops)"),
        change_class=action("Change Class…", "E", "The class of the selected boxes (E)"),
        delete=action("Delete", QKeySequence.StandardKey.Delete, "Delete the selected boxes, or reject proposals"),
        accept=action("Accept Selected Proposals", tip="The selected detections become labels (Enter, double-click)"),
        undo=action("Undo", "Ctrl+Z"),
        redo=action("Redo", "Ctrl+Shift+Z"),
        reviewed_next=action("Mark Reviewed, Next", "Space", "This photo is reviewed; go to the next unreviewed"),
        unreview=action("Mark Not Reviewed", "Shift+Space"),
        next=action("Next Photo", "N"),
        previous=action("Previous Photo", "P"),
        accept_photo=action("Accept Proposals Above Score (Photo)"),
        accept_folder=action("Accept Proposals Above Score (Folder)"),
        import_labels=action("Import Labels…", tip="Labels from Pascal VOC, COCO or detections.json"),
        export_set=action("Export Training Set…", tip="This folder's labelled photos as a YOLO, COCO or VOC set"),
        labels_folder=action("Labels Folder…", tip="Where this folder's labels live (chosen once, remembered)"),
    )
    actions.redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence(QKeySequence.StandardKey.Redo)])
    _menu(window, actions)
    return actions


def _menu(window: QMainWindow, a: ReviewActions) -> None:
    menu = QMenu("&Labels", window)
    for item in (
        a.review,
        None,
        a.draw,
        a.change_class,
        a.delete,
        a.accept,
        a.accept_photo,
        a.accept_folder,
        None,
        a.undo,
        a.redo,
        None,
        a.reviewed_next,
        a.unreview,
        a.next,
        a.previous,
        None,
        a.import_labels,
        a.export_set,
        a.labels_folder,
    ):
        menu.addSeparator() if item is None else menu.addAction(item)
    bar = window.menuBar()
    help_menu = bar.actions()[-1] if bar.actions() else None
    bar.insertMenu(help_menu, menu) if help_menu is not None else bar.addMenu(menu)
    toolbar = window.findChild(QToolBar, "main-toolbar")
    if toolbar is not None:
        toolbar.addSeparator()
        toolbar.addAction(a.review)
