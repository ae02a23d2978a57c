"""What every route shares: the backend, the result store, the asynchronous jobs, the per-class counter, and the
one detection flow (size → admit → read the form → detect, or submit a job) with its refusals worded once."""

from __future__ import annotations

import hmac
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import anyio
from fastapi import Request
from starlette.requests import ClientDisconnect

from ..results import ImageResult
from .backend import (
    Backend,
    Detected,
    DetectOptions,
    Jobs,
    JobState,
    QueueFull,
    RequestError,
    Ticket,
    Unavailable,
    Upload,
)
from .config import ServiceConfig
from .options import OptionError
from .replies import error_status, failure_message
from .store import Store, StoredResult
from .uploads import DRAIN_MIN_BYTES, Form, UploadError, check_length, declared_length, drain, read_form

T = TypeVar("T")
RENDER_THREADS = 2  # annotated images drawn at once (each holds a few full-size copies of a photo)


class Refusal(Exception):
    """A request that gets an error reply; each route family words it in its own shape."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class LabelCounter(Protocol):
    def add(self, results: Sequence[ImageResult]) -> None: ...

    def snapshot(self) -> dict[str, int]:
        """``{label: count}``, most frequent first (may block: routes call it off the event loop)."""
        ...


@dataclass
class Counts:
    """Detections per class since the process started (the original service's counter)."""

    images: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, results: Sequence[ImageResult]) -> None:
        with self.lock:
            for result in results:
                if result.ok:
                    self.images += 1
                    self.labels.update(result.detections.labels)

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return dict(self.labels.most_common())


@dataclass
class Service:
    config: ServiceConfig
    backend: Backend
    store: Store
    jobs: Jobs
    counts: LabelCounter
    render_limiter: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(RENDER_THREADS))

    async def off_loop(self, function: Callable[..., T], *args: Any) -> T:
        """CPU work (drawing, encoding, zipping, re-filtering) on a worker thread, a few at a time."""
        return await anyio.to_thread.run_sync(function, *args, limiter=self.render_limiter)

    def key_matches(self, given: str | None) -> bool:
        expected = self.config.api_key
        return not expected or (given is not None and hmac.compare_digest(given.encode(), expected.encode()))

    def store_result(self, detected: Detected, keep_source: bool) -> str | None:
        if not detected.result.ok:
            return None
        entry = StoredResult(
            detected.result, detected.model, detected.settings, detected.upload.data if keep_source else None
        )
        return self.store.put(entry)


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def given_key(request: Request) -> str | None:
    """The API key a request carries: ``Authorization: Bearer KEY`` or ``X-API-Key: KEY``."""
    header = request.headers.get("x-api-key")
    if header:
        return header
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


def _admit(service: Service, size: int, asynchronous: bool = False) -> Ticket:
    """A place before the body (``size`` bytes) is read, or a ``Refusal`` (503, with ``Retry-After`` when useful)."""
    readiness = service.backend.readiness()
    if readiness.state == "failed":
        raise Refusal(503, f"the model could not be loaded: {readiness.error}")
    # A queue without workers still takes asynchronous jobs (they wait for one); a synchronous request would not
    # be answered.
    if readiness.state == "unavailable" and not asynchronous:
        raise Refusal(503, readiness.error or "detection is unavailable", {"Retry-After": "5"})
    try:
        return service.backend.admit(size)
    except QueueFull as exc:
        raise Refusal(503, str(exc), {"Retry-After": str(exc.retry_after)}) from None
    except Unavailable as exc:
        raise Refusal(503, exc.message, {"Retry-After": str(exc.retry_after)}) from None


async def _too_large(request: Request, body: AsyncIterator[bytes], exc: UploadError, started: bool) -> Refusal:
    """The 413, once the rest of the body is read and discarded (up to a bound), so the client reads it."""
    limit = exc.limit
    declared = declared_length(request.headers.get("content-length"))
    waiting = not started and request.headers.get("expect", "").lower() == "100-continue"
    if waiting or (declared is not None and declared > max(DRAIN_MIN_BYTES, 2 * limit)):
        # Waiting for "100 Continue", the client has sent nothing and sends nothing once it has the answer; a body
        # beyond the bound is not waited for (the client may see the connection reset).
        return Refusal(413, exc.message, {"Connection": "close"})
    try:
        whole = await drain(body, limit)
    except ClientDisconnect:
        whole = False
    return Refusal(413, exc.message, None if whole else {"Connection": "close"})


