"""The window's worker for cluster mode: the local ``InferenceWorker``'s counterpart, with the same signals.

Orders go to queue workers through Redis in small jobs (``cluster/file_jobs.py``); results come back with their
candidates, so the list, viewer, table, thresholds, progress, cancel and export work as with the local worker.
Thumbnails are made here from the local file. No model is loaded in this process: "loading" checks Redis and
identifies the model (its sha256s) for the workers.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque

from ..cluster.connection import RedisUnavailable, safe_url
from ..cluster.file_jobs import JOB_SIZE, FileJobs, FileOrder
from ..filetypes import is_video_name
from ..imaging.read import load
from ..inference.model_spec import ModelInfo
from ..results import ImageResult
from .session_model import DetectOrder
from .worker import THUMBNAIL_SIZE, make_thumbnail
from .worker_base import DetectionWorker, ModelRequest

POLL_S = 0.05
GATHER_S = 0.03  # wait this long for more orders before sending a job that is not full


class ClusterWorker(DetectionWorker):
    """Sends images to queue workers (see the module's docstring); videos stay on this computer."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.setObjectName("cluster")
        self.url = url
        self.network_runs = 0  # the network never runs in this process
        self.jobs: FileJobs | None = None
        self._retired: list[FileJobs] = []  # jobs of an earlier model with images still with the workers
        self._inbox: deque[DetectOrder | ModelRequest] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._waiting: list[DetectOrder] = []  # orders not sent yet
        self._orders: dict[int, DetectOrder] = {}  # request id → order, sent and not finished

    # ----- called on the GUI thread --------------------------------------------------------------------------
    def load_model(self, request: ModelRequest) -> None:
        self._put(request)

    def detect(self, order: DetectOrder) -> None:
        if is_video_name(order.path):  # queue workers take photos; a video is one long job, run where it is
            result = ImageResult(
                path=order.path,
                error="videos are processed on this computer, not by queue workers (Batch ▸ Process On…)",
            )
            self.finished_image.emit(order.request_id, result, None)
            return
        self._put(order)

    def _put(self, item: DetectOrder | ModelRequest) -> None:
        with self._lock:
            self._inbox.append(item)
        self._wake.set()

    def stop(self, timeout_ms: int = 30_000) -> bool:
        self._stopping.set()
        self._wake.set()
        return self.wait(timeout_ms)

    # ----- the worker thread ---------------------------------------------------------------------------------
    def run(self) -> None:
        first_waiting = 0.0
        while not self._stopping.is_set():
            self._wake.wait(POLL_S)
            self._wake.clear()
            with self._lock:
                items, self._inbox = list(self._inbox), deque()
            for item in items:
                if isinstance(item, ModelRequest):
                    if self.jobs is not None and self._waiting:
                        # Orders made before it go to the workers of the model they were made for.
                        self._drop_cancelled()
                        self._send()
                    self._load(item)
                elif self.jobs is None:
                    self.finished_image.emit(item.request_id, ImageResult(path=item.path, error="no model"), None)
                else:
                    if not self._waiting:
                        first_waiting = time.monotonic()
                    self._waiting.append(item)
            if self.jobs is None:
                continue
            self._drop_cancelled()
            if self._waiting and (len(self._waiting) >= JOB_SIZE or time.monotonic() - first_waiting >= GATHER_S):
                self._send()
            self._receive()

    def _load(self, request: ModelRequest) -> None:
        start = time.perf_counter()
        self.model_progress.emit(f"Connecting to {safe_url(self.url)}…")
        choice = request.choice
        try:
            jobs = FileJobs(self.url, choice.model, choice.settings)
            description = jobs.description
        except (RedisUnavailable, OSError, ValueError) as exc:
            self.model_failed.emit(request.request_id, str(exc))
            return
        if self.jobs is not None and self.jobs.in_flight:
            # Images already with the workers finish under the model they were sent with (as the local worker
            # finishes the image in its network): their results are still collected, then the old jobs are let go.
            self._retired.append(self.jobs)
        self.jobs = jobs
        self.model_ready.emit(
            request.request_id,
            ModelInfo(
                name=choice.model.name,
                input_size=jobs.size,
                names=jobs.names,
                precision=choice.settings.precision,
                resize=choice.settings.resize,
                engine=description,
                seconds=time.perf_counter() - start,
                files=choice.model,
                tiles=choice.settings.tiles,
                tile_overlap=choice.settings.tile_overlap,
            ),
        )

    def _send(self) -> None:
        assert self.jobs is not None
        while self._waiting:
            # A job's images share their settings (the window's thresholds when each was ordered).
            settings, same = next(itertools.groupby(self._waiting[:JOB_SIZE], key=lambda order: order.settings))
            batch = list(same)
            self._waiting = self._waiting[len(batch) :]
            try:
                self.jobs.submit([FileOrder(o.request_id, o.path) for o in batch], settings)
            except Exception as exc:  # Redis went away: these images fail with the reason, the window goes on
                for order in batch:
                    self.finished_image.emit(
                        order.request_id, ImageResult(path=order.path, error=f"could not queue: {exc}"), None
                    )
                continue
            self._orders.update((o.request_id, o) for o in batch)

    def _drop_cancelled(self) -> None:
        assert self.jobs is not None
        self._waiting = [o for o in self._waiting if not o.cancel.is_set()]
        cancelled = {rid for rid, order in self._orders.items() if order.cancel.is_set()}
        if cancelled:
            for jobs in (self.jobs, *self._retired):
                jobs.cancel(cancelled)
            for rid in cancelled:
                del self._orders[rid]

    def _receive(self) -> None:
        assert self.jobs is not None
        self._retired = [jobs for jobs in self._retired if jobs.in_flight]
        for jobs in (self.jobs, *self._retired):
            for event in jobs.poll():
                order = self._orders.get(event.order.tag)
                if order is None:
                    continue
                if event.kind == "started":
                    self.started_image.emit(order.request_id)
                    continue
                del self._orders[order.request_id]
                self.finished_image.emit(order.request_id, event.result, self._thumbnail(order.path))

    @staticmethod
    def _thumbnail(path: str):
        try:
            return make_thumbnail(load(path, reduce_to=THUMBNAIL_SIZE))
        except Exception:  # the list shows no thumbnail; the result says what happened
            return None
