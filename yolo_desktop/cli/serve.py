"""``yolo-desktop serve``: the HTTP service on uvicorn (see ``service/``).

Everything that can be checked without loading the model is checked here, before a port is bound (exit code 2
with the reason). Each worker process then loads the model once, in the background (``/v2/health/ready`` says
when). Workers × engine threads stay within the cores unless ``YOLO_DESKTOP_THREADS`` says otherwise.

With ``--redis`` the server is a light front: it loads no model (queue workers do), and Redis is reached once here
so a wrong URL or password is one line naming it (password hidden), exit code 2.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys

from ..inference.errors import ModelError
from ..inference.model_spec import check_files
from ..service.config import CONFIG_ENV, DEFAULT_REDIS_QUEUE, ServiceConfig
from ..settings import SettingsError
from .options import detector_choice

EXIT_USAGE = 2
API_KEY_ENV = "YOLO_DESKTOP_API_KEY"
REDIS_ENV = "YOLO_DESKTOP_REDIS_URL"
THREADS_ENV = "YOLO_DESKTOP_THREADS"


def _fail(message: str) -> int:
    print(f"yolo-desktop serve: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def config_from_args(args: argparse.Namespace) -> ServiceConfig:
    """Raises ValueError (SettingsError, ModelError) with the message for the user."""
    api_key = args.api_key if args.api_key is not None else os.environ.get(API_KEY_ENV) or None
    if api_key is not None and not api_key.strip():
        raise ValueError("--api-key must not be empty")
    if args.workers < 1:
        raise ValueError("--workers must be at least 1")
    redis_url = args.redis if args.redis is not None else os.environ.get(REDIS_ENV) or None
    queue = args.queue if args.queue is not None else DEFAULT_REDIS_QUEUE if redis_url else None
    if queue is not None and queue < 0:
        raise ValueError("--queue must be 0 or more")
    if not args.max_wait > 0:
        raise ValueError("--max-wait must be above 0 seconds")
    if not args.queue_name.strip():
        raise ValueError("--queue-name must not be empty")
    if args.max_upload_mb <= 0:
        raise ValueError("--max-upload-mb must be above 0")
    if args.upload_memory_mb is not None and args.upload_memory_mb < args.max_upload_mb:
        raise ValueError(
            f"--upload-memory-mb {args.upload_memory_mb:g} must be at least --max-upload-mb "
            f"({args.max_upload_mb:g}): the largest upload must fit"
        )
    if not 0 < args.port < 65536:
        raise ValueError(f"--port {args.port} must be between 1 and 65535")
    choice = detector_choice(args)  # valid settings; the model installed, or given by its files
    front = " (a light front loads no model, but checks with them that the workers run the same one)"
    check_files(choice.model, front if redis_url else "")
    if redis_url:
        from ..cluster.connection import connect

        connect(redis_url).close()  # RedisUnavailable: one line naming the URL, its password hidden
    return ServiceConfig(
        host=args.host,
        port=args.port,
        workers=args.workers,
        model=args.model,
        cfg=os.path.abspath(args.cfg) if args.cfg else None,
        weights=os.path.abspath(args.weights) if args.weights else None,
        names=os.path.abspath(args.names) if args.names else None,
        onnx=os.path.abspath(args.onnx) if args.onnx else None,
        size=choice.settings.size,
        precision=choice.settings.precision,
        resize=choice.settings.resize,
        engine=choice.engine,
        api_key=api_key,
        max_upload_mb=args.max_upload_mb,
        max_wait=args.max_wait,
        upload_memory_mb=args.upload_memory_mb,
        queue=queue,
        redis=redis_url,
        queue_name=args.queue_name,
    )


def run_serve(args: argparse.Namespace) -> int:
    from ..cluster.connection import RedisUnavailable, safe_url

    try:
        config = config_from_args(args)
    except (SettingsError, ModelError, ValueError, RedisUnavailable) as exc:
        return _fail(str(exc))
    import uvicorn

    os.environ[CONFIG_ENV] = config.to_env()  # uvicorn's workers start afresh and read it (never forked)
    if THREADS_ENV not in os.environ:
        os.environ[THREADS_ENV] = str(max(1, (os.cpu_count() or 1) // config.workers))
    if not _loopback(config.host) and config.api_key is None:
        print(
            f"yolo-desktop serve: warning: listening on {config.host} without --api-key: anyone who can reach "
            f"this machine can use the service",
            file=sys.stderr,
        )
    if config.redis:
        what = (
            f"a light front: queue workers on '{config.queue_name}' at {safe_url(config.redis)} detect); "
            f"ready when /v2/health/ready sees one alive"
        )
    else:
        what = (
            f"{os.environ[THREADS_ENV]} engine thread(s) each); the model loads in the background: "
            f"ready when /v2/health/ready says so"
        )
    print(
        f"Serving on http://{config.host}:{config.port} ({config.workers} worker(s), {what}. Ctrl+C stops.",
        file=sys.stderr,
    )
    uvicorn.run(
        "yolo_desktop.service.app:app_from_env",
        factory=True,
        host=config.host,
        port=config.port,
        workers=config.workers,
        log_level=args.log_level,
        access_log=args.log_level in ("debug", "info"),
        timeout_graceful_shutdown=10,
    )
    return 0
