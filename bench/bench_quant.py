"""What int8 recipe keeps YOLOv3-tiny's detections? Agreement with float32 (F1 at IoU 0.5) and speed.

Calibration and evaluation use disjoint sets of real photos shipped inside registry packages
(bench/photo_sources.py). Reference: the float32 LiteRT model (= Keras within 1e-4). Each recipe is converted,
run on the evaluation photos at the app's default thresholds (conf 0.25, IoU 0.45), and compared image by image.
Latency: median of interleaved runs on one letterboxed photo, 2 threads, vs float32 in the same run.

    .venv/bin/python bench/bench_quant.py [--recipes all|name,...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_engine import time_pair  # noqa: E402
from photo_sources import ensure_photos  # noqa: E402

from yolo_desktop.imaging import load  # noqa: E402
from yolo_desktop.inference.convert import FAST_RECIPE, QuantRecipe, convert  # noqa: E402
from yolo_desktop.inference.darknet_cfg import parse_cfg  # noqa: E402
from yolo_desktop.inference.decode import make_candidates, select  # noqa: E402
from yolo_desktop.inference.detector import head_specs, read_names  # noqa: E402
from yolo_desktop.inference.engines import create_engine  # noqa: E402
from yolo_desktop.inference.engines.litert_engine import LiteRTEngine  # noqa: E402
from yolo_desktop.inference.letterbox import letterbox  # noqa: E402
from yolo_desktop.metrics import agreement  # noqa: E402
from yolo_desktop.models import find_model  # noqa: E402
from yolo_desktop.settings import CANDIDATE_FLOOR, DetectorSettings  # noqa: E402

RECIPES = {
    "dynamic-range (int8 weights, float activations)": QuantRecipe(mode="dynamic"),
    "int8, per-channel, all layers": QuantRecipe(mode="int8", per_channel=True),
    "int8, per-tensor weights, all layers": QuantRecipe(mode="int8", per_channel=False),
    "int8, first layer float": QuantRecipe(mode="int8", float_layers=("first",)),
    "int8, heads float": QuantRecipe(mode="int8", float_layers=("heads",)),
    "int8, first layer + heads float": QuantRecipe(mode="int8", float_layers=("first", "heads")),
    "int8, first + heads float, 10 calibration photos": QuantRecipe(
        mode="int8", float_layers=("first", "heads"), calibration_images=10
    ),
    "16x8 (int16 activations)": QuantRecipe(mode="16x8"),
}


def batches(paths: list[Path], size: int) -> list[np.ndarray]:
    out = []
    for path in paths:
        image = load(path, reduce_to=size)
        out.append(letterbox(image.rgb, size, size, (image.width, image.height) if image.scale != 1 else None))
    return out


def detections(engine, prepared, heads, names, settings):
    results = []
    for batch, box in prepared:
        candidates = make_candidates(engine.run(batch), heads, box, CANDIDATE_FLOOR)
        results.append(select(candidates, settings, names, box.source_width, box.source_height))
    return results


def latency(run, reference_run, runs: int = 40) -> tuple[float, float]:
    a, b = time_pair(run, reference_run, runs, warmup=5)
    return statistics.median(a) * 1000, statistics.median(b) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", default="all")
    parser.add_argument("--size", type=int, default=416)
    args = parser.parse_args()
    chosen = (
        RECIPES
        if args.recipes == "all"
        else {k: v for k, v in RECIPES.items() if any(part in k for part in args.recipes.split(","))}
    )
    photos = ensure_photos(Path.home() / ".cache" / "yolo-desktop-bench" / "photos")
    print(f"{len(photos['calibration'])} calibration photos, {len(photos['evaluation'])} evaluation photos", flush=True)
    model = find_model("yolov3-tiny")
    cfg = parse_cfg(model.cfg)
    names = read_names(model.names, cfg.classes)
    heads = head_specs(cfg)
    settings = DetectorSettings()
    size = args.size
    calibration = [b for b, _ in batches(photos["calibration"], size)]
    evaluation = batches(photos["evaluation"], size)
    reference = create_engine(
        "litert", cfg, str(model.weights), (size, size), "accurate", cfg_path=str(model.cfg), model_name=model.name
    )
    expected = detections(reference, evaluation, heads, names, settings)
    print(
        f"float32 reference: {sum(len(d) for d in expected)} detections on {len(evaluation)} photos "
        f"({sum(1 for d in expected if d)} with at least one)",
        flush=True,
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, recipe in chosen.items():
            start = time.perf_counter()
            data = convert(cfg, str(model.weights), "fast", calibration, recipe)
            seconds = time.perf_counter() - start
            path = Path(tmp) / "model.tflite"
            path.write_bytes(data)
            engine = LiteRTEngine(cfg, str(path), (size, size), "fast")
            result = agreement(zip(detections(engine, evaluation, heads, names, settings), expected))
            fast_ms, float_ms = latency(
                lambda e=engine: e.run(evaluation[0][0]), lambda: reference.run(evaluation[0][0])
            )
            rows.append(
                {
                    "recipe": label,
                    "f1": round(result.f1, 4),
                    "precision": round(result.precision, 4),
                    "recall": round(result.recall, 4),
                    "ms": round(fast_ms, 1),
                    "float_ms": round(float_ms, 1),
                    "speedup": round(float_ms / fast_ms, 2),
                    "size_mb": round(len(data) / 1e6, 1),
                    "convert_s": round(seconds, 1),
                    "default": recipe == replace(FAST_RECIPE),
                }
            )
            print(rows[-1], flush=True)
    print(
        "\n| recipe | F1 vs float32 | precision | recall | latency ms | float32 ms | speed-up | MB |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|"
    )
    for r in rows:
        mark = " **(used)**" if r["default"] else ""
        print(
            f"| {r['recipe']}{mark} | {r['f1']:.3f} | {r['precision']:.3f} | {r['recall']:.3f} | {r['ms']} | "
            f"{r['float_ms']} | {r['speedup']}× | {r['size_mb']} |"
        )
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "quant.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
