"""Results kept for ``/view/<id>`` (the annotated image) and ``/v1/results/<id>`` (re-filtering at other
thresholds without the network): bounded in count, in bytes and in time; the oldest go first.

Ids are random UUIDs. An id can be reserved before its result exists, so an asynchronous request (``local_jobs``)
can hand it out at once and ``/view/<id>`` answers "processing" until the result is put (or the job ``fail``s).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from ..inference.model_spec import ModelInfo
from ..results import ImageResult
from ..settings import DetectorSettings

ENTRY_OVERHEAD = 2048  # bytes: the result's Python objects beyond its arrays, roughly


@dataclass
class StoredResult:
    result: ImageResult  # with its candidates
    model: ModelInfo
    settings: DetectorSettings  # what the reply applied
    source: bytes | None = None  # the uploaded file, to draw the annotated image from (None: not kept)
    rendered: bytes | None = None  # the annotated JPEG once drawn (at ``settings``)
    created: float = field(default=0.0)

    @property
    def nbytes(self) -> int:
        size = ENTRY_OVERHEAD + len(self.source or b"") + len(self.rendered or b"")
        candidates = self.result.candidates
        if candidates is not None:
            size += candidates.boxes.nbytes + candidates.scores.nbytes + candidates.class_ids.nbytes
        return size


class Processing:
    """The result of a reserved id that is not finished yet."""


PROCESSING = Processing()


@dataclass(frozen=True)
class Failed:
    """A reserved id whose request failed before any result existed (e.g. an unknown class name)."""

    message: str
    status: int


def parse_id(text: str) -> str | None:
    """The canonical form of a result id, or None for anything that is not a UUID (→ 404, never a lookup)."""
    try:
        value = uuid.UUID(text)
    except (ValueError, AttributeError, TypeError):
        return None
    return str(value) if str(value) == text.lower() else None


class Store:
    def __init__(
        self, max_count: int, max_bytes: int, max_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_count = max(1, max_count)
        self.max_bytes = max_bytes
        self.max_seconds = max_seconds
        self._clock = clock
        self._entries: OrderedDict[str, StoredResult | Processing | Failed] = OrderedDict()
        self._created: dict[str, float] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def reserve(self) -> str:
        """A new id that answers "processing" until ``put``."""
        key = str(uuid.uuid4())
        with self._lock:
            self._entries[key] = PROCESSING
            self._created[key] = self._clock()
            self._trim()
        return key

    def put(self, entry: StoredResult, key: str | None = None) -> str:
        key = key or str(uuid.uuid4())
        with self._lock:
            self._drop(key)
            entry.created = self._clock()
            self._entries[key] = entry
            self._created[key] = entry.created
            self._bytes += entry.nbytes
            self._trim(keep=key)
        return key

    def fail(self, key: str, message: str, status: int) -> None:
        """The reserved ``key`` will never have a result: say why instead of "processing"."""
        with self._lock:
            if key in self._entries:
                self._drop(key)
                self._entries[key] = Failed(message, status)
                self._created[key] = self._clock()

    def get(self, key: str) -> StoredResult | Processing | Failed | None:
        canonical = parse_id(key)
        if canonical is None:
            return None
        with self._lock:
            self._trim()
            return self._entries.get(canonical)

    def set_rendered(self, key: str, jpeg: bytes) -> None:
        """Keep the annotated JPEG drawn for ``key``; the upload is then no longer needed."""
        with self._lock:
            entry = self._entries.get(key)
            if isinstance(entry, StoredResult):
                self._bytes -= entry.nbytes
                entry.rendered, entry.source = jpeg, None
                self._bytes += entry.nbytes
                self._trim(keep=key)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def nbytes(self) -> int:
        with self._lock:
            return self._bytes

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        self._created.pop(key, None)
        if isinstance(entry, StoredResult):
            self._bytes -= entry.nbytes

    def _trim(self, keep: str | None = None) -> None:
        """Expire old entries, then drop the oldest until count and bytes fit (``keep``, just put, stays)."""
        now = self._clock()
        for key in [k for k, t in self._created.items() if now - t > self.max_seconds and k != keep]:
            self._drop(key)
        while len(self._entries) > 1 and (len(self._entries) > self.max_count or self._bytes > self.max_bytes):
            self._drop(next(k for k in self._entries if k != keep))
