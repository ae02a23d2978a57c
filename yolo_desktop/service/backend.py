"""The seam between the routes and whatever runs detection.

Routes only talk to a ``Backend``: ``admit`` a request (or be told the queue is full, or that detection is
unavailable), ``detect`` its uploads, and ask about readiness and models; and to ``Jobs`` for asynchronous requests
(submit now, ask later). ``local_backend.LocalBackend`` runs detection on an inference thread in this process (its
jobs: ``local_jobs.LocalJobs``, results in ``store.Store``); ``queue_backend.QueueBackend`` (``serve --redis``) is a
light front that loads no model and sends every image to queue workers through Redis (it is its own ``Jobs``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

from ..imaging.read import LoadedImage
from ..inference.model_spec import ModelInfo
from ..results import ImageResult
from ..settings import DEFAULTS, DetectorSettings


@dataclass(frozen=True)
class Upload:
    """One uploaded image: ``name`` is the client's file name, cleaned (``uploads.clean_name``): only ever a
    label in messages and replies, never a path."""

    name: str
    data: bytes


@dataclass(frozen=True)
class DetectOptions:
    """What a request may choose (defaults: the command line's). ``model``/``size``/``precision`` pick a detector
    (None → the server's); the rest travels with the request's images: ``tiles``/``tile_overlap``, how its network
    runs cut each photo, and the thresholds its candidates are selected at."""

    model: str | None = None
    size: int | None = None
    precision: str | None = None
    conf: float = DEFAULTS.conf
    iou: float = DEFAULTS.iou
    classes: frozenset[str] | None = None
    max_detections: int = DEFAULTS.max_detections
    tiles: str = DEFAULTS.tiles
    tile_overlap: float = DEFAULTS.tile_overlap

    def settings(self, server: DetectorSettings = DEFAULTS) -> DetectorSettings:
        """The request's settings over the ``server``'s (its size, precision and resize), validated: out-of-range
        values raise ``SettingsError`` with the command line's messages."""
        return replace(
            server,
            size=self.size if self.size is not None else server.size,
            precision=self.precision or server.precision,
            conf=self.conf,
            iou=self.iou,
            classes=self.classes,
            max_detections=self.max_detections,
            tiles=self.tiles,
            tile_overlap=self.tile_overlap,
        )


@dataclass(frozen=True)
class Detected:
    upload: Upload
    result: ImageResult  # at the request's thresholds; keeps the candidates for later re-filtering
    image: LoadedImage | None  # the pixels detection saw (maybe reduced, see ``image.scale``); None if unreadable
    model: ModelInfo
    settings: DetectorSettings  # what was applied (the detector's input size, the request's settings)
    rendered: bytes | None = None  # the annotated JPEG, when the backend drew it (queue workers do, if asked)
    kept_as: str | None = None  # the id the backend keeps this result under for /view/<id> (None: the store keeps it)


@dataclass(frozen=True)
class Readiness:
    # "loading", "ready", "failed" (for good: the model could not be loaded) or "unavailable" (for now: Redis
    # unreachable, no queue worker alive)
    state: str
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return self.state == "ready"


class QueueFull(Exception):
    """The request would wait longer than ``--max-wait``, or its upload would pass the memory budget (or a queue
    cap): 503, and the client should retry after ``retry_after`` whole seconds (the expected wait)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(f"{message}; retry in {retry_after} s")
        self.retry_after = max(1, retry_after)


class Unavailable(Exception):
    """Detection cannot be served right now (Redis unreachable, no queue worker alive): 503 with the reason."""

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class RequestError(Exception):
    """A request that cannot be served as asked (unknown model or class, model that failed to load)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class Ticket(Protocol):
    """A request's place in the queue, held while its body is read and its images are detected."""

    def received(self, images: int) -> None:
        """The body is read and holds ``images`` uploads, about to be detected (until then it counts as one)."""
        ...

    def release(self) -> None: ...


class Backend(Protocol):
    def start(self) -> None:
        """Begin loading the model in the background (the process answers /v2/health/live meanwhile)."""
        ...

    def stop(self) -> None: ...

    def readiness(self) -> Readiness: ...

    def admit(self, size: int) -> Ticket:
        """Take a place before reading a request's body of ``size`` bytes (its declared length, or the upload limit),
        or raise ``QueueFull`` (it would wait longer than ``--max-wait``, or pass the memory budget) /
        ``Unavailable``."""
        ...

    async def detect(
        self, uploads: Sequence[Upload], options: DetectOptions, render: bool = False, keep: bool = False
    ) -> list[Detected]:
        """Every upload detected, in order; an unreadable image is a ``Detected`` whose result has an ``error``.
        ``render``: the reply needs annotated images (a backend may draw them where the image already is);
        ``keep``: the reply names the result for ``/view/<id>`` (a backend may keep it itself: ``kept_as``)."""
        ...

    def models(self) -> dict[str, Any]:
        """Installed models and the detectors loaded in this process (for /v1/models)."""
        ...


@dataclass(frozen=True)
class JobState:
    """An asynchronous request (``POST /v1/jobs``, ``/upload?async=1``) as it stands."""

    id: str
    state: str  # "queued" | "processing" | "done" | "failed"
    position: int | None = None  # while queued: jobs ahead of it (0 = next), when the backend knows
    result: ImageResult | None = None  # done, or failed because the image could not be used (``result.error``)
    model: ModelInfo | None = None
    settings: DetectorSettings | None = None
    image: bytes | None = None  # the annotated JPEG, when asked for and kept by the backend
    error: str | None = None  # failed: why, naming the upload
    status: int = 200  # failed: the HTTP status of that failure (415/422 a bad image, 502/503 the workers)


@runtime_checkable
class Jobs(Protocol):
    async def submit(self, upload: Upload, options: DetectOptions, ticket: Ticket) -> JobState:
        """Queue one upload and return at once; the job owns ``ticket`` (admitted before the body was read) and
        releases it when it no longer holds the upload in this process."""
        ...

    async def state(self, job_id: str, image: bool = False) -> JobState | None:
        """The job's state (None: no such job, or it expired); ``image``: include the annotated JPEG if kept."""
        ...
