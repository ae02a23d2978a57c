"""The service's settings, as given to ``yolo-desktop serve``. Plain data: it travels to uvicorn's worker
processes (which start afresh, never forked with a model in memory) as JSON in an environment variable."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields

from ..settings import DEFAULT_RESIZE, DetectorSettings

CONFIG_ENV = "YOLO_DESKTOP_SERVE_CONFIG"


@dataclass(frozen=True)
class ServiceConfig:
    host: str = "127.0.0.1"
    port: int = 5001
    workers: int = 1
    model: str | None = None  # an installed model's name; None → the default model
    cfg: str | None = None  # or the user's own three files (given on the command line, never by a request)
    weights: str | None = None
    names: str | None = None
    size: int | None = None  # network input; None → the cfg's
    precision: str = "accurate"
    resize: str = DEFAULT_RESIZE
    engine: str = "auto"
    api_key: str | None = field(default=None, repr=False)
    max_upload_mb: float = 50.0
    queue: int = 8  # requests waiting for the model beyond the one being processed (with ``redis``: jobs waiting
    # in the Redis queue for a worker); more → 503
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

    def default_settings(self) -> DetectorSettings:
        """The detector settings a request gets unless it asks otherwise (the CLI's defaults)."""
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
