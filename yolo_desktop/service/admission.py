"""Who gets in: a request is admitted when the work ahead of it would be done within ``--max-wait`` seconds and its
upload fits this process's memory budget; otherwise it gets 503 with ``Retry-After`` = the expected wait.

A count of waiting requests says nothing about how long a client would wait (40 camera snapshots take a second
on a small model, 8 photos may take ten on a big one); the expected wait does: images ahead × the recent seconds per
image ÷ the images done in parallel. An idle server admits whatever the estimate (nothing is ahead).

The seconds per image come from the backend (``PerImage``: the median of recent measures, so one huge photo does
not shut the door): the local backend times its inference thread, queue workers publish theirs.

Memory is bounded on its own, in bytes: every admitted request reserves its declared body size (the upload limit
when it declares none, as a chunked upload does) until it is answered, so the uploads a process holds — being
received or waiting — never pass its budget, however fast the images go.
"""

from __future__ import annotations

import math
import statistics
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from .backend import QueueFull

MB = 1024 * 1024
SAMPLES = 32  # seconds per image kept (the median of these is the estimate)
# The prior counts as this many samples until the window is full: the first images of a burst are slow (they wait
# while the server takes in the rest of it), and one or two of them must not decide alone.
PRIOR_WEIGHT = 3


@dataclass(frozen=True)
class Estimate:
    ahead: float  # images (or requests, or queued jobs) that would be served before this request
    seconds: float  # recent seconds per image
    parallel: float  # images done at once (1 per inference thread; with queue workers, the live workers)

    @property
    def wait(self) -> float:
        if self.ahead <= 0:
            return 0.0
        if self.parallel <= 0:
            return math.inf
        return self.ahead * self.seconds / self.parallel

    def retry_after(self) -> int:
        """Whole seconds (at least 1) until the work ahead is done: ``Retry-After``."""
        wait = self.wait if math.isfinite(self.wait) else self.ahead * self.seconds
        return max(1, math.ceil(wait))


class PerImage:
    """Recent seconds per image: the median of the last ``SAMPLES``, with ``prior`` counted ``PRIOR_WEIGHT`` times
    until there are that many."""

    def __init__(self, prior: float) -> None:
        self.prior = prior
        self._samples: deque[float] = deque(maxlen=SAMPLES)
        self._lock = threading.Lock()

    def add(self, seconds: float) -> None:
        with self._lock:
            self._samples.append(max(0.0, seconds))

    @property
    def seconds(self) -> float:
        with self._lock:
            values = list(self._samples)
        if len(values) < SAMPLES:
            values += [self.prior] * PRIOR_WEIGHT
        return statistics.median(values)


class Reservation:
    """An admitted request's place (a ``backend.Ticket``): its reserved bytes and its images, given back once."""

    def __init__(self, admission: Admission, size: int) -> None:
        self._admission = admission
        self.size = size
        self.images = 1  # until its body is read
        self._released = False

    def received(self, images: int) -> None:
        self._admission._received(self, images)

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._admission._release(self)


class Admission:
    def __init__(self, max_wait: float, budget_bytes: int, max_requests: int | None = None) -> None:
        self.max_wait = max_wait
        self.budget_bytes = budget_bytes
        self.max_requests = max_requests  # ``--queue`` without Redis: an optional hard cap on requests held
        self._lock = threading.Lock()
        self.held = 0  # requests admitted and not answered yet (being received, waiting or detected)
        self.held_bytes = 0
        self.ahead = 0  # their images (a request counts 1 until its body is read)

    def admit(self, size: int, estimate: Estimate) -> Reservation:
        """Reserve ``size`` bytes for one request, or raise ``QueueFull`` (why, and when to retry)."""
        with self._lock:
            # An idle process admits any upload within the limit (the budget is at least the limit).
            if self.held and self.held_bytes + size > self.budget_bytes:
                raise QueueFull(
                    f"the server is busy: it holds {self.held_bytes / MB:.1f} MB of uploads being received or "
                    f"waiting, and this one would pass its budget of {self.budget_bytes / MB:g} MB",
                    estimate.retry_after(),
                )
            self.check_wait(estimate)
            if self.max_requests is not None and self.held > self.max_requests:
                raise QueueFull(
                    f"the server is busy: {self.held} requests are waiting (its --queue is {self.max_requests})",
                    estimate.retry_after(),
                )
            self.held += 1
            self.held_bytes += size
            self.ahead += 1
        return Reservation(self, size)

    def check_wait(self, estimate: Estimate) -> None:
        """``QueueFull`` when the work ahead (``estimate``) would keep a new request waiting over ``--max-wait``."""
        if estimate.wait > self.max_wait:
            raise QueueFull(
                f"the server is busy: a new request would wait about {estimate.wait:.3g} s for the "
                f"{estimate.ahead:.0f} images ahead of it, more than its --max-wait of {self.max_wait:g} s",
                estimate.retry_after(),
            )

    def _received(self, reservation: Reservation, images: int) -> None:
        with self._lock:
            self.ahead += images - reservation.images
            reservation.images = images

    def _release(self, reservation: Reservation) -> None:
        with self._lock:
            self.held -= 1
            self.held_bytes -= reservation.size
            self.ahead -= reservation.images

    def record(self, estimate: Estimate) -> dict[str, Any]:
        """What /v2/health/ready shows of admission."""
        with self._lock:
            return {
                "in_flight": self.held,
                "upload_mb_held": round(self.held_bytes / MB, 3),
                "expected_wait": round(estimate.wait, 3) if math.isfinite(estimate.wait) else None,
                "max_wait": self.max_wait,
                "seconds_per_image": round(estimate.seconds, 4),
            }
