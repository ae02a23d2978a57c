"""The light front's two threads (``serve --redis``), which keep Redis round trips off the event loop.

``QueueMonitor`` checks Redis twice a second — reachable? how many jobs queued and running? which workers are
alive, and do they run this front's model and precision? — so readiness and admission are answered from memory, and
a lost Redis is noticed (and its return) without any request having to fail first.

``ResultWatch`` wakes the requests that wait for their jobs (the synchronous routes). rq appends every outcome of a
job (success, failure, a retry) to a Redis stream; one thread blocks on the streams of all watched jobs at once
(``XREAD BLOCK``), so a result is seen the moment a worker writes it, with no polling per request. A new watch wakes
the blocked read through this front's own small stream.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from typing import Any

import redis
from rq import Queue
from rq.job import Job as RqJob
from rq.registry import StartedJobRegistry
from rq.worker_registration import get_keys

from ..cluster.async_jobs import AsyncDetections, AsyncState, result_stream
from ..cluster.connection import reason, safe_url
from ..cluster.protocol import SECONDS_FIELD
from .backend import RequestError, Unavailable

log = logging.getLogger("yolo_desktop.service")

REDIS_ERRORS = (redis.exceptions.RedisError, OSError)


@dataclass(frozen=True)
class WorkerSeen:
    name: str
    host: str
    pid: int
    state: str  # rq's: idle, busy, …
    model: str
    precision: str
    matches: bool  # runs this front's model (weights sha256) and precision
    seconds_per_image: float | None = None  # its moving average (published after its first image)

    def record(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "host": self.host,
            "pid": self.pid,
            "state": self.state,
            "model": self.model,
            "precision": self.precision,
            "matches": self.matches,
            "seconds_per_image": self.seconds_per_image,
        }


@dataclass(frozen=True)
class QueueHealth:
    error: str | None = None  # Redis unreachable: why (one line, naming the URL without its password)
    queued: int = 0  # jobs waiting in the queue (every front's)
    running: int = 0
    workers: tuple[WorkerSeen, ...] = ()
    checked: float = field(default_factory=time.monotonic)

    @property
    def reachable(self) -> bool:
        return self.error is None

    @property
    def matching(self) -> int:
        return sum(1 for w in self.workers if w.matches)


def _text(data: dict[bytes, bytes], key: str, default: str = "") -> str:
    value = data.get(key.encode())
    return value.decode(errors="replace") if value is not None else default


def _seconds(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value > 0 else None


class QueueMonitor:
    def __init__(
        self, url: str, queue: Queue, fingerprint: dict[str, str], precision: str, interval: float = 0.5
    ) -> None:
        self.url = safe_url(url)
        self.queue = queue
        self.connection: redis.Redis = queue.connection
        self.weights = fingerprint["weights_sha256"]
        self.precision = precision
        self.interval = interval
        self.health: QueueHealth | None = None  # None until the first check
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="queue-monitor", daemon=True)

    def start(self) -> QueueMonitor:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def lost(self, message: str) -> None:
        """A request just failed to reach Redis: say so at once (the next check says when it is back)."""
        self.health = QueueHealth(error=message)

    def check(self) -> QueueHealth:
        try:
            with self.connection.pipeline(transaction=False) as pipe:
                pipe.llen(self.queue.key)
                pipe.zcard(StartedJobRegistry(queue=self.queue).key)
                queued, running = pipe.execute()
            keys = sorted(get_keys(queue=self.queue, connection=self.connection))
            with self.connection.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.hgetall(key)
                hashes = pipe.execute()
        except REDIS_ERRORS as exc:
            return QueueHealth(error=f"cannot reach Redis at {self.url}: {reason(exc)}")
        workers = []
        for key, data in zip(keys, hashes):
            if not data:  # registered, but its hash expired: a worker that died without saying so
                continue
            precision = _text(data, "yd_precision", "?")
            workers.append(
                WorkerSeen(
                    name=_text(data, "name", str(key).rsplit(":", 1)[-1]),
                    host=_text(data, "yd_host", _text(data, "hostname")),
                    pid=int(_text(data, "pid", "0") or 0),
                    state=_text(data, "state", "?"),
                    model=_text(data, "yd_model", "?"),
                    precision=precision,
                    matches=_text(data, "yd_weights_sha256") == self.weights and precision == self.precision,
                    seconds_per_image=_seconds(_text(data, SECONDS_FIELD)),
                )
            )
        return QueueHealth(queued=int(queued), running=int(running), workers=tuple(workers))

    def _run(self) -> None:
        while not self._stop.is_set():
            before = self.health
            try:
                self.health = self.check()
            except Exception:  # a bug, not Redis: say so in the log and keep checking
                log.exception("checking the queue failed")
                self._stop.wait(self.interval)
                continue
            if before is not None and before.reachable != self.health.reachable:
                if self.health.reachable:
                    log.warning("Redis at %s is reachable again", self.url)
                else:
                    log.warning("%s", self.health.error)
            self._stop.wait(self.interval)


@dataclass
class _Watched:
    future: Future[AsyncState]
    image: bool
    last: str = "0-0"  # the last stream entry seen ("0-0": any entry is news)


class ResultWatch:
    def __init__(self, jobs: AsyncDetections, url: str, block_ms: int = 1000, lost_check: float = 1.0) -> None:
        self.jobs = jobs
        self.url = safe_url(url)
        self.connection: redis.Redis = jobs.connection
        self.block_ms = block_ms
        self.lost_check = lost_check  # seconds between checks that watched jobs still exist (Redis restarted?)
        self.wake_key = f"yolo-desktop:front-wake:{uuid.uuid4().hex}"
        self._wake_last = "0-0"
        self._watched: dict[str, _Watched] = {}
        self._lock = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="result-watch", daemon=True)

    def start(self) -> ResultWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            self._stop = True
            watched, self._watched = self._watched, {}
            self._lock.notify()
        for item in watched.values():
            _resolve(item.future, error=Unavailable("the server is shutting down"))
        self._thread.join(self.block_ms / 1000 + 5)

    def watch(self, job_id: str, image: bool = False) -> Future[AsyncState]:
        """A future resolved with the job's final state (done, failed or unknown = lost), or with ``Unavailable``
        when Redis is lost meanwhile; cancel it to stop watching."""
        future: Future[AsyncState] = Future()
        with self._lock:
            self._watched[job_id] = _Watched(future, image)
            self._lock.notify()
        try:
            with self.connection.pipeline(transaction=False) as pipe:
                pipe.xadd(self.wake_key, {"w": "1"}, maxlen=1)  # the blocked XREAD returns, and reads this job too
                pipe.expire(self.wake_key, 3600)
                pipe.execute()
        except REDIS_ERRORS:
            pass  # the watch thread meets the same error and answers every watcher
        return future

    def _run(self) -> None:
        last_lost_check = time.monotonic()
        while True:
            with self._lock:
                while not self._watched and not self._stop:
                    self._lock.wait()
                if self._stop:
                    return
                for job_id in [k for k, w in self._watched.items() if w.future.cancelled()]:
                    del self._watched[job_id]
                streams = {result_stream(job_id): w.last for job_id, w in self._watched.items()}
            if not streams:
                continue
            streams[self.wake_key] = self._wake_last
            try:
                replies: list[Any] = self.connection.xread(streams, block=self.block_ms) or []  # type: ignore[arg-type,assignment]
                news = []
                for stream, entries in replies:
                    name = stream.decode() if isinstance(stream, bytes) else str(stream)
                    last = entries[-1][0]
                    last = last.decode() if isinstance(last, bytes) else str(last)
                    if name == self.wake_key:
                        self._wake_last = last
                        continue
                    job_id = name.rsplit(":", 1)[-1]
                    with self._lock:
                        if job_id in self._watched:
                            self._watched[job_id].last = last
                    news.append(job_id)
                if time.monotonic() - last_lost_check > self.lost_check:
                    last_lost_check = time.monotonic()
                    news += self._missing()
                for job_id in dict.fromkeys(news):
                    self._check(job_id)
            except REDIS_ERRORS as exc:
                self._fail_all(Unavailable(f"lost Redis at {self.url} while waiting for the workers: {reason(exc)}"))
                time.sleep(0.5)
            except Exception as exc:  # a bug: every waiting request is answered (502), and the thread goes on
                log.exception("waiting for the workers failed")
                self._fail_all(RequestError(f"could not read the workers' results: {exc!r}", 502))

    def _missing(self) -> list[str]:
        """Watched jobs whose hash is gone (Redis restarted empty, or the job expired)."""
        with self._lock:
            ids = list(self._watched)
        with self.connection.pipeline(transaction=False) as pipe:
            for job_id in ids:
                pipe.exists(RqJob.key_for(job_id))
            found = pipe.execute()
        return [job_id for job_id, exists in zip(ids, found) if not exists]

    def _check(self, job_id: str) -> None:
        with self._lock:
            item = self._watched.get(job_id)
        if item is None:
            return
        state = self.jobs.state(job_id, image=item.image)
        if state.finished:
            with self._lock:
                self._watched.pop(job_id, None)
            _resolve(item.future, state)

    def _fail_all(self, error: Exception) -> None:
        with self._lock:
            watched, self._watched = self._watched, {}
        for item in watched.values():
            _resolve(item.future, error=error)


def _resolve(future: Future[Any], value: Any = None, error: BaseException | None = None) -> None:
    try:
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)
    except InvalidStateError:
        pass  # cancelled meanwhile: its client went away
