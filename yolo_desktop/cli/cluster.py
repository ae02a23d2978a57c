"""``yolo-desktop worker`` and ``yolo-desktop cluster status``: argument parsing and messages only."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Any

EXIT_OK, EXIT_USAGE = 0, 2


def add_cluster_commands(commands: Any) -> None:
    from .options import MODEL, add_detector_arguments

    worker = commands.add_parser(
        "worker",
        help="process batches queued in Redis by 'detect --cluster' (and the window, and the server)",
        description="Start N worker processes that take chunks of images from a Redis queue and detect them. Each "
        "process loads the model once and keeps it. Inputs and the output folder must be visible to the workers "
        "(shared storage), under the same paths or mapped with detect --path-map.",
    )
    worker.add_argument("--redis", required=True, metavar="URL", help="e.g. redis://:PASSWORD@host:6379/0")
    worker.add_argument("-n", "--processes", type=int, default=1, metavar="N", help="worker processes (default 1)")
    # Jobs bring their input size, tiles and thresholds; the precision is the worker's (it refuses others).
    add_detector_arguments(worker, (*MODEL, "precision", "engine"))
    worker.add_argument("--queue", default="yolo-desktop", help="queue name (default yolo-desktop)")
    worker.add_argument(
        "--heartbeat",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="heartbeat while working; a worker silent for 3 heartbeats is dead and its chunk is re-run (default 10)",
    )
    worker.add_argument("--burst", action="store_true", help="quit when the queue is empty")

    cluster = commands.add_parser("cluster", help="the state of queued batches and workers")
    cluster_commands = cluster.add_subparsers(dest="cluster_command", metavar="ACTION", required=True)
    status = cluster_commands.add_parser(
        "status",
        help="queued / running / done / failed chunks and the workers alive",
        description="Chunks queued, running, waiting to retry, finished and failed (all batches, or one: BATCH is "
        "the id 'detect --cluster' prints, or its output folder), and every worker alive with its model.",
    )
    status.add_argument("batch", nargs="?", metavar="BATCH", help="batch id or output folder (default: all)")
    status.add_argument("--redis", required=True, metavar="URL")
    status.add_argument("--queue", default="yolo-desktop")
    status.add_argument("--json", action="store_true", help="machine-readable")


def run_cluster_command(args: argparse.Namespace) -> int:
    from ..cluster.connection import RedisUnavailable

    try:
        if args.command == "worker":
            return run_worker(args)
        return run_status(args)
    except RedisUnavailable as exc:
        print(f"yolo-desktop {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def run_worker(args: argparse.Namespace) -> int:
    from ..cluster.connection import connect
    from ..cluster.worker import WorkerConfig, run_pool
    from ..inference.darknet_cfg import parse_cfg
    from ..inference.engines.base import check_engine
    from ..inference.errors import ModelError
    from ..inference.model_spec import check_files, class_names, model_fingerprint
    from .options import detector_choice

    def fail(message: str) -> int:
        print(f"yolo-desktop worker: error: {message}", file=sys.stderr)
        return EXIT_USAGE

    if args.processes < 1:
        return fail("-n must be at least 1")
    if args.processes > 1:  # processes × engine threads stay within the cores (as serve --workers), unless told
        os.environ.setdefault("YOLO_DESKTOP_THREADS", str(max(1, (os.cpu_count() or 1) // args.processes)))
    # A worker runs for days: its log lines get a time stamp (rq's own lines included).
    logging.basicConfig(format="%(asctime)s %(message)s", datefmt="%Y-%m-%d %H:%M:%S", force=True)
    logging.getLogger("yolo_desktop").setLevel(logging.INFO)
    connect(args.redis)  # a wrong URL or password is said now, in one line, not by N processes
    try:
        choice = detector_choice(args)
        model, precision = choice.model, choice.settings.precision
        check_files(model)
        class_names(model)  # a names file that does not fit the model is said now, not by every job
        check_engine(choice.engine, model.format)
        if model.cfg is not None and choice.engine not in ("keras", "opencv"):
            cfg = parse_cfg(model.cfg)
            from ..inference.converted import ensure_converted

            # Once here, before the processes start: N processes must not each convert (TensorFlow) at once. The
            # float32 file serves OpenVINO (every precision) and LiteRT accurate; LiteRT fast has its own.
            for converted in dict.fromkeys(("accurate", precision)):
                ensure_converted(
                    model.name, cfg, model.cfg, model.weights, converted, log=lambda m: print(m, file=sys.stderr)
                )
        fingerprint = model_fingerprint(model)
    except (ModelError, ValueError, OSError) as exc:
        return fail(str(exc))
    config = WorkerConfig(model, fingerprint, precision, choice.engine, args.heartbeat)
    return run_pool(args.redis, config, args.processes, args.queue, burst=args.burst)


def run_status(args: argparse.Namespace) -> int:
    from ..cluster.connection import connect
    from ..cluster.status import format_status, queue_status, status_record

    status = queue_status(connect(args.redis), args.queue, args.batch)
    if args.json:
        print(json.dumps(status_record(status), indent=1))
    else:
        print(format_status(status))
    return EXIT_OK
