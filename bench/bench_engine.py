"""Network latency: this project's engines vs OpenCV DNN's Darknet importer, same model and input, one run.

Batch 1, 416×416, median of N runs after warm-up, each engine interleaved run by run with OpenCV so machine noise
hits both alike; the whole table is measured --repeats times and each cell reports the median of those medians with
their spread (min–max). Models: YOLOv3-tiny and YOLOv4-tiny (when installed: `models fetch yolov4-tiny`) with their
real weights; YOLOv3, YOLOv7-tiny and YOLOv4 (and SPP with --spp) with random weights written in Darknet format from
../shared/models cfgs (batch norms calibrated on the photo, so activations stay realistic). Also the latency of
YOLOv4-tiny over YOLOv3-tiny per engine, same run (goal: accurate ≤ 1.4×; their FLOPs ratio is 1.23).
Engines × compute: litert f32 / int8 (dynamic range), openvino f32 / bf16 / int8 (NNCF, calibrated on
bench/photo_sources.py's calibration photos), keras f32. Reported as ratios (ours / OpenCV, same run): lower is
faster.

    .venv/bin/python bench/bench_engine.py [--runs 15] [--repeats 3] [--spp] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.random_weights import write_random_weights  # noqa: E402
from yolo_desktop.inference.darknet_cfg import parse_cfg  # noqa: E402
from yolo_desktop.inference.engines import EngineOptions, create_engine  # noqa: E402
from yolo_desktop.inference.errors import ModelError  # noqa: E402
from yolo_desktop.inference.letterbox import letterbox  # noqa: E402
from yolo_desktop.inference.model_spec import DarknetModel, ModelFiles  # noqa: E402
from yolo_desktop.inference.openvino_converted import ensure_openvino_int8  # noqa: E402
from yolo_desktop.models.installed import find_model  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
import doc_tables  # noqa: E402

SHARED = REPO.parent / "shared" / "models"


def sample_batch(size: int) -> np.ndarray:
    import skimage

    image = cv2.cvtColor(cv2.imread(str(Path(skimage.__file__).parent / "data" / "astronaut.png")), cv2.COLOR_BGR2RGB)
    return letterbox(image, size, size)[0]


def time_pair(ours, reference, runs: int, warmup: int = 3) -> tuple[list[float], list[float]]:
    for _ in range(warmup):
        ours()
        reference()
    a, b = [], []
    for _ in range(runs):
        start = time.perf_counter()
        ours()
        a.append(time.perf_counter() - start)
        start = time.perf_counter()
        reference()
        b.append(time.perf_counter() - start)
    return a, b


# label → (engine, precision, OpenVINO compute hint)
CONFIGS = {
    "litert-f32": ("litert", "accurate", None),
    "litert-int8": ("litert", "fast", None),
    "openvino-f32": ("openvino", "accurate", "f32"),
    "openvino-bf16": ("openvino", "accurate", "bf16"),
    "openvino-int8": ("openvino", "fast", "f32"),
    "keras-f32": ("keras", "accurate", None),
}


def calibration() -> list[Path]:
    sys.path.insert(0, str(REPO / "bench"))
    from photo_sources import DEFAULT_CACHE, ensure_photos

    return ensure_photos(DEFAULT_CACHE)["calibration"]


def bench_model(name: str, cfg_path: Path, weights: Path, config: str, size: int, runs: int) -> dict:
    cfg = parse_cfg(cfg_path)
    batch = sample_batch(size)
    engine, precision, hint = CONFIGS[config]
    if engine == "openvino" and precision == "fast":
        ensure_openvino_int8(Path(weights).stem, cfg, cfg_path, weights, calibration=calibration())
    model = DarknetModel(ModelFiles(Path(weights).stem, Path(cfg_path), Path(weights), None), cfg)
    ours = create_engine(engine, model, (size, size), precision, options=EngineOptions(hint=hint))
    net = cv2.dnn.readNetFromDarknet(str(cfg_path), str(weights))
    blob = np.ascontiguousarray(batch.transpose(0, 3, 1, 2))
    outputs = net.getUnconnectedOutLayersNames()

    def run_opencv():
        net.setInput(blob)
        return net.forward(outputs)

    a, b = time_pair(lambda: ours.run(batch), run_opencv, runs)
    ours_ms, cv_ms = statistics.median(a) * 1000, statistics.median(b) * 1000
    return {
        "model": name,
        "config": config,
        "description": ours.description,
        "precision": precision,
        "size": size,
        "runs": runs,
        "ours_ms": ours_ms,
        "opencv_ms": cv_ms,
        "ratio": ours_ms / cv_ms,
    }


def spread(values: list[float], digits: int = 1) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--size", type=int, default=416)
    parser.add_argument("--configs", default=",".join(CONFIGS), help=f"some of {', '.join(CONFIGS)}")
    parser.add_argument("--spp", action="store_true", help="also YOLOv3-SPP")
    doc_tables.add_option(parser)
    args = parser.parse_args()
    print(
        f"OpenCV {cv2.__version__}, {cv2.getNumThreads()} threads; batch 1 at {args.size}; median of "
        f"{args.runs} interleaved runs after warm-up, {args.repeats} repeats",
        flush=True,
    )
    configs = args.configs.split(",")
    rows = []
    tiny = find_model("yolov3-tiny")
    models = [("yolov3-tiny (real weights)", tiny.cfg, tiny.weights, args.runs)]
    try:
        v4tiny = find_model("yolov4-tiny")
        models.append(("yolov4-tiny (real weights)", v4tiny.cfg, v4tiny.weights, args.runs))
    except ModelError as exc:
        print(f"skipping yolov4-tiny: {exc}")
    with tempfile.TemporaryDirectory() as tmp:
        # The random-weights files live in a temp folder: point the conversion cache there too.
        os.environ["YOLO_DESKTOP_CACHE"] = str(Path(tmp) / "cache")
        for name in ["yolov3", "yolov7-tiny", "yolov4"] + (["yolov3-spp"] if args.spp else []):
            cfg_path = SHARED / f"{name}.cfg"
            if not cfg_path.is_file():
                print(f"skipping {name}: {cfg_path} not found")
                continue
            weights = Path(tmp) / f"{name}.weights"
            write_random_weights(weights, parse_cfg(cfg_path), seed=0, sample=sample_batch(args.size))
            runs = args.runs if "tiny" in name else max(5, args.runs // 3)
            models.append((f"{name} (random weights)", cfg_path, weights, runs))
        for repeat in range(args.repeats):
            for label, cfg_path, weights, runs in models:
                for config in configs:
                    rows.append({**bench_model(label, cfg_path, weights, config, args.size, runs), "repeat": repeat})
                    print({k: round(v, 3) if isinstance(v, float) else v for k, v in rows[-1].items()}, flush=True)
    lines = ["| model | engine, compute | ours (ms) | OpenCV DNN (ms) | ours / OpenCV |", "|---|---|---:|---:|---:|"]
    for label, *_ in models:
        for config in configs:
            cells = [r for r in rows if r["model"] == label and r["config"] == config]
            if cells:
                lines.append(
                    f"| {label} | {cells[0]['description']} | {spread([c['ours_ms'] for c in cells])} | "
                    f"{spread([c['opencv_ms'] for c in cells])} | {spread([c['ratio'] for c in cells], 2)} |"
                )
    v3, v4 = "yolov3-tiny (real weights)", "yolov4-tiny (real weights)"
    if any(r["model"] == v4 for r in rows):
        lines += ["", "| engine, compute | yolov4-tiny / yolov3-tiny latency (same run) |", "|---|---:|"]
        for config in configs:
            pairs = [
                (a["ours_ms"], b["ours_ms"])
                for a in rows
                for b in rows
                if a["model"] == v4
                and b["model"] == v3
                and a["config"] == b["config"] == config
                and a["repeat"] == b["repeat"]
            ]
            if pairs:
                description = next(r["description"] for r in rows if r["model"] == v4 and r["config"] == config)
                lines.append(f"| {description} | {spread([a / b for a, b in pairs], 2)} |")
    print("\n" + "\n".join(lines))
    if args.write_docs:
        doc_tables.write("engine-latency", lines)
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "engine.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
