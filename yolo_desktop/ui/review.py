"""Review and correct in the window: the Qt adapter over ``review_model`` (the state, undo, saving).

It connects the label overlay on the photo (``label_boxes``), the class chooser, the Labels tab (``review_panel``)
and the Labels menu (``review_actions``) to the review model, and shows the model's detections as proposals. It is
given the window's parts it uses, never the window. The folders' labels are opened, imported and exported off the
GUI thread (``review_files``); everything else is a few array operations per event, so 10,000 photos stay fluid.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QObject, QPointF, QTimer
from PySide6.QtWidgets import QMessageBox

from ..labels.problems import LabelFileError, LabelsUnavailable
from ..labels.states import LABELLED, PROBLEM, REVIEWED, UNLABELLED
from ..results import Detections
from .class_chooser import ClassChooser
from .image_list import REVIEW_ROLE
from .label_boxes import Box, LabelOverlay
from .review_actions import ReviewActions, build_review_actions
from .review_files import LabelFolders, Opened, photo_folder
from .review_folder_commands import FolderCommands
from .review_model import FolderReview, PhotoReview, ReviewModel
from .review_panel import ReviewPanel
from .review_parts import ReviewParts

REVIEW_FILTERS = (
    ("Unlabelled", {UNLABELLED}),
    ("Labelled, not reviewed", {LABELLED}),
    ("Reviewed", {REVIEWED}),
    ("Label problems", {PROBLEM}),
)
ACCEPT_BUDGET_S = 0.012  # per event-loop turn when accepting proposals over a whole folder


class ReviewController(FolderCommands, QObject):
    def __init__(self, parts: ReviewParts) -> None:
        super().__init__(parts.window)
        self.parts = parts
        self.session, self.view, self.image_list = parts.session, parts.view, parts.image_list
        self.model = ReviewModel()
        self.files = LabelFolders(parent=self)
        self.overlay = LabelOverlay(parts.view)
        self.chooser = ClassChooser(parts.view.viewport())
        self.panel = ReviewPanel(self.class_choices)
        self.actions: ReviewActions = build_review_actions(parts.window, parts.settings.flag("review/on", False))
        self.rows: dict[int, tuple[FolderReview, str]] = {}  # session row → its folder and name there
        self.photo: PhotoReview | None = None  # the photo on screen, when under review
        self.row = -1
        self.reviewing = False
        self._pending: tuple[str, object] | None = None  # ("add", box) or ("class", indices): waiting for a class
        self._accepting: deque[int] = deque()  # rows left to accept proposals on (accept in folder)
        self._accept_score = 0.5
        self._told_readonly: set[str] = set()
        self._totals_timer = QTimer(self, singleShot=True, interval=150)
        self._totals_timer.timeout.connect(self._show_totals)
        self._accept_timer = QTimer(self, singleShot=True, interval=0)
        self._accept_timer.timeout.connect(self._accept_some)
        self._wire()
        self.set_reviewing(self.actions.review.isChecked())

    # ----- wiring ----------------------------------------------------------------------------------------------
    def _wire(self) -> None:
        a, overlay, panel = self.actions, self.overlay, self.panel
        a.review.toggled.connect(self.set_reviewing)
        for action, slot in (
            (a.draw, lambda: overlay.set_draw_mode(not overlay.draw_mode)),
            (a.change_class, self.ask_class),
            (a.delete, self.delete),
            (a.accept, self.accept_selected),
            (a.undo, lambda: self._edit(lambda p: p.undo())),
            (a.redo, lambda: self._edit(lambda p: p.redo())),
            (a.reviewed_next, self.mark_reviewed_and_next),
            (a.unreview, lambda: self.set_reviewed(False)),
            (a.next, lambda: self.image_list.step(1)),
            (a.previous, lambda: self.image_list.step(-1)),
            (a.accept_photo, self.accept_above_on_photo),
            (a.accept_folder, self.accept_above_in_folder),
            (a.import_labels, self.ask_import),
            (a.export_set, self.ask_export),
            (a.labels_folder, self.ask_labels_folder),
        ):
            action.triggered.connect(slot)
        a.draw.setCheckable(True)
        overlay.draw_mode_changed.connect(a.draw.setChecked)
        overlay.drawn.connect(self._on_drawn)
        overlay.changed.connect(lambda index, box: self._edit(lambda p: p.set_box(index, box)))
        overlay.nudged.connect(lambda dx, dy: self._edit(lambda p: p.nudge(self.overlay.selected, dx, dy)))
        overlay.selection_changed.connect(self._on_labels_selected)
        overlay.proposal_activated.connect(lambda index: self.accept([index]))
        overlay.accept_pressed.connect(self.accept_selected)
        self.chooser.chosen.connect(self._on_class_chosen)
        self.chooser.cancelled.connect(self._on_chooser_cancelled)
        panel.table.rows_selected.connect(self._on_rows_selected)
        panel.table.source.class_edited.connect(lambda row, name: self._edit(lambda p: p.set_class([row], name)))
        panel.accept_photo.clicked.connect(self.accept_above_on_photo)
        panel.accept_folder.clicked.connect(self.accept_above_in_folder)
        panel.add_class.clicked.connect(self.ask_add_class)
        panel.rename_class.clicked.connect(self.ask_rename_class)
        self.files.opened.connect(self._on_opened)
        self.files.write_failed.connect(self._on_write_failed)
        self.files.finished.connect(self._on_finished)
        self.session.entries_added.connect(self._on_entries_added)
        self.session.entry_changed.connect(self._on_entry_changed)
        self.image_list.selectionModel().currentChanged.connect(lambda *_: self.show_current())
        self.image_list.proxy.modelReset.connect(self.show_current)
        self.view.detections_set.connect(self._show_proposals)
        self.view.image_set.connect(self._show_proposals)

    # ----- on and off ------------------------------------------------------------------------------------------
    def set_reviewing(self, on: bool) -> None:
        """Review mode: labels drawn and edited, detections shown as proposals, the Labels tab, review filters."""
        self.reviewing = on
        self.parts.settings.set("review/on", on)
        self.actions.review.setChecked(on)
        for action in self.actions.editing():
            action.setEnabled(on)
        self.overlay.set_enabled(on)
        tabs, filters = self.parts.right_tabs, self.parts.status_filter
        if on:
            tabs.insertTab(0, self.panel, "Labels")
            tabs.setCurrentWidget(self.panel)
            for text, states in REVIEW_FILTERS:
                filters.addItem(text, (states, REVIEW_ROLE))
            self.image_list.source.review = self.review_of
            self.open_folders()
        else:
            tabs.removeTab(tabs.indexOf(self.panel))
            while filters.count() > 4:  # the status filters stay
                filters.removeItem(filters.count() - 1)
            self.image_list.source.review = None
            self._close_folders()
        self.view.set_box_look(False, set())
        self.show_current()

    def open_folders(self) -> None:
        """Open the labels of every folder the session holds (and of each loose photo's folder), off the thread."""
        roots = [r for r in dict.fromkeys(photo_folder(r) for r in self.session.roots) if not self.model.covers(r)]
        paths = [entry.path for entry in self.session.entries] if roots else []
        for root in roots:
            self.files.open(root, paths)

    def _on_opened(self, opened: Opened) -> None:
        self.files.opened_done(opened.folder)
        if opened.review is None or not self.reviewing:
            if opened.review is not None:
                opened.review.store.close()  # review was turned off meanwhile
            elif self.reviewing:
                self.parts.show_message(QMessageBox.Icon.Warning, "Labels cannot be opened", opened.message)
            return
        review = opened.review
        self.model.add(review)
        self.rows.update((row, (review, rel)) for row, rel in opened.rows.items())
        for row in range(opened.scanned, len(self.session.entries)):
            self._map(row)  # photos added while the folder was being opened
        if opened.message:
            self._told_readonly.add(str(review.store.place.labels))
            self.parts.show_message(QMessageBox.Icon.Information, "Labels opened read-only", opened.message)
        if opened.ask:
            self.ask_labels_folder(opened.folder)
        self._refresh_list()
        self.show_current()

    def _close_folders(self) -> None:
        self._accepting.clear()
        failures = self.model.close()
        self.rows, self.photo, self.row = {}, None, -1
        if failures:
            self._tell_problems("Some labels could not be saved", failures)

    def _on_entries_added(self, first: int, count: int) -> None:
        if self.reviewing:
            if self.model.folders:  # photos of folders already open (a new folder's are mapped as it opens)
                for row in range(first, first + count):
                    self._map(row)
            self.open_folders()

    def _map(self, row: int) -> None:
        found = self.model.find(self.session.entries[row].path)
        if found is not None:
            self.rows[row] = found

    def shutdown(self) -> None:
        self._close_folders()
        self.files.shutdown()

    # ----- the photo on screen ---------------------------------------------------------------------------------
    def review_of(self, row: int) -> tuple[str, int] | None:
        found = self.rows.get(row)
        if found is None:
            return None
        folder, rel = found
        return folder.store.state(rel), folder.counts.get(rel, 0)

    def show_current(self) -> None:
        self.chooser.hide()
        self._pending = None
        self.row = self.image_list.current_row()
        self.photo = None
        found = self.rows.get(self.row) if self.reviewing else None
        text = ""
        if found is not None:
            folder, rel = found
            self.panel.where.setText(f"Labels: {folder.where}")
            try:
                self.photo = folder.photo(rel)
            except LabelFileError as exc:
                text = f"Left as it is (fix the file to edit it): {exc}"
        elif self.reviewing:
            self.panel.where.setText("Labels: this photo is in no folder open for review" if self.row >= 0 else "")
        self._show_labels(set())
        if text:
            self.panel.photo_state.setText(text)
        self._totals_timer.start()

    def _show_labels(self, selected: set[int] | None = None) -> None:
        photo = self.photo
        labels = photo.boxes if photo is not None else None
        self.overlay.set_labels(labels, selected)
        self.panel.table.set_labels(labels if labels is not None else Detections.empty(), self.overlay.selected)
        self._show_proposals()
        state = self.review_of(self.row)
        self.panel.photo_state.setText(f"This photo: {state[0]}, {state[1]} boxes" if state else "")
        self.actions.undo.setEnabled(bool(self.reviewing and photo and photo.can_undo))
        self.actions.redo.setEnabled(bool(self.reviewing and photo and photo.can_redo))

    def predictions(self) -> Detections:
        entries = self.session.entries
        entry = entries[self.row] if 0 <= self.row < len(entries) else None
        return entry.shown.detections if entry is not None and entry.shown is not None else Detections.empty()

    def _show_proposals(self) -> None:
        if not self.reviewing or self.photo is None:
            self.view.set_box_look(self.reviewing, set())
            return
        predictions = self.predictions()
        if len(self.view.boxes()) != len(predictions):
            return  # the view shows other detections for now (a newer result arrives next)
        shown = set(self.photo.proposals(predictions))
        self.view.set_box_look(True, set(range(len(predictions))) - shown)

    def _on_entry_changed(self, row: int) -> None:
        if self.reviewing and row == self.row:
            self._show_proposals()

    def _show_totals(self) -> None:
        if self.reviewing:
            reviewed, total = self.model.totals()
            self.panel.progress.setText(f"{reviewed:,} of {total:,} reviewed")

    def _refresh_list(self, rows: list[int] | None = None) -> None:
        """Rows whose label state or box count changed (None: all, when a folder opens: then only the rows on
        screen are painted again, and the filter asked again only when it is a review filter)."""
        source, proxy = self.image_list.source, self.image_list.proxy
        if rows is None:
            self.image_list.viewport().update()
            if proxy.statuses and proxy.role == REVIEW_ROLE:
                proxy.set_statuses(proxy.statuses, proxy.role)
        else:
            for row in rows:
                source.dataChanged.emit(source.index(row), source.index(row))
        self._totals_timer.start()

    # ----- editing ---------------------------------------------------------------------------------------------
    def _edit(self, change: Callable[[PhotoReview], object], selected: set[int] | None = None) -> object:
        """Apply one change to the photo on screen, saved by the store; a refusal is said, nothing changes."""
        photo = self.photo
        if photo is None or not self.reviewing:
            return None
        if photo.store.readonly:
            labels = str(photo.store.place.labels)
            why = (
                f"{labels}: opened read-only (another window is editing them, or they cannot be written here). "
                "Close the other window, then turn Review off and on; or choose another labels folder."
            )
            self.panel.photo_state.setText(why)
            if labels not in self._told_readonly:
                self._told_readonly.add(labels)
                self.parts.show_message(QMessageBox.Icon.Information, "Labels are read-only", why)
            return None
        try:
            result = change(photo)
        except (LabelFileError, LabelsUnavailable, ValueError) as exc:
            self.panel.photo_state.setText(f"Not saved: {exc}")
            return None
        self._show_labels(self.overlay.selected if selected is None else selected)
        self._refresh_list([self.row])
        return result

    def _on_drawn(self, box: Box) -> None:
        self._pending = ("add", box)
        corner = self.view.mapFromScene(QPointF(box[2], box[3]))
        self.chooser.ask(self.class_choices(), corner)

    def ask_class(self) -> None:
        if self.photo is not None and self.overlay.selected:
            self._pending = ("class", set(self.overlay.selected))
            self.chooser.ask(self.class_choices(), self.view.viewport().rect().center(), "Class of the selected boxes")

    def _on_class_chosen(self, name: str) -> None:
        pending, self._pending = self._pending, None
        self.view.setFocus()
        if pending is None:
            return
        kind, what = pending
        if kind == "add":
            index = self._edit(lambda p: p.add(what, name))  # type: ignore[arg-type]
            if isinstance(index, int):
                self._show_labels({index})
        else:
            self._edit(lambda p: p.set_class(what, name))  # type: ignore[arg-type]

    def _on_chooser_cancelled(self) -> None:
        self._pending = None
        self.view.setFocus()

    def class_choices(self) -> list[str]:
        found = self.rows.get(self.row)
        model_names = self.session.model_info.names if self.session.model_info else ()
        return found[0].class_choices(model_names) if found is not None else list(model_names)

    def delete(self) -> None:
        """Delete the selected labels; with none selected, reject the selected proposals."""
        if self.overlay.selected:
            self._edit(lambda p: p.delete(self.overlay.selected), selected=set())
        elif self.view.selected:
            self._edit(lambda p: p.reject(self.predictions(), self.view.selected))

    def accept_selected(self) -> None:
        self.accept(sorted(self.view.selected))

    def accept(self, indices: list[int]) -> None:
        photo = self.photo
        if photo is None:
            return
        proposed = set(photo.proposals(self.predictions()))
        chosen = [i for i in indices if i in proposed]
        if chosen:
            added = self._edit(lambda p: p.accept(self.predictions(), chosen))
            self._show_labels(set(added) if isinstance(added, list) else set())

    def accept_above_on_photo(self) -> None:
        score = self.panel.score.value()
        added = self._edit(lambda p: p.accept_above(self.predictions(), score))
        if isinstance(added, list):
            self._show_labels(set(added))

    def accept_above_in_folder(self) -> None:
        """Proposals at or above the score become labels on every photo of this folder not reviewed yet, a few
        photos per event-loop turn (each photo one undo step of its own)."""
        found = self.rows.get(self.row)
        if found is None:
            return
        folder = found[0]
        self._accept_score = self.panel.score.value()
        self._accepting = deque(row for row, (f, _rel) in sorted(self.rows.items()) if f is folder)
        self._accept_timer.start()

    def _accept_some(self) -> None:
        deadline = time.perf_counter() + ACCEPT_BUDGET_S
        changed = []
        while self._accepting and time.perf_counter() < deadline:
            row = self._accepting.popleft()
            folder, rel = self.rows[row]
            entry = self.session.entries[row]
            if entry.shown is None or not len(entry.shown.detections) or folder.store.state(rel) in (REVIEWED, PROBLEM):
                continue
            try:
                if folder.photo(rel).accept_above(entry.shown.detections, self._accept_score):
                    changed.append(row)
            except (LabelFileError, LabelsUnavailable, ValueError) as exc:
                self.panel.photo_state.setText(f"Not saved: {exc}")
        self._refresh_list(changed)
        if self.row in changed:
            self._show_labels()
        if self._accepting:
            self._accept_timer.start()

    def _on_labels_selected(self, selected: set[int]) -> None:
        self.panel.table.select_rows(selected)
        if selected:
            self.view.set_selected(set())

    def _on_rows_selected(self, rows: set[int]) -> None:
        self.overlay.set_selected(rows)

    # ----- review state ----------------------------------------------------------------------------------------
    def set_reviewed(self, reviewed: bool = True) -> bool:
        found = self.rows.get(self.row)
        if found is None or not self.reviewing:
            return False
        try:
            self.model.set_reviewed(self.session.entries[self.row].path, reviewed)
        except (LabelFileError, LabelsUnavailable) as exc:
            self.panel.photo_state.setText(f"Not marked: {exc}")
            return False
        self._refresh_list([self.row])
        self._show_labels()
        return True

    def mark_reviewed_and_next(self) -> None:
        """Space: this photo is reviewed; on to the next one (in the list's order and filter) not reviewed. The next
        one is found first: under a review filter, the photo just marked leaves the list."""
        proxy = self.image_list.proxy
        current, count = self.image_list.currentIndex().row(), proxy.rowCount()
        target = None
        for step in range(1, count):
            row = proxy.mapToSource(proxy.index((current + step) % count, 0)).row()
            state = self.review_of(row)
            if state is not None and state[0] not in (REVIEWED, PROBLEM):
                target = row
                break
        if self.set_reviewed(True) and target is not None:
            self.image_list.set_current_row(target)
