"""Asynchronous requests without Redis: ``POST /v1/jobs`` and ``/upload?async=1`` on a server that runs the model
itself. The reply goes out at once with an id the store answers "processing" for; the detection runs on the same
backend as every other request (in arrival order, holding its place in the queue until done) and its result is put
under that id — so ``/view/<id>`` and ``/v1/jobs/<id>`` behave as with queue workers, within this process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from ..results import ImageResult
from .backend import Backend, DetectOptions, JobState, RequestError, Ticket, Upload
from .replies import error_status, failure_message
from .store import Failed, Processing, Store, StoredResult

log = logging.getLogger("yolo_desktop.service")


class LocalJobs:
    def __init__(self, backend: Backend, store: Store, on_done: Callable[[Sequence[ImageResult]], None]) -> None:
        self.backend = backend
        self.store = store
        self.on_done = on_done  # the per-class counter
        self._running: set[asyncio.Task[None]] = set()  # referenced until done (the loop keeps only weak ones)

    async def submit(self, upload: Upload, options: DetectOptions, ticket: Ticket) -> JobState:
        key = self.store.reserve()
        task = asyncio.create_task(self._run(key, upload, options, ticket), name=f"job {key}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return JobState(key, "queued")

    async def _run(self, key: str, upload: Upload, options: DetectOptions, ticket: Ticket) -> None:
        try:
            detected = (await self.backend.detect([upload], options))[0]
        except RequestError as exc:
            self.store.fail(key, exc.message, exc.status)
            return
        except Exception as exc:  # a bug, not bad input: the job says so, the server goes on
            log.exception("job %s failed", key)
            self.store.fail(key, f"detection failed: {exc!r}", 500)
            return
        finally:
            ticket.release()
        self.on_done([detected.result])
        source = upload.data if detected.result.ok else None  # /view draws from it later
        self.store.put(StoredResult(detected.result, detected.model, detected.settings, source), key=key)

    async def state(self, job_id: str, image: bool = False) -> JobState | None:
        entry = self.store.get(job_id)
        key = job_id.lower()
        if entry is None:
            return None
        if isinstance(entry, Processing):
            return JobState(key, "processing")
        if isinstance(entry, Failed):
            return JobState(key, "failed", error=entry.message, status=entry.status)
        result = entry.result
        if not result.ok:
            message = failure_message(result)
            return JobState(
                key,
                "failed",
                None,
                result,
                entry.model,
                entry.settings,
                None,
                message,
                error_status(result.error or ""),
            )
        return JobState(key, "done", None, result, entry.model, entry.settings, entry.rendered)
