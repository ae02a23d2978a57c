"""Tiles in flight: ``--tiles 640`` on a 1920×1440 photo, the tiles one after another (lanes 1: as before issue 25)
against two lanes (two engines of one thread each, side by side: engines/lanes.py), same detector, same run.

The photo: 12 of scikit-image's photos in a 4×3 grid at 480×480 each (1920×1440), written as a JPEG. Each round runs
both, interleaved; a figure is the median (min–max) of --runs rounds. Detections must be the same objects (boxes
within 0.05 px, scores within 1e-4): then the mAP is the same by construction.

    .venv/bin/python bench/bench_tile_lanes.py [--runs 7] [--engine auto] [--write-docs]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from yolo_desktop.inference.detector import Detector  # noqa: E402
from yolo_desktop.models.installed import find_model  # noqa: E402
from yolo_desktop.pipeline.run import Job, Pipeline  # noqa: E402
from yolo_desktop.settings import DetectorSettings  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
import doc_tables  # noqa: E402

PHOTOS = (
    "astronaut.png", "coffee.png", "chelsea.png", "motorcycle_left.png", "rocket.jpg", "camera.png",
    "motorcycle_right.png", "coins.png", "hubble_deep_field.jpg", "ihc.png", "retina.jpg", "horse.png",
)  # fmt: skip


def make_photo(path: Path) -> Path:
    import skimage

    data = Path(skimage.__file__).parent / "data"
    cells = []
    for name in PHOTOS:
        image = cv2.imread(str(data / name), cv2.IMREAD_COLOR)
        cells.append(cv2.resize(image, (480, 480), interpolation=cv2.INTER_AREA))
    grid = np.vstack([np.hstack(cells[row * 4 : row * 4 + 4]) for row in range(3)])
    cv2.imwrite(str(path), grid, [cv2.IMWRITE_JPEG_QUALITY, 92])
    return path


def spread(values: list[float], digits: int = 3) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--engine", default="auto")
    parser.add_argument("--tiles", default="640")
    doc_tables.add_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        photo = make_photo(Path(tmp) / "grid-1920x1440.jpg")
        detector = Detector(find_model("yolov3-tiny"), DetectorSettings(tiles=args.tiles), engine=args.engine)
        jobs = [Job.file(str(photo))]
        pipelines = {1: Pipeline(detector, lanes=1), 2: Pipeline(detector, lanes=2)}
        results = {lanes: next(iter(p.run(jobs))) for lanes, p in pipelines.items()}  # warm-up (builds the lanes)
        seconds: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(args.runs):
            for lanes, pipeline in pipelines.items():
                start = time.perf_counter()
                results[lanes] = next(iter(pipeline.run(jobs)))
                seconds[lanes].append(time.perf_counter() - start)
    one, two = results[1].result.detections, results[2].result.detections
    same = list(one.class_ids) == list(two.class_ids) and (
        len(one) == 0 or (np.abs(one.boxes - two.boxes).max() <= 0.05 and np.abs(one.scores - two.scores).max() <= 1e-4)
    )
    runs = pipelines[1].network_runs // (args.runs + 1)
    ratios = [b / a for a, b in zip(seconds[1], seconds[2])]
    lines = [
        f"| `--tiles {args.tiles}`, 1920×1440 JPEG ({runs} network runs) | s/photo | vs one after another |",
        "|---|---:|---:|",
        f"| tiles one after another (lanes 1, before) | {spread(seconds[1])} | 1.00 |",
        f"| tiles in flight (2 lanes × 1 thread) | {spread(seconds[2])} | {spread(ratios, 2)} |",
        "",
        f"{detector.engine_summary}. Detections the same ({len(one)} objects; boxes ≤ 0.05 px, scores ≤ 1e-4): "
        f"{'yes' if same else 'NO'}. Medians (min–max) of {args.runs} interleaved rounds.",
    ]
    print("\n".join(lines))
    if args.write_docs:
        doc_tables.write("tile-lanes", lines)


if __name__ == "__main__":
    main()
