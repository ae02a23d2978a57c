"""Accuracy against labelled photos: COCO mAP (pycocotools) of a detector on a COCO-format dataset.

Used by ``bench/bench_accuracy.py`` and the accuracy guard tests, where pycocotools itself is the reference (it is a
test dependency: imported only here, only when called). ``yolo-desktop evaluate`` and the window's Evaluate panel
score with the app's own metric (``scoring.py``), tested equal to pycocotools.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..export.coco import category_ids
from ..pipeline.run import Job, Pipeline, Runner
from ..results import ImageResult

# COCO's own evaluation keeps the 100 best detections per image; more only slows pycocotools down.
COCO_MAX_DETECTIONS = 100
# mAP is computed from every box down to a very low score (thresholds would cut the precision-recall curve short).
EVAL_CONF = 0.005


class DatasetError(ValueError):
    """A labelled dataset that cannot be used; the message names the file."""


@dataclass(frozen=True)
class Dataset:
    images_dir: Path
    annotations: Path
    files: tuple[tuple[int, Path], ...]  # (COCO image id, photo path) in the JSON's order


@dataclass(frozen=True)
class Accuracy:
    map50: float  # COCO mAP at IoU 0.5, 0..1
    map50_95: float  # COCO mAP averaged over IoU 0.5:0.95, 0..1
    images: int
    detections: int
    failed: tuple[tuple[str, str], ...]


def load_dataset(images_dir: str | os.PathLike[str], annotations: str | os.PathLike[str]) -> Dataset:
    images_dir, annotations = Path(images_dir), Path(annotations)
    try:
        document = json.loads(annotations.read_text(encoding="utf-8"))
        entries = [(int(image["id"]), images_dir / str(image["file_name"])) for image in document["images"]]
    except OSError as exc:
        raise DatasetError(f"{annotations}: cannot read: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{annotations}: not a COCO instances file ({exc!r})") from None
    if not entries:
        raise DatasetError(f"{annotations}: lists no images")
    return Dataset(images_dir, annotations, tuple(entries))


def detection_records(
    result: ImageResult, image_id: int, categories: Sequence[int], limit: int = COCO_MAX_DETECTIONS
) -> list[dict[str, Any]]:
    """COCO 'results' records (bbox x, y, w, h) of one image, best first, at most ``limit``."""
    return [
        {
            "image_id": image_id,
            "category_id": categories[d.class_id],
            "bbox": [d.x1, d.y1, d.width, d.height],
            "score": d.score,
        }
        for d in result.detections[:limit]
    ]


def coco_map(
    annotations: Path,
    records: list[dict[str, Any]],
    image_ids: Iterable[int],
    max_detections: int = COCO_MAX_DETECTIONS,
) -> tuple[float, float]:
    """(mAP@0.5, mAP@0.5:0.95) of ``records`` against the ground truth, over ``image_ids``, counting at most
    ``max_detections`` per image (COCO's 100; a mosaic of k photos deserves k × 100)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints its progress
        truth = COCO(str(annotations))
        if not records:
            return 0.0, 0.0
        found = truth.loadRes(records)
        evaluation = COCOeval(truth, found, "bbox")
        evaluation.params.imgIds = sorted(image_ids)
        evaluation.params.maxDets = [1, 10, max_detections]
        evaluation.evaluate()
        evaluation.accumulate()
    # What COCOeval.summarize reports as stats[1] and stats[0] (it would only look at 100 detections per image):
    # precision (IoU thresholds, recall points, classes, area ranges, max detections), -1 where nothing to score.
    precision = evaluation.eval["precision"][:, :, :, 0, -1]  # every area, the largest max detections

    def mean(values: Any) -> float:
        scored = values[values > -1]
        return float(scored.mean()) if scored.size else 0.0

    return max(mean(precision[0]), 0.0), max(mean(precision), 0.0)  # iouThrs[0] is 0.5


def evaluate(
    runner: Runner, names: Sequence[str], dataset: Dataset, on_result: Callable[[ImageResult], None] | None = None
) -> tuple[Accuracy, list[ImageResult]]:
    """Detect every photo of ``dataset`` (with the runner's own settings: use a low confidence, e.g. 0.005) and
    score the detections with pycocotools."""
    categories = category_ids(names)
    records: list[dict[str, Any]] = []
    results: list[ImageResult] = []
    jobs = (Job.file(str(path), tag=image_id) for image_id, path in dataset.files)
    for done in Pipeline(runner).run(jobs):
        results.append(done.result)
        if done.result.ok:
            records += detection_records(done.result, done.job.tag, categories)
        if on_result is not None:
            on_result(done.result)
    failed = tuple((r.path, r.error or "") for r in results if not r.ok)
    map50, map50_95 = coco_map(dataset.annotations, records, (image_id for image_id, _ in dataset.files))
    return Accuracy(map50, map50_95, len(results), len(records), failed), results
