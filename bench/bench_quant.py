"""Which int8 recipe keeps YOLOv3-tiny's detections? Accuracy (COCO mAP), agreement with float32, and speed.

Every recipe of both int8 engines: LiteRT (TensorFlow's converter or ai-edge-quantizer; dynamic-range or static)
and OpenVINO (NNCF post-training quantisation). Calibration: the calibration split of bench/photo_sources.py
(223 photos from registry packages), never the photos scored. Scored on (a) the labelled COCO sample
(../shared/data/coco-train-sample, 167 photos): mAP@0.5 and mAP@0.5:0.95 at conf 0.005, and F1 at IoU 0.5 of the
conf-0.25 detections against the same engine's float32; (b) F1 against float32 on the 113 evaluation photos of
photo_sources (disjoint from calibration and from COCO: the unbiased one when choosing a recipe). Latency: median of
interleaved runs on one letterboxed photo, 2 threads, against the same engine's float32 in the same run.

    .venv/bin/python bench/bench_quant.py [--recipes all|substring,...] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import doc_tables  # noqa: E402
from bench_engine import time_pair  # noqa: E402
from photo_sources import ensure_photos  # noqa: E402
from tf_converter_recipes import TFRecipe, convert_tf  # noqa: E402

from yolo_desktop.evaluation.coco import COCO_MAX_DETECTIONS, EVAL_CONF, evaluate, load_dataset  # noqa: E402
from yolo_desktop.evaluation.metrics import agreement  # noqa: E402
from yolo_desktop.imaging.read import load  # noqa: E402
from yolo_desktop.inference.convert import FAST_RECIPE, QuantRecipe, convert  # noqa: E402
from yolo_desktop.inference.darknet_cfg import parse_cfg  # noqa: E402
from yolo_desktop.inference.decode import (  # noqa: E402
    make_candidates,
    refilter,
    select,
)
from yolo_desktop.inference.detector import Detector, head_specs  # noqa: E402
from yolo_desktop.inference.engines.litert_engine import LiteRTEngine  # noqa: E402
from yolo_desktop.inference.engines.openvino_engine import OpenVINOEngine, darknet_outputs  # noqa: E402
from yolo_desktop.inference.letterbox import letterbox  # noqa: E402
from yolo_desktop.inference.model_spec import read_names  # noqa: E402
from yolo_desktop.inference.openvino_converted import save_openvino  # noqa: E402
from yolo_desktop.inference.openvino_int8 import OV_FAST_RECIPE, OVRecipe, quantize  # noqa: E402
from yolo_desktop.models.installed import find_model  # noqa: E402
from yolo_desktop.settings import CANDIDATE_FLOOR, DetectorSettings  # noqa: E402

COCO = REPO.parent / "shared" / "data" / "coco-train-sample"
RECIPES = {
    "litert: dynamic-range, TF converter (before)": TFRecipe(mode="dynamic"),
    "litert: dynamic-range, ai-edge-quantizer, all convs": QuantRecipe(mode="aeq-dynamic"),
    "litert: dynamic-range, ai-edge-quantizer, first + heads float": QuantRecipe(
        mode="aeq-dynamic", float_layers=("first", "heads")
    ),
    "litert: dynamic-range, ai-edge-quantizer, first float": QuantRecipe(mode="aeq-dynamic", float_layers=("first",)),
    "litert: dynamic-range, ai-edge-quantizer, heads float": QuantRecipe(mode="aeq-dynamic", float_layers=("heads",)),
    "litert: int8 weights only (float compute)": QuantRecipe(mode="aeq-weight-only"),
    "int8, per-channel, all layers": TFRecipe(mode="int8", per_channel=True),
    "int8, per-tensor weights, all layers": TFRecipe(mode="int8", per_channel=False),
    "int8, first layer float": TFRecipe(mode="int8", float_layers=("first",)),
    "int8, heads float": TFRecipe(mode="int8", float_layers=("heads",)),
    "int8, first layer + heads float": TFRecipe(mode="int8", float_layers=("first", "heads")),
    "int8, first + heads float, 10 calibration photos": TFRecipe(
        mode="int8", float_layers=("first", "heads"), calibration_images=10
    ),
    "16x8 (int16 activations)": TFRecipe(mode="16x8"),
    "openvino: NNCF mixed, all": OVRecipe(),
    "openvino: NNCF mixed, first + heads float": OVRecipe(float_layers=("first", "heads")),
    "openvino: NNCF performance, all": OVRecipe(preset="performance"),
    "openvino: NNCF performance, first + heads float": OVRecipe(preset="performance", float_layers=("first", "heads")),
    "openvino: NNCF performance, first + heads float, min-max ranges": OVRecipe(
        preset="performance", float_layers=("first", "heads"), activation_ranges="MINMAX"
    ),
    "openvino: NNCF performance, first + heads float, histogram ranges": OVRecipe(
        preset="performance", float_layers=("first", "heads"), activation_ranges="HISTOGRAM"
    ),
    "openvino: NNCF performance, first + heads float, quantile ranges": OVRecipe(
        preset="performance", float_layers=("first", "heads"), activation_ranges="MEAN_QUANTILE"
    ),
    "openvino: NNCF performance, first + heads float, no bias correction": OVRecipe(
        preset="performance", float_layers=("first", "heads"), bias_correction="none"
    ),
}
for _label in list(RECIPES):  # the static LiteRT recipes of the table before (TF converter)
    if not _label.startswith(("litert", "openvino")):
        RECIPES["litert: static " + _label] = RECIPES.pop(_label)


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


def coco_scores(detector: Detector, dataset, reference: dict | None):
    accuracy, results = evaluate(detector, detector.names, dataset)
    shown = {r.path: refilter(r, DetectorSettings(conf=0.25), detector.names).detections for r in results}
    f1 = agreement((shown[p], reference[p]) for p in reference).f1 if reference else None
    return accuracy, shown, f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", default="all")
    parser.add_argument("--size", type=int, default=416)
    doc_tables.add_option(parser, doc_tables.ACCURACY)
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
    dataset = load_dataset(COCO / "images", COCO / "instances.json")
    coco = DetectorSettings(size=size, conf=EVAL_CONF, max_detections=COCO_MAX_DETECTIONS)
    detector = Detector(model, coco, engine="litert")  # its engine is swapped for each recipe below
    references = {
        "litert": detector.engine,
        "openvino": OpenVINOEngine(darknet_outputs(cfg), detector.engine.path, (size, size), "accurate", hint="f32"),
    }
    float_scores = {}
    for kind, engine in references.items():
        detector.engine = engine
        accuracy, shown, _ = coco_scores(detector, dataset, None)
        float_scores[kind] = (accuracy, shown, detections(engine, evaluation, heads, names, settings))
        print(
            f"{kind} float32: mAP@0.5 {accuracy.map50 * 100:.2f}, mAP@0.5:0.95 {accuracy.map50_95 * 100:.2f}",
            flush=True,
        )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, recipe in chosen.items():
            kind = "openvino" if isinstance(recipe, OVRecipe) else "litert"
            start = time.perf_counter()
            if kind == "litert":
                if isinstance(recipe, TFRecipe):
                    data = convert_tf(cfg, str(model.weights), recipe, calibration)
                else:
                    data = convert(cfg, str(model.weights), "fast", recipe)
                path = Path(tmp) / "model.tflite"
                path.write_bytes(data)
                engine = LiteRTEngine(cfg, str(path), (size, size), "fast")
                megabytes = len(data) / 1e6
            else:
                path = Path(tmp) / "model.xml"
                save_openvino(quantize(detector_path(references), calibration, recipe), path)
                engine = OpenVINOEngine(darknet_outputs(cfg), str(path), (size, size), "fast")
                megabytes = (path.stat().st_size + path.with_suffix(".bin").stat().st_size) / 1e6
            seconds = time.perf_counter() - start
            reference = references[kind]
            f32_accuracy, f32_shown, f32_photos = float_scores[kind]
            detector.engine = engine
            accuracy, _, f1 = coco_scores(detector, dataset, f32_shown)
            photos_f1 = agreement(zip(detections(engine, evaluation, heads, names, settings), f32_photos)).f1
            fast_ms, float_ms = latency(
                lambda e=engine: e.run(evaluation[0][0]), lambda r=reference: r.run(evaluation[0][0])
            )
            rows.append(
                {
                    "recipe": label,
                    "map50": round(accuracy.map50 * 100, 2),
                    "map50_95": round(accuracy.map50_95 * 100, 2),
                    "float_map50": round(f32_accuracy.map50 * 100, 2),
                    "f1_coco": round(f1, 4),
                    "f1_photos": round(photos_f1, 4),
                    "ms": round(fast_ms, 1),
                    "float_ms": round(float_ms, 1),
                    "ratio": round(fast_ms / float_ms, 2),
                    "size_mb": round(megabytes, 1),
                    "convert_s": round(seconds, 1),
                    "used": recipe in (FAST_RECIPE, OV_FAST_RECIPE),
                }
            )
            print(rows[-1], flush=True)
    lines = [
        "| recipe | mAP@0.5 (float32) | mAP@0.5:0.95 | F1 vs float32, COCO | F1 vs float32, 113 photos | "
        "latency ms | float32 ms | ratio | MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        mark = " **(used)**" if r["used"] else ""
        lines.append(
            f"| {r['recipe']}{mark} | {r['map50']:.1f} ({r['float_map50']:.1f}) | {r['map50_95']:.1f} | "
            f"{r['f1_coco']:.3f} | {r['f1_photos']:.3f} | {r['ms']} | {r['float_ms']} | {r['ratio']:.2f} | "
            f"{r['size_mb']} |"
        )
    print("\n" + "\n".join(lines))
    if args.write_docs:
        doc_tables.write("quant-recipes", lines, doc_tables.ACCURACY)
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "quant.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


def detector_path(references: dict) -> str:
    return references["litert"].path  # the float32 .tflite both engines read


if __name__ == "__main__":
    main()
