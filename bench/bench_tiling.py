"""Tiled detection on high-resolution photos: COCO mAP and time per photo, tiles against no tiles.

No labelled high-resolution set ships, so one is built from the labelled COCO sample (``../shared/data/
coco-train-sample``): *mosaics*, 3×3 and 4×4 photos on one canvas (cells of 640×480, so 1920×1440 and 2560×1920;
each photo centred in its cell at its own size, or shrunk to fit; the boxes moved with it), and the photos
themselves *upscaled ×3* (boxes ×3). The reference is the same photos detected one by one (what the mosaics' objects
would score at their own size). Every variant detects at conf 0.005, NMS IoU 0.45, the 100 best per photo, as COCO
evaluates (``evaluate.py``) — a mosaic of k photos k × 100, else it would be scored on a fraction of the detections
its photos get one by one.

Variants: no tiles; tiles of each ``--sizes`` (photo pixels; ``auto`` too) as the app runs them (the whole-photo run,
the tiles' boxes cut by an inner tile edge dropped: ``tiling.uncut``), without the whole-photo run, and with the cut
boxes kept (each a pipeline run of its own, timed); both merge rules for an object found by two runs — ``ios``, the
app's (a box covered by a better box of its class from another run, intersection over the smaller box > 0.5, is
dropped: ``inference/nms.py``) and ``nmm``, SAHI's greedy non-maximum merge (the better box grows to the union of the
boxes it covers). Merge rules change only the selection, so they are computed from the same candidates.

Time per photo: the wall time of a pipeline run over the set (decoding, letterboxing and the network overlapped as
in a CLI batch) divided by the photos; the median and range of ``--repeats`` runs, interleaved. ``runs`` is network
runs per photo; ``t / runs·t0`` compares the time with what that many untiled runs of the set take (≤ 1: tiles cost
no more than their network runs predict).

    .venv/bin/python bench/bench_tiling.py [--repeats 3] [--sizes 416,624,832] [--limit N]
        [--upscaled N | --no-upscaled]

``auto`` may be one of the sizes; at 416 it tiles every photo here with 624 px tiles. Quick check (what a helper
runs): ``--repeats 1 --limit 2 --sizes 624 --upscaled 3``. mAP is deterministic (one run is its figure); times are
the median and range of the repeats. The table in DEVELOPERS.md ("Tiled detection") comes from this script.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from yolo_desktop.evaluation.coco import COCO_MAX_DETECTIONS, EVAL_CONF, coco_map, detection_records  # noqa: E402
from yolo_desktop.export.coco import category_ids  # noqa: E402
from yolo_desktop.geometry import clip, empty, ios  # noqa: E402
from yolo_desktop.inference.decode import select  # noqa: E402
from yolo_desktop.inference.detector import Detector  # noqa: E402
from yolo_desktop.inference.nms import TILE_MERGE_IOS, batched_nms  # noqa: E402
from yolo_desktop.models.installed import find_model  # noqa: E402
from yolo_desktop.pipeline.run import Job, Pipeline  # noqa: E402
from yolo_desktop.results import Candidates, Detections, ImageResult  # noqa: E402
from yolo_desktop.settings import DetectorSettings  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
import doc_tables  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "coco-train-sample"
CELL = (640, 480)  # (width, height) of a mosaic's cell
GRAY = 114  # mosaic background


@dataclass(frozen=True)
class Set:
    """Labelled photos on disk: a COCO instances file and the (image id, path) pairs it lists."""

    name: str
    annotations: Path
    files: tuple[tuple[int, Path], ...]  # (COCO image id, file)
    photos: int = 1  # labelled photos per image: a mosaic of k may keep k × 100 detections, as k photos would


# ----- building the sets ------------------------------------------------------------------------------------


def _write_set(name: str, folder: Path, images: list[dict], annotations: list[dict], categories: list) -> Path:
    path = folder / f"{name}.json"
    path.write_text(json.dumps({"images": images, "annotations": annotations, "categories": categories}))
    return path


def build_mosaics(source: dict, folder: Path, grid: int, limit: int | None) -> tuple[Set, list[int]]:
    """grid × grid photos per canvas; returns the set and the source image ids used (the reference's photos)."""
    by_image: dict[int, list[dict]] = {}
    for annotation in source["annotations"]:
        by_image.setdefault(annotation["image_id"], []).append(annotation)
    photos = source["images"]
    per = grid * grid
    count = len(photos) // per if limit is None else min(limit, len(photos) // per)
    images, annotations, files, used = [], [], [], []
    for m in range(count):
        canvas = np.full((CELL[1] * grid, CELL[0] * grid, 3), GRAY, np.uint8)
        mosaic_id = 10_000_000 + grid * 100_000 + m
        for k, photo in enumerate(photos[m * per : (m + 1) * per]):
            pixels = cv2.imread(str(DATA / "images" / photo["file_name"]), cv2.IMREAD_COLOR)
            height, width = pixels.shape[:2]
            scale = min(1.0, CELL[0] / width, CELL[1] / height)
            if scale < 1.0:
                pixels = cv2.resize(pixels, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
            h, w = pixels.shape[:2]
            x0 = (k % grid) * CELL[0] + (CELL[0] - w) // 2
            y0 = (k // grid) * CELL[1] + (CELL[1] - h) // 2
            canvas[y0 : y0 + h, x0 : x0 + w] = pixels
            used.append(photo["id"])
            for a in by_image.get(photo["id"], []):
                bx, by, bw, bh = a["bbox"]
                annotations.append(
                    {
                        **a,
                        "id": len(annotations) + 1,
                        "image_id": mosaic_id,
                        "bbox": [bx * scale + x0, by * scale + y0, bw * scale, bh * scale],
                        "area": a["area"] * scale * scale,
                        "segmentation": [],
                    }
                )
        path = folder / f"mosaic{grid}x{grid}_{m:03d}.jpg"
        cv2.imwrite(str(path), canvas, [cv2.IMWRITE_JPEG_QUALITY, 95])
        images.append({"id": mosaic_id, "file_name": path.name, "width": canvas.shape[1], "height": canvas.shape[0]})
        files.append((mosaic_id, path))
    name = f"mosaics {grid}×{grid}"
    annotations_path = _write_set(f"mosaic{grid}", folder, images, annotations, source["categories"])
    return Set(name, annotations_path, tuple(files), per), used


def build_upscaled(source: dict, folder: Path, ids: Sequence[int], factor: int = 3) -> Set:
    wanted = set(ids)
    images, annotations, files = [], [], []
    for photo in source["images"]:
        if photo["id"] not in wanted:
            continue
        pixels = cv2.imread(str(DATA / "images" / photo["file_name"]), cv2.IMREAD_COLOR)
        pixels = cv2.resize(pixels, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
        path = folder / f"x{factor}_{photo['file_name']}"
        cv2.imwrite(str(path), pixels, [cv2.IMWRITE_JPEG_QUALITY, 95])
        images.append({**photo, "file_name": path.name, "width": pixels.shape[1], "height": pixels.shape[0]})
        files.append((photo["id"], path))
    for a in source["annotations"]:
        if a["image_id"] in wanted:
            annotations.append(
                {**a, "bbox": [v * factor for v in a["bbox"]], "area": a["area"] * factor**2, "segmentation": []}
            )
    annotations_path = _write_set(f"x{factor}", folder, images, annotations, source["categories"])
    return Set(f"photos ×{factor}", annotations_path, tuple(files))


def originals(source: dict, ids: Sequence[int]) -> Set:
    wanted = set(ids)
    files = tuple((p["id"], DATA / "images" / p["file_name"]) for p in source["images"] if p["id"] in wanted)
    return Set("the photos one by one", DATA / "instances.json", files)


# ----- selection by SAHI's greedy non-maximum merge ---------------------------------------------------------


def select_nmm(
    candidates: Candidates, settings: DetectorSettings, names: Sequence[str], width: int, height: int
) -> Detections:
    """As ``decode.select``, but a box covered (IoS > 0.5) by a better box of its class from another run is merged
    into it: the better box becomes the union of the two (SAHI's GREEDYNMM with the IOS metric)."""
    assert candidates.sources is not None
    indices = np.flatnonzero(candidates.scores >= settings.conf)
    if indices.size == 0:
        return Detections.empty(names)
    boxes, scores = candidates.boxes[indices], candidates.scores[indices]
    classes, sources = candidates.class_ids[indices], candidates.sources[indices]
    kept = batched_nms(boxes, scores, classes, settings.iou)
    kept = kept[np.argsort(-scores[kept], kind="stable")]
    boxes, scores, classes, sources = boxes[kept].copy(), scores[kept], classes[kept], sources[kept]
    alive = np.ones(len(kept), bool)
    for i in range(len(kept)):
        if not alive[i]:
            continue
        later = np.arange(i + 1, len(kept))
        covered = later[
            alive[later]
            & (classes[later] == classes[i])
            & (sources[later] != sources[i])
            & (ios(boxes[i : i + 1], boxes[later])[0] > TILE_MERGE_IOS)
        ]
        if covered.size:
            alive[covered] = False
            group = np.vstack([boxes[i : i + 1], boxes[covered]])
            boxes[i] = [group[:, 0].min(), group[:, 1].min(), group[:, 2].max(), group[:, 3].max()]
    merged = np.flatnonzero(alive)
    boxes = clip(boxes[merged], width, height)
    shown = np.flatnonzero(~empty(boxes))[: settings.max_detections]
    return Detections(boxes[shown], scores[merged][shown], classes[merged][shown], tuple(names))


# ----- measuring --------------------------------------------------------------------------------------------


def run(
    detector: Detector,
    files: Sequence[tuple[int, Path]],
    settings: DetectorSettings,
    whole: bool = True,
    keep_cut: bool = False,
) -> tuple[list[ImageResult], float, int]:
    pipeline = Pipeline(detector, whole_photo=whole, keep_cut=keep_cut)
    start = time.perf_counter()
    jobs = (Job.file(str(path), tag=i, settings=settings) for i, path in files)
    results = [done.result for done in pipeline.run(jobs)]
    return results, time.perf_counter() - start, pipeline.network_runs


def score(results: Sequence[ImageResult], dataset: Set, names: Sequence[str], rule: str) -> tuple[float, float]:
    categories = category_ids(names)
    limit = COCO_MAX_DETECTIONS * dataset.photos
    settings = DetectorSettings(conf=EVAL_CONF, max_detections=limit)
    records: list[dict[str, Any]] = []
    for result, (image_id, _path) in zip(results, dataset.files):
        assert result.ok and result.candidates is not None, result.error
        choose = select_nmm if rule == "nmm" and result.candidates.tiled else select
        shown = replace(result, detections=choose(result.candidates, settings, names, result.width, result.height))
        records += detection_records(shown, image_id, categories, limit)
    return coco_map(dataset.annotations, records, [i for i, _ in dataset.files], limit)


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def measure_set(detector: Detector, dataset: Set, sizes: Sequence[str], repeats: int) -> list[dict[str, Any]]:
    # (tiles, whole-photo run, cut boxes kept): the app's way, then each of its choices undone.
    Variant = tuple[str, bool, bool]
    variants: list[Variant] = [("off", True, False)]
    variants += [v for s in sizes for v in ((s, True, False), (s, False, False), (s, True, True))]
    times: dict[Variant, list[float]] = {v: [] for v in variants}
    kept: dict[Variant, tuple[list[ImageResult], int]] = {}
    for _ in range(repeats):  # interleaved, so a busy moment of the machine spreads over every variant
        for variant in variants:
            tiles, whole, keep_cut = variant
            limit = COCO_MAX_DETECTIONS * dataset.photos
            settings = replace(detector.settings, conf=EVAL_CONF, max_detections=limit, tiles=tiles)
            results, seconds, runs = run(detector, dataset.files, settings, whole, keep_cut)
            times[variant].append(seconds / len(dataset.files))
            kept[variant] = (results, runs)
    t0 = statistics.median(times[variants[0]])
    rows = []
    for variant in variants:
        tiles, whole, keep_cut = variant
        results, runs = kept[variant]
        rules = ("ios",) if tiles == "off" or keep_cut else ("ios", "nmm")
        for rule in rules:
            map50, map50_95 = score(results, dataset, detector.names, rule)
            per_photo = runs / len(dataset.files)
            seconds = times[variant]
            rows.append(
                {
                    "set": dataset.name,
                    "tiles": tiles,
                    "whole": whole,
                    "cut": "kept" if keep_cut else ("dropped" if tiles != "off" else ""),
                    "rule": rule if tiles != "off" else "",
                    "map50": map50,
                    "map50_95": map50_95,
                    "runs": per_photo,
                    "seconds": seconds,
                    "vs_runs": statistics.median(seconds) / (per_photo * t0),
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default="416,624,832", help="tile sizes (photo pixels) and/or auto")
    parser.add_argument("--grids", default="3,4", help="mosaic grids (3: 3×3 photos)")
    parser.add_argument("--limit", type=int, help="at most this many mosaics of each grid (default: all photos)")
    parser.add_argument("--no-upscaled", action="store_true", help="leave out the photos upscaled ×3")
    parser.add_argument("--upscaled", type=int, help="at most this many photos upscaled ×3 (default: the mosaics')")
    parser.add_argument("--model", default="yolov3-tiny")
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "results" / "tiling.json")
    parser.add_argument("--write-docs", action="store_true", help="also write the table into docs/benchmarks.md")
    args = parser.parse_args()
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]

    source = json.loads((DATA / "instances.json").read_text())
    detector = Detector(find_model(args.model))
    print(f"{args.model} at {detector.input_size}, {detector.engine_summary}", flush=True)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-tiling-") as temp:
        folder = Path(temp)
        used: set[int] = set()
        for grid in (int(g) for g in args.grids.split(",")):
            mosaic, ids = build_mosaics(source, folder, grid, args.limit)
            used.update(ids)
            # The reference: the same photos, each detected on its own at its own size.
            reference = replace(originals(source, ids), name=f"{mosaic.name}: its photos one by one")
            print(f"{mosaic.name}: {len(mosaic.files)} mosaics of {len(ids)} photos", flush=True)
            rows += measure_set(detector, reference, [], args.repeats)
            rows += measure_set(detector, mosaic, sizes, args.repeats)
        if not args.no_upscaled:
            chosen = sorted(used)[: args.upscaled]
            upscaled = build_upscaled(source, folder, chosen)
            print(f"{upscaled.name}: {len(upscaled.files)} photos", flush=True)
            rows += measure_set(detector, replace(originals(source, chosen), name="photos ×1"), [], args.repeats)
            rows += measure_set(detector, upscaled, sizes, args.repeats)

    lines = [
        f"| set | tiles | whole photo | cut boxes | merge | mAP@0.5 | mAP@0.5:0.95 | runs/photo | "
        f"s/photo, median of {args.repeats} (min–max) | t / runs·t0 |",
        "|---|---|---|---|---|---:|---:|---:|---:|---:|",
        *(
            f"| {r['set']} | {r['tiles']} | {'yes' if r['whole'] else 'no'} | {r['cut']} | {r['rule']} | "
            f"{r['map50']:.3f} | {r['map50_95']:.3f} | {r['runs']:.1f} | {_spread(r['seconds'])} | {r['vs_runs']:.2f} |"
            for r in rows
        ),
        "",
        f"{args.model} at {detector.input_size}, {detector.engine_summary}. t0: the untiled time per photo of the same "
        "set; t / runs·t0 below 1: the photo is decoded once for all its runs.",
    ]
    print("\n" + "\n".join(lines))
    if args.write_docs:
        doc_tables.write("tiling-bench", lines)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
