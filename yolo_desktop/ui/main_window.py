"""The main window: composes the widgets and wires their signals. Session state lives in ``Session``; the work
happens on the worker thread; this file only connects things and shows them.

Start-up: only what the first window shows is imported here. The camera window, the export flow, the dialogs and
the queue-worker choice are imported when first used, and the worker (the model runtime, OpenCV's decoding) after
the window is on screen (``tests/ui/test_startup_imports.py`` guards this).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..filetypes import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS
from ..inference.model_spec import DetectorChoice
from ..models.installed import DEFAULT_MODEL
from ..results import Detections
from .actions import Actions, build_actions
from .controls import ClassFilter, ThresholdPanel
from .detection_table import DetectionTable
from .failed_panel import FailedPanel
from .footage_panel import FootagePanel
from .image_list import STATUS_ROLE, ImageList
from .image_view import DROP_HINT, ImageView
from .model_picker import ModelFetch, ModelPicker
from .model_sources import ModelSources
from .progress_bar import ProgressStrip
from .review import ReviewController
from .review_parts import ReviewParts
from .session import Session
from .settings_store import SettingsStore
from .summary import SummaryPanel
from .video_player import VideoPlayer
from .viewer_images import ViewerImages

if TYPE_CHECKING:
    from ..export.writer import ExportReport
    from .camera_view import CameraView
    from .evaluate_panel import EvaluatePanel
    from .export_flow import ExportFlow
    from .export_job import ExportJob, ExportOptions

STATUS_FILTERS: tuple[tuple[str, set[str]], ...] = (
    ("All images", set()),
    ("Queued", {"queued", "running"}),
    ("Done", {"done"}),
    ("Failed", {"failed"}),
)


class MainWindow(QMainWindow):
    def __init__(self, store: SettingsStore | None = None, session: Session | None = None) -> None:
        super().__init__()
        self.setWindowTitle("YOLO Desktop")
        self.setAcceptDrops(True)
        self.store = store or SettingsStore()
        self.session = session or Session(self)
        self.session.settings = self.store.detector_settings()
        self.images = ViewerImages(self)
        self._build_widgets()
        self.commands = build_actions(
            self,
            self.model_picker,
            subfolders=self.store.flag("input/subfolders", True),
            labels=self.store.flag("view/labels", True),
            scores=self.store.flag("view/scores", True),
            tile_grid=self.store.flag("view/tile_grid", False),
        )
        self.sources = ModelSources(
            self, self.model_picker, self.store, self.progress, self.fetch_button, self.show_message, self._load_model
        )
        self._connect_actions(self.commands)
        self._wire()
        self.review = ReviewController(
            ReviewParts(
                self,
                self.session,
                self.view,
                self.image_list,
                self.status_filter,
                self.right_tabs,
                self.store,
                self.show_message,
            )
        )
        self._restore()
        self.exporter: ExportFlow | None = None  # made on the first export
        self._batch_running = False
        self.camera_view: CameraView | None = None  # made when first opened
        self.evaluate_panel: EvaluatePanel | None = None  # made when first opened
        self.last_export: tuple[ExportReport, str] | None = None  # (report, error) of the last export
        self.last_message: QMessageBox | None = None

    # ----- construction --------------------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        settings = self.session.settings
        self.image_list = ImageList(self.session)
        self.status_filter = QComboBox()
        for label, statuses in STATUS_FILTERS:
            self.status_filter.addItem(label, (statuses, STATUS_ROLE))
        self.failed_panel = FailedPanel(self.session)
        left_tabs = QTabWidget()
        images_page = QWidget()
        images_layout = QVBoxLayout(images_page)
        images_layout.setContentsMargins(0, 4, 0, 0)
        images_layout.addWidget(self.status_filter)
        images_layout.addWidget(self.image_list, 1)
        left_tabs.addTab(images_page, "Images")
        left_tabs.addTab(self.failed_panel, "Failed")
        self.left_tabs = left_tabs

        self.view = ImageView()
        self.banner = QWidget()  # shown when no model is installed
        banner_layout = QVBoxLayout(self.banner)
        self.banner_text = QLabel("No model is installed. YOLO Desktop needs one to find objects.")
        self.banner_text.setWordWrap(True)
        self.fetch_button = QPushButton("Fetch the default model (YOLOv3-tiny, 35 MB)")
        banner_layout.addWidget(self.banner_text)
        banner_layout.addWidget(self.fetch_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.banner.setVisible(False)
        center = QWidget()
        center_layout = QVBoxLayout(center)
        center_layout.setContentsMargins(0, 0, 0, 0)
        center_layout.addWidget(self.banner)
        center_layout.addWidget(self.view, 1)
        self.player = VideoPlayer(self.view)  # under the viewer while a video is selected
        self.player.setVisible(False)
        center_layout.addWidget(self.player)
        self.footage = FootagePanel(self.session, self.player)  # zones, heatmap, the event log of the video shown
        center_layout.addWidget(self.footage.controls)

        self.thresholds = ThresholdPanel(settings.conf, settings.iou)
        self.table = DetectionTable()
        self.class_filter = ClassFilter()
        self.summary = SummaryPanel()
        right_tabs = QTabWidget()
        right_tabs.addTab(self.table, "Detections")
        right_tabs.addTab(self.class_filter, "Classes")
        right_tabs.addTab(self.footage, "Events")
        self.right_tabs = right_tabs
        summary_box = QGroupBox("Objects counted (this image · all images)")
        summary_layout = QVBoxLayout(summary_box)
        summary_layout.setContentsMargins(4, 4, 4, 4)
        summary_layout.addWidget(self.summary)
        self.right_splitter = QSplitter(Qt.Orientation.Vertical)
        self.right_splitter.addWidget(right_tabs)
        self.right_splitter.addWidget(summary_box)
        self.right_splitter.setSizes([420, 330])
        self.right_splitter.setChildrenCollapsible(False)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.thresholds)
        right_layout.addWidget(self.right_splitter, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        for widget, stretch in ((left_tabs, 0), (center, 1), (right, 0)):
            self.splitter.addWidget(widget)
            self.splitter.setStretchFactor(self.splitter.count() - 1, stretch)
        self.splitter.setSizes([240, 660, 540])
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)

        self.progress = ProgressStrip()
        self.model_label = QLabel()
        self.statusBar().addWidget(self.model_label)
        self.statusBar().addPermanentWidget(self.progress)
        self.model_picker = ModelPicker(self.store.custom_models())

    def _connect_actions(self, a: Actions) -> None:
        session, view = self.session, self.view
        for action, slot in (
            (a.open_images, self.open_images),
            (a.open_folder, self.open_folder),
            (a.camera, self.open_camera),
            (a.export, self.export),
            (a.cancel, session.cancel),
            (a.resume, session.resume),
            (a.quit, self.close),
            (a.fit, view.fit),
            (a.actual, view.actual_size),
            (a.zoom_in, lambda: view.zoom_by(1.25)),
            (a.zoom_out, lambda: view.zoom_by(0.8)),
            (a.copy, self.table.copy_selection),
            (a.add_model, self.add_model),
            (a.fetch, self.fetch_default_model),
            (a.retry, lambda: session.retry(None)),
            (a.process_on, self.choose_processing),
            (a.evaluate, self.open_evaluate),
            (a.about, self.about),
        ):
            action.triggered.connect(slot)
        a.subfolders.toggled.connect(lambda on: self.store.set("input/subfolders", on))
        a.labels.toggled.connect(self.apply_label_options)
        a.scores.toggled.connect(self.apply_label_options)
        a.tile_grid.toggled.connect(self._on_tile_grid_toggled)
        self.progress.cancel_button.clicked.connect(session.cancel)
        self.progress.resume_button.clicked.connect(session.resume)

    def _wire(self) -> None:
        session = self.session
        session.entries_added.connect(self._on_entries_added)
        session.entry_changed.connect(self._on_entry_changed)
        session.progress_changed.connect(self._on_progress)
        session.model_state_changed.connect(self._on_model_state)
        session.model_note.connect(self._on_model_note)
        session.results_refiltered.connect(self._schedule_summary)
        self.image_list.selectionModel().currentChanged.connect(lambda *_: self._show_current())
        self.image_list.proxy.modelReset.connect(self._show_current)
        self.status_filter.currentIndexChanged.connect(  # in review, more filters follow (ui/review.py)
            lambda i: self.image_list.proxy.set_statuses(*self.status_filter.itemData(i))
        )
        self.thresholds.changed.connect(self._on_thresholds)
        self.class_filter.changed.connect(self._on_classes)
        self.view.box_clicked.connect(self._on_box_clicked)
        self.view.navigate.connect(self.image_list.step)
        self.table.rows_selected.connect(self.view.set_selected)
        self.failed_panel.retry_requested.connect(self.session.retry)
        self.failed_panel.show_requested.connect(self._show_entry_in_list)
        self.model_picker.model_chosen.connect(self._load_model)
        self.model_picker.add_requested.connect(self.add_model)
        self.model_picker.more_requested.connect(self.sources.get_more)
        self.fetch_button.clicked.connect(self.fetch_default_model)
        self.images.loaded.connect(self._on_image_loaded)
        self.player.frame_shown.connect(self._show_detections)
        self.player.tracks_changed.connect(self._schedule_summary)
        self.player.line_drawn.connect(self._on_line_drawn)
        self.player.lines_cleared.connect(lambda: self._set_video_lines(()))
        session.video_changed.connect(self._on_video_changed)
        self._summary_timer = QTimer(self, singleShot=True, interval=120)
        self._summary_timer.timeout.connect(self._refresh_summary)
        self._failed_timer = QTimer(self, singleShot=True, interval=150)
        self._failed_timer.timeout.connect(self._refresh_failed)
        self.apply_label_options()

    def _restore(self) -> None:
        geometry = self.store.state("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1400, 860)
        state = self.store.state("window/state")
        if state is not None:
            self.restoreState(state)
        for key, splitter in (("window/splitter", self.splitter), ("window/right_splitter", self.right_splitter)):
            state = self.store.state(key)
            if state is not None:
                splitter.restoreState(state)

    def start(self) -> None:
        """After the window is shown: pick the model (TensorFlow loads on the worker thread, not here)."""
        choice = self.model_picker.select(self.store.model_name(), self.session.settings)
        if choice is None:
            self._show_no_model()
            return
        self._load_model(choice)

    # ----- inputs --------------------------------------------------------------------------------------------
    def add_paths(self, paths: list[str]) -> None:
        self.session.add_paths(paths, recursive=self.commands.subfolders.isChecked())

    def open_images(self) -> None:
        images = " ".join(f"*{ext}" for ext in sorted(IMAGE_EXTENSIONS))
        videos = " ".join(f"*{ext}" for ext in sorted(VIDEO_EXTENSIONS))
        files, _ = QFileDialog.getOpenFileNames(
            self,
            "Open images and videos",
            self.store.text("input/last_dir"),
            f"Images and videos ({images} {videos});;Images ({images});;Videos ({videos});;All files (*)",
        )
        if files:
            self.store.set("input/last_dir", str(Path(files[0]).parent))
            self.add_paths(files)

    def open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open folder", self.store.text("input/last_dir"))
        if folder:
            self.store.set("input/last_dir", folder)
            self.add_paths([folder])

    def open_camera(self) -> CameraView:
        """The camera window (live detection), made the first time it is asked for."""
        if self.camera_view is None:
            from .camera_view import CameraView

            self.camera_view = CameraView(self.session, self.store, self)
        self.camera_view.show()
        self.camera_view.raise_()
        return self.camera_view

    def open_evaluate(self) -> EvaluatePanel:
        """The Evaluate panel (its own window, thread and detectors), made the first time it is asked for."""
        if self.evaluate_panel is None:
            from .evaluate_panel import EvaluatePanel

            self.evaluate_panel = EvaluatePanel(
                self.model_picker.custom, self.model_picker.choice(), self.session.settings.conf,
                self.thresholds.conf.set_value, self._open_photo, self.store.text("input/last_dir"), self,
                flush_labels=self.review.model.flush,
            )  # fmt: skip
        self.evaluate_panel.show()
        self.evaluate_panel.raise_()
        return self.evaluate_panel

    def _open_photo(self, path: str) -> None:
        """Show ``path`` in the window (added if it is not there): where the review tools fix its labels."""
        rows = [row for row, entry in enumerate(self.session.entries) if entry.path == path]
        if rows:
            self._show_entry_in_list(rows[0])
        else:  # listed on the session's thread: shown once added
            once = Qt.ConnectionType.SingleShotConnection
            self.session.entries_added.connect(lambda first, _count: self._show_entry_in_list(first), once)
            self.add_paths([path])
        self.raise_()
        self.activateWindow()

    def dragEnterEvent(self, event) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()
            self.view.hint = "Drop to add these photos and folders"
            self.view.viewport().update()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:
        self._reset_hint()

    def dropEvent(self, event) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        self._reset_hint()
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)

    def _reset_hint(self) -> None:
        self.view.hint = DROP_HINT
        self.view.viewport().update()

    def _on_progress(self, progress) -> None:
        self.progress.show_progress(progress)
        if self._batch_running and not progress.running and progress.done:
            self.model_picker.refresh()  # a batch ended: a model's time per image here is known after its first images
        self._batch_running = progress.running
        self.commands.cancel.setEnabled(progress.running)
        left = self.session.has_unprocessed and not progress.running
        self.commands.resume.setEnabled(left)
        self.progress.resume_button.setVisible(left)

    # ----- showing an image ----------------------------------------------------------------------------------
    @Slot(int, int)
    def _on_entries_added(self, first: int, count: int) -> None:
        if self.image_list.current_row() < 0:
            self.image_list.set_current_row(first)
        self._failed_timer.start()
        self._schedule_summary()

    @Slot(int)
    def _on_entry_changed(self, row: int) -> None:
        if row == self.session.current and not self.player.active:
            self._show_detections()
            self._show_tile_grid()
            if not self.view.has_image:
                self.images.request(self.session.entries[row].path)
        self._failed_timer.start()
        self._schedule_summary()

    def _refresh_failed(self) -> None:
        self.failed_panel.refresh()
        count = self.failed_panel.list.count()
        self.left_tabs.setTabText(1, f"Failed ({count})" if count else "Failed")

    def _show_entry_in_list(self, row: int) -> None:
        self.status_filter.setCurrentIndex(0)
        self.image_list.set_current_row(row)
        self.left_tabs.setCurrentIndex(0)

    def _show_current(self) -> None:
        row = self.image_list.current_row()
        self.session.current = row
        if row < 0:
            self.player.close_video()
            self.player.setVisible(False)
            self.view.set_image(None)
            self.table.set_detections(Detections.empty())
            self.setWindowTitle("YOLO Desktop")
            return
        entry = self.session.entries[row]
        self.setWindowTitle(f"{os.path.basename(entry.path)} — YOLO Desktop")
        self.view.set_image(None)
        self.player.setVisible(entry.item.is_video)
        self.footage.controls.setVisible(entry.item.is_video)
        if entry.item.is_video:
            self.player.open(
                entry.path, self.session.video(row), self.session.settings, self.session.tracking_options(row)
            )
        else:
            self.player.close_video()
            self.images.request(entry.path)
        self.footage.refresh()
        self._show_detections()
        self._schedule_summary()

    @Slot(str, object)
    def _on_image_loaded(self, path: str, pixmap) -> None:
        row = self.session.current
        if 0 <= row < len(self.session.entries) and self.session.entries[row].path == path:
            self.view.set_image(pixmap)
            self._show_detections()
            self._show_tile_grid()

    def _on_video_changed(self, row: int) -> None:
        if row == self.session.current and self.player.active:
            if self.player.tracking != self.session.tracking_options(row):  # its folder's saved zones and lines
                self.player.set_tracking(self.session.tracking_options(row))
            self.player.set_track(self.session.video(row))

    def _on_line_drawn(self, line) -> None:
        options = self.session.tracking_options(self.session.current)
        if options is not None:
            self._set_video_lines((*options.lines, line))

    def _set_video_lines(self, lines) -> None:
        """The counting lines of the video on screen: its tracks and crossings are computed again (no network)."""
        if self.player.active:
            self.player.set_tracking(self.session.set_video_lines(self.session.current, lines))

    def _show_detections(self) -> None:
        row = self.session.current
        entry = self.session.entries[row] if 0 <= row < len(self.session.entries) else None
        if self.player.active:  # a video: the frame on screen
            detections = self.player.detections()
        else:
            detections = entry.shown.detections if entry is not None and entry.shown is not None else Detections.empty()
        if detections != self.table.source.detections:
            self.table.set_detections(detections)
            self.view.set_detections(detections)
        elif len(self.view.boxes()) != len(detections):
            self.view.set_detections(detections)
        self._schedule_summary()

    def _on_box_clicked(self, index: int) -> None:
        rows = set() if index < 0 else {index}
        self.table.select_rows(rows)
        self.view.set_selected(rows)
        if rows:
            self.right_tabs.setCurrentWidget(self.table)

    def _on_tile_grid_toggled(self, on: bool) -> None:
        self.store.set("view/tile_grid", on)
        self._show_tile_grid()

    def _show_tile_grid(self) -> None:
        """The tiles the loaded model's settings cut the photo on screen into (View ▸ Show Tile Grid)."""
        info, size = self.session.model_info, self.view.image_size
        tiles: list[tuple[int, int, int, int]] = []
        if self.commands.tile_grid.isChecked() and info is not None and size is not None and not self.player.active:
            from ..pipeline.tiling import TilingError, plan

            try:
                cut = plan(info.tiles, info.tile_overlap, info.input_size, *size)
            except TilingError:
                cut = ()  # the photo failed with that reason (it is in the Failed list)
            tiles = [(t.x, t.y, t.width, t.height) for t in cut]
        self.view.set_tile_grid(tiles)

    def apply_label_options(self, *_args) -> None:
        self.store.set("view/labels", self.commands.labels.isChecked())
        self.store.set("view/scores", self.commands.scores.isChecked())
        self.view.set_label_options(self.commands.labels.isChecked(), self.commands.scores.isChecked())

    # ----- thresholds and summary ----------------------------------------------------------------------------
    def _on_thresholds(self, conf: float, iou: float) -> None:
        self.session.set_settings(replace(self.session.settings, conf=conf, iou=iou))
        self.player.set_settings(self.session.settings)
        self.store.save_detector_settings(self.session.settings)

    def _on_classes(self, classes) -> None:
        self.session.set_settings(self.session.settings.with_classes(classes))
        self.player.set_settings(self.session.settings)
        self.store.save_detector_settings(self.session.settings)

    def _schedule_summary(self, *_args) -> None:
        self._summary_timer.start()

    def _refresh_summary(self) -> None:
        row = self.session.current
        entry = self.session.entries[row] if 0 <= row < len(self.session.entries) else None
        objects = events = None
        if self.player.active:
            image = self.player.detections().counts()
            objects, events = self.player.distinct(), self.footage.events_per_class()
        else:
            image = entry.shown.counts() if entry is not None and entry.shown is not None else {}
        names = self.session.model_info.names if self.session.model_info else ()
        ids = {n: i for i, n in enumerate(names)}
        self.summary.set_counts(image, self.session.batch_counts(), ids, objects, events)

    # ----- model ---------------------------------------------------------------------------------------------
    def _load_model(self, choice: DetectorChoice) -> None:
        self.banner.setVisible(False)
        self.session.load_model(choice)

    def _on_model_note(self, kind: str, message: str) -> None:
        if kind == "engine":
            self.model_label.setText(message)
        else:  # a model that finds nothing on the sample photo: said where the model is shown, in full on hover
            self.model_label.setText(f"{self.model_label.text()} · ⚠ finds nothing on the sample photo")
            self.model_label.setToolTip(message)

    def _on_model_state(self, state: str, message: str) -> None:
        self.progress.set_busy(state == "loading", message)
        if state == "ready":
            self.model_label.setToolTip("")
            info, choice = self.session.model_info, self.session.choice
            assert info is not None and choice is not None
            self.model_label.setText(message)
            self.model_picker.confirm()
            self.store.save_model_choice(choice)
            self.class_filter.set_classes(info.names, self.session.settings.classes)
            self._show_tile_grid()
        elif state == "failed":
            self.model_picker.revert()
            self.model_label.setText(self.model_label.text() if self.session.model_info else "No model")
            self.show_message(
                QMessageBox.Icon.Critical,
                "Model could not be loaded",
                f"{message}\n\nThe previous model stays in use." if self.session.model_info else message,
            )

    def _show_no_model(self, reason: str = "") -> None:
        self.banner_text.setText(
            "No model is installed. YOLO Desktop needs one to find objects." + (f"\n{reason}" if reason else "")
        )
        self.banner.setVisible(True)
        self.model_label.setText("No model")

    def add_model(self) -> None:
        self.sources.add()

    def fetch_default_model(self) -> None:
        self.sources.fetch(DEFAULT_MODEL)

    def fetch_model(self, name: str) -> ModelFetch:
        return self.sources.fetch(name)

    # ----- where batches run ---------------------------------------------------------------------------------
    def choose_processing(self) -> None:
        from .process_on import ProcessOnDialog

        dialog = ProcessOnDialog(self.session.workers_url, self.store.text("processing/last_url"), self)
        if dialog.exec():
            self.process_on(dialog.choice())

    def process_on(self, url: str | None) -> None:
        """This computer (None) or queue workers through Redis at ``url``."""
        if url:  # remembered without its password (settings files are plain text): the dialog asks for it again
            from ..cluster.connection import without_password

            self.store.set("processing/last_url", without_password(url))
        self.session.use_workers(url)

    # ----- export --------------------------------------------------------------------------------------------
    def _exporter(self) -> ExportFlow:
        if self.exporter is None:
            from .export_flow import ExportFlow

            self.exporter = ExportFlow(self, self.session, self.store, self.show_message, self._on_exported)
        return self.exporter

    def export(self) -> None:
        self._exporter().ask()

    def run_export(self, options: ExportOptions) -> ExportJob:
        return self._exporter().run(options)

    def _on_exported(self, report: ExportReport, error: str) -> None:
        self.last_export = (report, error)

    # ----- misc ----------------------------------------------------------------------------------------------
    def show_message(self, icon: QMessageBox.Icon, title: str, text: str) -> QMessageBox:
        """A window-modal message that does not block the event loop (results keep arriving behind it)."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.last_message = box
        return box

    def about(self) -> None:
        from .. import TAGLINE, __version__

        QMessageBox.about(
            self,
            "About YOLO Desktop",
            f"<b>YOLO Desktop {__version__}</b><p>{TAGLINE}: nothing leaves this computer.</p>",
        )

    def closeEvent(self, event) -> None:
        self.store.set("window/geometry", self.saveGeometry())
        self.store.set("window/state", self.saveState())
        self.store.set("window/splitter", self.splitter.saveState())
        self.store.set("window/right_splitter", self.right_splitter.saveState())
        self.store.sync()
        if self.exporter is not None:
            self.exporter.shutdown()
        self.player.close_video()
        if self.camera_view is not None:
            self.camera_view.shutdown()
        if self.evaluate_panel is not None:
            self.evaluate_panel.shutdown()
        self.review.shutdown()  # every edit written, the labels folders released
        self.session.shutdown()
        self.images.shutdown()
        super().closeEvent(event)
