"""The service's settings, as given to ``yolo-desktop serve``. Plain data: it travels to uvicorn's worker
processes (which start afresh, never forked with a model in memory) as JSON in an environment variable."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields

from ..settings import DEFAULT_ENGINE, DEFAULTS, DetectorSettings

CONFIG_ENV = "YOLO_DESKTOP_SERVE_CONFIG"
DEFAULT_UPLOAD_MEMORY_MB = 512  # ~1,000 camera snapshots or phone photos; 10 of the largest uploads (50 MB)
DEFAULT_REDIS_QUEUE = 64  # jobs waiting in Redis with ``serve --redis`` (Redis holds their uploads)


@dataclass(frozen=True)
class ServiceConfig:
    host: str = "127.0.0.1"
    port: int = 5001
    workers: int = 1
    model: str | None = None  # an installed model's name; None → the default model
    cfg: str | None = None  # or the user's own three files (given on the command line, never by a request)
    weights: str | None = None
    names: str | None = None
    onnx: str | None = None  # or the user's own ONNX export (+ ``names`` when its metadata lacks them)
    size: int | None = DEFAULTS.size  # network input; None → the cfg's
    precision: str = DEFAULTS.precision
    resize: str = DEFAULTS.resize
    engine: str = DEFAULT_ENGINE
    api_key: str | None = field(default=None, repr=False)
    max_upload_mb: float = 50.0
    # A request is refused (503) when it would wait longer than this for the images ahead of it (``admission``).
    max_wait: float = 10.0
    # Uploads held in memory per process (being received or waiting): at most this many MB; None → the default.
    upload_memory_mb: float | None = None
    # Without ``redis``: an optional hard cap on the requests held per process (None: none, ``max_wait`` and the
    # memory budget decide). With ``redis``: the jobs that may wait in the Redis queue (it holds their uploads).
    queue: int | None = None
    max_models: int = 3  # detectors kept per process (the default one is never evicted)
    keep_results: int = 256  # stored results for /view/<id> and /v1/results/<id>: at most this many…
    keep_mb: float = 256.0  # …holding at most this many megabytes…
    keep_minutes: float = 60.0  # …each for at most this long
    # ``serve --redis``: a light front that loads no model; queue workers detect (``queue_backend``). The URL may
    # hold the Redis password: never printed (``cluster.connection.safe_url``).
    redis: str | None = field(default=None, repr=False)
    queue_name: str = "yolo-desktop"  # the workers' ``--queue``

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def upload_memory_bytes(self) -> int:
        """The budget for uploads held in memory: ``upload_memory_mb``, else 512 MB or two of the largest uploads."""
        if self.upload_memory_mb is not None:
            return int(self.upload_memory_mb * 1024 * 1024)
        return max(DEFAULT_UPLOAD_MEMORY_MB * 1024 * 1024, 2 * self.max_upload_bytes)

    @property
    def redis_queue(self) -> int:
        """With ``redis``: the jobs that may wait in the Redis queue for a worker."""
        return self.queue if self.queue is not None else DEFAULT_REDIS_QUEUE

    def default_settings(self) -> DetectorSettings:
        """The detector settings a request gets unless it asks otherwise (``DetectOptions.settings``): the server's
        network and resize, the command line's defaults for the rest."""
        return DetectorSettings(size=self.size, precision=self.precision, resize=self.resize)

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> ServiceConfig:
        raw = os.environ.get(CONFIG_ENV)
        if not raw:
            return cls()
        data = json.loads(raw)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
