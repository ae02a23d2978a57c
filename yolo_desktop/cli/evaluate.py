"""``yolo-desktop evaluate``: COCO mAP of a model on the user's own labelled photos."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from tqdm import tqdm

from ..evaluation.coco import COCO_MAX_DETECTIONS, EVAL_CONF, DatasetError, evaluate, load_dataset
from ..inference.detector import Detector
from ..inference.errors import ModelError
from ..settings import TILES_OFF, SettingsError
from .options import detector_choice

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def run_evaluate(args: argparse.Namespace) -> int:
    try:
        dataset = load_dataset(args.images, args.annotations)
        choice = detector_choice(args)
        # COCO's evaluation keeps every detection down to a low score (its own thresholds, not the app's).
        settings = replace(choice.settings, conf=EVAL_CONF, max_detections=COCO_MAX_DETECTIONS)
        detector = Detector.chosen(
            replace(choice, settings=settings), log=lambda message: print(message, file=sys.stderr)
        )
    except (DatasetError, SettingsError, ModelError, ValueError) as exc:
        print(f"yolo-desktop evaluate: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        import pycocotools  # noqa: F401
    except ImportError:
        print("yolo-desktop evaluate: error: needs pycocotools (pip install pycocotools)", file=sys.stderr)
        return EXIT_USAGE
    with tqdm(total=len(dataset.files), unit="img", file=sys.stderr, dynamic_ncols=True) as bar:
        accuracy, _results = evaluate(detector, detector.names, dataset, on_result=lambda _r: bar.update(1))
    tiles = "" if settings.tiles == TILES_OFF else f", tiles {settings.tiles}"
    print(
        f"{detector.model.name} at {detector.input_size}, {settings.precision}, {detector.engine.description}, "
        f"resize {settings.resize}{tiles}: {accuracy.images} photos, {accuracy.detections} detections"
    )
    print(f"mAP@0.5       {accuracy.map50 * 100:.1f}")
    print(f"mAP@0.5:0.95  {accuracy.map50_95 * 100:.1f}")
    for path, reason in accuracy.failed:
        print(f"failed: {path}: {reason}", file=sys.stderr)
    return EXIT_FAILED if accuracy.failed else EXIT_OK