async def _body_size(request: Request, body: AsyncIterator[bytes], service: Service) -> int:
    """What admission reserves: the declared length, or the upload limit for a body that declares none (chunked).
    A declared length over the limit is a ``Refusal`` (413) before any admission."""
    limit = service.config.max_upload_bytes
    header = request.headers.get("content-length")
    try:
        check_length(header, limit)
    except UploadError as exc:
        raise await _too_large(request, body, exc, started=False) from None
    declared = declared_length(header)
    return declared if declared is not None else limit


async def _read_uploads(
    request: Request,
    body: AsyncIterator[bytes],
    service: Service,
    field_name: str,
    parse: Callable[[Form], DetectOptions],
    check: Callable[[Form], None] | None,
) -> tuple[list[Upload], DetectOptions]:
    try:
        form = await read_form(request.headers.get("content-type"), body, service.config.max_upload_bytes)
    except UploadError as exc:
        if exc.status != 413:
            raise
        raise await _too_large(request, body, exc, started=True) from None
    if check is not None:
        check(form)
    uploads = form.uploads(field_name)
    if not uploads:
        raise Refusal(400, f"no image: send it as the multipart file field '{field_name}'")
    return uploads, parse(form)


def _refusal(exc: Exception) -> Refusal:
    """The refusal for what reading, parsing or detecting may raise (``Refusal`` itself passes through)."""
    if isinstance(exc, Refusal):
        return exc
    if isinstance(exc, UploadError):
        return Refusal(exc.status, exc.message)
    if isinstance(exc, Unavailable):
        return Refusal(503, exc.message, {"Retry-After": str(exc.retry_after)})
    if isinstance(exc, QueueFull):  # a queue counted when submitting (queue workers)
        return Refusal(503, str(exc), {"Retry-After": str(exc.retry_after)})
    if isinstance(exc, ClientDisconnect):
        return Refusal(400, "the client disconnected")
    return Refusal(getattr(exc, "status", 400), str(exc))


REFUSED = (Refusal, UploadError, OptionError, RequestError, Unavailable, QueueFull, ClientDisconnect)


async def receive(
    request: Request,
    service: Service,
    field_name: str,
    parse: Callable[[Form], DetectOptions],
    check: Callable[[Form], None] | None = None,
    render: bool = False,
    keep: bool = False,
) -> tuple[list[Upload], list[Detected]]:
    """Admit the request, read its form, detect the uploads in ``field_name``. Raises ``Refusal``. ``render`` and
    ``keep``: see ``Backend.detect``."""
    body = request.stream()
    ticket = _admit(service, await _body_size(request, body, service))
    try:
        uploads, options = await _read_uploads(request, body, service, field_name, parse, check)
        ticket.received(len(uploads))
        detected = await service.backend.detect(uploads, options, render=render, keep=keep)
    except REFUSED as exc:
        raise _refusal(exc) from None
    finally:
        ticket.release()
    service.counts.add([d.result for d in detected])
    return uploads, detected


async def submit_job(
    request: Request, service: Service, field_name: str, parse: Callable[[Form], DetectOptions]
) -> JobState:
    """Admit the request, read its form, queue its one upload as a job (answered later). Raises ``Refusal``."""
    body = request.stream()
    ticket = _admit(service, await _body_size(request, body, service), asynchronous=True)
    submitted = False
    try:
        uploads, options = await _read_uploads(request, body, service, field_name, parse, None)
        if len(uploads) != 1:
            raise Refusal(400, f"one file per job: this request has {len(uploads)}; send one request per file")
        ticket.received(1)
        submitted = True  # the job owns the ticket from here on, whatever happens
        return await service.jobs.submit(uploads[0], options, ticket)
    except REFUSED as exc:
        raise _refusal(exc) from None
    finally:
        if not submitted:
            ticket.release()


async def job_state(service: Service, job_id: str, image: bool = False) -> JobState | None:
    """A job's state, or None for an unknown id. Raises ``Refusal`` (503) when it cannot be asked now."""
    try:
        return await service.jobs.state(job_id, image=image)
    except Unavailable as exc:
        raise Refusal(503, exc.message, {"Retry-After": str(exc.retry_after)}) from None


def refuse_if_all_failed(detected: Sequence[Detected]) -> None:
    """One bad image among good ones is reported in its record; a request with nothing usable is refused."""
    if detected and all(not d.result.ok for d in detected):
        first = detected[0].result
        raise Refusal(error_status(first.error or ""), failure_message(first))


def form_values(request: Request, form: Form) -> dict[str, str]:
    """Options from the query string, overridden by form fields."""
    return {**dict(request.query_params), **form.fields}
