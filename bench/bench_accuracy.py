"""Accuracy on labelled photos: COCO mAP (pycocotools) for every model × input size × resize × engine × precision.

Models: every installed model (yolov3-tiny, yolov4-tiny after `models fetch yolov4-tiny`, ...), or those named.

On ``../shared/data/coco-train-sample`` (167 COCO *train* photos: the official weights saw them in training, so
absolute values are optimistic; compare rows with each other). Detections at conf 0.005 (the candidate floor),
NMS IoU 0.45, the 100 best per image, as COCO evaluates. Also the agreement of fast with accurate: F1 at IoU 0.5
of the conf-0.25 detections, the same engine, size and resize; and of every row with the float32 reference (the
first engine listed, accurate). An engine may carry an OpenVINO compute precision: ``openvino:f32`` forces float32
where ``openvino`` runs bf16 on a processor that has it.

    .venv/bin/python bench/bench_accuracy.py [--sizes 320,416,608] [--engines keras,litert,openvino:f32,openvino]
        [--resizes area,bilinear]
        [--models yolov3-tiny,yolov4-tiny | --cfg C --weights W --names N] [--data DIR] [--write-docs]

``--write-docs`` replaces each model's table in docs/accuracy.md (markers ``<!-- accuracy-MODEL -->``).

Deterministic: one run is the figure (no spread to report).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from yolo_desktop.evaluation.coco import COCO_MAX_DETECTIONS, EVAL_CONF, evaluate, load_dataset  # noqa: E402
from yolo_desktop.evaluation.metrics import agreement  # noqa: E402
from yolo_desktop.inference.decode import refilter  # noqa: E402
from yolo_desktop.inference.detector import Detector  # noqa: E402
from yolo_desktop.inference.engines import EngineOptions  # noqa: E402
from yolo_desktop.inference.model_spec import ModelFiles  # noqa: E402
from yolo_desktop.models.installed import find_model, installed_models  # noqa: E402
from yolo_desktop.settings import DetectorSettings  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
import doc_tables  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "coco-train-sample"
F1_CONF = 0.25


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=_list, default=["320", "416", "608"])
    parser.add_argument("--engines", type=_list, default=["keras", "litert", "openvino:f32", "openvino"])
    parser.add_argument("--precisions", type=_list, default=["accurate", "fast"])
    parser.add_argument("--resizes", type=_list, default=["area", "bilinear"])
    parser.add_argument("--models", "--model", type=_list, help="installed model names (default: every one)")
    parser.add_argument("--cfg")
    parser.add_argument("--weights")
    parser.add_argument("--names")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "results" / "accuracy.json")
    doc_tables.add_option(parser, doc_tables.ACCURACY)
    args = parser.parse_args()

    if args.cfg:
        models = [ModelFiles(Path(args.cfg).stem, Path(args.cfg), Path(args.weights), Path(args.names))]
    else:
        models = [find_model(name) for name in args.models] if args.models else installed_models()
    dataset = load_dataset(args.data / "images", args.data / "instances.json")
    print(f"{', '.join(m.name for m in models)} on {len(dataset.files)} photos of {args.data}", flush=True)
    rows: list[dict] = []
    for model in models:
        rows += measure(model, dataset, args)
    for model in models:
        lines = accuracy_table([row for row in rows if row["model"] == model.name])
        print("\n" + "\n".join(lines))
        name = f"accuracy-{model.name}"
        if args.write_docs:
            if doc_tables.has_table(name, doc_tables.ACCURACY):
                doc_tables.write(name, lines, doc_tables.ACCURACY)
            else:
                print(f"no <!-- {name} --> markers in docs/accuracy.md: add them to keep this table")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


def accuracy_table(rows: list[dict]) -> list[str]:
    lines = [
        "| size | resize | engine, compute | precision | mAP@0.5 | mAP@0.5:0.95 | F1 vs accurate | F1 vs float32 |",
        "|---:|---|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        f1 = "" if row["f1_vs_accurate"] is None else f"{row['f1_vs_accurate']:.3f}"
        lines.append(
            f"| {row['size']} | {row['resize']} | {row['description']} | {row['precision']} | {row['map50']:.2f} | "
            f"{row['map50_95']:.2f} | {f1} | {row['f1_vs_float32']:.3f} |"
        )
    return lines


def measure(model: ModelFiles, dataset, args: argparse.Namespace) -> list[dict]:
    """Every size × resize × engine × precision of one model."""
    rows = []
    for size in map(int, args.sizes):
        for resize in args.resizes:
            float32 = None  # the first engine's accurate results: the float32 reference
            for engine_spec in args.engines:
                engine, _, hint = engine_spec.partition(":")
                reference = None  # this engine's accurate results, for the fast-vs-accurate F1
                for precision in args.precisions:
                    settings = DetectorSettings(
                        size=size,
                        conf=EVAL_CONF,
                        max_detections=COCO_MAX_DETECTIONS,
                        precision=precision,
                        resize=resize,
                    )
                    try:
                        detector = Detector(model, settings, engine=engine, options=EngineOptions(hint=hint or None))
                    except ValueError as exc:  # e.g. keras has no int8
                        print(f"skip {engine} {precision}: {exc}", file=sys.stderr)
                        continue
                    started = time.perf_counter()
                    accuracy, results = evaluate(detector, detector.names, dataset)
                    shown = {
                        r.path: refilter(r, DetectorSettings(conf=F1_CONF), detector.names).detections for r in results
                    }
                    f1 = None
                    if precision == "accurate":
                        reference = shown
                    elif reference is not None:
                        f1 = agreement((shown[p], reference[p]) for p in reference).f1
                    if float32 is None:
                        float32 = shown
                    f1_float = agreement((shown[p], float32[p]) for p in float32).f1
                    rows.append(
                        {
                            "model": model.name,
                            "size": size,
                            "resize": resize,
                            "engine": detector.engine.name,
                            "description": detector.engine.description,
                            "f1_vs_float32": round(f1_float, 4),
                            "precision": precision,
                            "map50": round(accuracy.map50 * 100, 2),
                            "map50_95": round(accuracy.map50_95 * 100, 2),
                            "f1_vs_accurate": None if f1 is None else round(f1, 4),
                            "failed": len(accuracy.failed),
                            "seconds": round(time.perf_counter() - started, 1),
                        }
                    )
                    print(rows[-1], flush=True)
    return rows


if __name__ == "__main__":
    main()
