"""Tiles batched: would the tiles of one photo go faster through the network as one batch than one after another?

The 13 network inputs of ``--tiles 640`` on bench_tile_lanes.py's 1920×1440 grid (12 tiles and the whole photo, each
letterboxed to 416 as the pipeline does) run through YOLOv3-tiny as batches of 1, 2, 4 and 13, on the engines that
can take a batch: OpenVINO (the accurate model, in the compute precision auto's rule gives this processor: bf16 where
it has native bf16, else float32) and OpenCV DNN. The figure is the network time per input; each round runs every
batch size of an engine interleaved, and the ratio is to batch 1 of the same engine in the same round (below 1: the
batch is faster). Median (min–max) of --runs rounds. Every batch's heads must equal batch 1's (0.05 px and 1e-4 in
score units after decoding are what the suite calls the same; here the raw heads within 1e-3).

    .venv/bin/python bench/bench_tile_batch.py [--runs 5] [--write-docs]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from yolo_desktop.imaging.read import load  # noqa: E402
from yolo_desktop.inference.letterbox import letterbox  # noqa: E402
from yolo_desktop.models.installed import find_model  # noqa: E402
from yolo_desktop.pipeline.tiling import plan  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
import doc_tables  # noqa: E402
from bench_tile_lanes import make_photo, spread  # noqa: E402

SIZE = 416
BATCHES = (1, 2, 4, 13)


def tile_inputs(photo: Path) -> np.ndarray:
    """(13, 416, 416, 3) float32 in [0, 1]: the photo's tiles, then the whole photo, letterboxed."""
    image = load(str(photo)).rgb
    height, width = image.shape[:2]
    crops = [image[t.y : t.y + t.height, t.x : t.x + t.width] for t in plan("640", 0.2, SIZE, width, height)]
    return np.concatenate([letterbox(crop, SIZE, SIZE)[0] for crop in [*crops, image]])


def openvino_runner(model_path: str, hint: str, batch: int) -> Callable[[np.ndarray], list[np.ndarray]]:
    from yolo_desktop.inference.engines.base import default_threads
    from yolo_desktop.inference.engines.openvino_engine import core

    model = core().read_model(model_path)
    model.reshape({model.inputs[0]: [batch, SIZE, SIZE, 3]})
    config = {"INFERENCE_PRECISION_HINT": hint, "PERFORMANCE_HINT": "LATENCY"}
    config["INFERENCE_NUM_THREADS"] = default_threads()
    request = core().compile_model(model, "CPU", config).create_infer_request()

    def run(inputs: np.ndarray) -> list[np.ndarray]:
        request.infer({0: inputs})
        return [request.get_output_tensor(i).data.copy() for i in range(len(request.model_outputs))]

    return run


def opencv_runner(cfg: Path, weights: Path) -> Callable[[np.ndarray], list[np.ndarray]]:
    import cv2

    from yolo_desktop.inference.darknet_cfg import parse_cfg
    from yolo_desktop.inference.engines.base import default_threads
    from yolo_desktop.inference.engines.opencv_engine import head_layer_names

    cv2.setNumThreads(default_threads())
    net = cv2.dnn.readNetFromDarknet(str(cfg), str(weights))
    heads = head_layer_names(parse_cfg(cfg))  # the raw heads, as the OpenCV engine reads them

    def run(inputs: np.ndarray) -> list[np.ndarray]:
        net.setInput(np.ascontiguousarray(inputs.transpose(0, 3, 1, 2)))
        return [out.copy() for out in net.forward(heads)]

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    doc_tables.add_option(parser)
    args = parser.parse_args()

    from yolo_desktop.inference.detector import Detector
    from yolo_desktop.inference.engines.openvino_engine import accurate_hint
    from yolo_desktop.inference.model_cache import file_sha256
    from yolo_desktop.settings import DetectorSettings

    model = find_model("yolov3-tiny")
    with tempfile.TemporaryDirectory() as tmp:
        inputs = tile_inputs(make_photo(Path(tmp) / "grid-1920x1440.jpg"))
    openvino = Detector(model, DetectorSettings(size=SIZE), engine="openvino").engine  # converts once, if needed
    hint = accurate_hint("CPU", file_sha256(model.weights))
    engines: dict[str, Callable[[int], Callable[[np.ndarray], list[np.ndarray]]]] = {
        f"openvino {hint}": lambda batch: openvino_runner(openvino.path, hint, batch),
        "opencv f32": lambda _batch: opencv_runner(model.cfg, model.weights),
    }
    lines = [
        "| engine | batch | ms per input | vs batch 1 |",
        "|---|---:|---:|---:|",
    ]
    for label, make in engines.items():
        runners = {batch: make(batch) for batch in BATCHES}
        ms: dict[int, list[float]] = {batch: [] for batch in BATCHES}
        reference = [runners[1](inputs[i : i + 1]) for i in range(len(inputs))]
        for batch in BATCHES:  # warm-up, and the batch gives batch 1's heads
            for start in range(0, len(inputs) - batch + 1, batch):
                got = runners[batch](inputs[start : start + batch])
                for row in range(batch):
                    for head, ref in zip(got, reference[start + row]):
                        assert np.abs(head[row] - ref[0]).max() < 1e-3, (label, batch)
        for _ in range(args.runs):
            for batch in BATCHES:
                count = len(inputs) // batch * batch  # whole batches only
                start_time = time.perf_counter()
                for start in range(0, count, batch):
                    runners[batch](inputs[start : start + batch])
                ms[batch].append((time.perf_counter() - start_time) * 1000 / count)
        for batch in BATCHES:
            ratios = [b / a for a, b in zip(ms[1], ms[batch])]
            lines.append(f"| {label} | {batch} | {spread(ms[batch], 1)} | {spread(ratios, 2)} |")
    lines += [
        "",
        f"YOLOv3-tiny at {SIZE}, the 13 inputs of `--tiles 640` on a 1920×1440 photo. Medians (min–max) of {args.runs} "
        "interleaved rounds; batch 1's heads equal every batch's (raw heads within 1e-3).",
    ]
    print("\n".join(lines))
    if args.write_docs:
        doc_tables.write("tile-batch", lines)


if __name__ == "__main__":
    main()
