"""Network latency: every engine of this project on the same model and input, one run, against a reference.

Darknet models (batch 1 at --size): YOLOv3-tiny and YOLOv4-tiny (when installed) with their real weights; with
--big also YOLOv3 and YOLOv4 with random weights written in Darknet format from ../shared/models cfgs. Reference:
OpenCV DNN's own Darknet importer run as a script would (``readNetFromDarknet``, defaults). ONNX exports (--onnx):
the Ultralytics fixtures of tests/fixtures/onnx (real exporter graphs, random weights: latency does not depend on
the weights) and their int8 versions (QDQ, quantised by onnxruntime's static quantiser on 16 calibration photos, as
exporters' int8 ONNX files are); reference: onnxruntime on the same file.

Each cell: the median of --runs timed runs, each engine in alternating blocks with its reference so the machine's
noise hits both alike, and neither is timed in the other's wake (yolo_desktop/inference/engines/timing.py, as auto);
the whole table is measured --repeats times: median of those medians (min–max).
``auto`` is the engine auto measured fastest (the smallest median in the same repeat, as auto.py picks) — ≤ 1.0×
the fastest by construction.

Processor configurations (one column group each, --configurations): ``as-is``; ``avx2``, this processor held to
AVX2 as far as the libraries allow — ONEDNN_MAX_CPU_ISA=AVX2 (oneDNN in OpenVINO: convolutions in AVX2 code, int8
without VNNI, no bf16), OPENCV_CPU_DISABLE=AVX512F,AVX512-SKX (OpenCV's AVX-512 kernels off). onnxruntime (MLAS) and
LiteRT (XNNPACK) pick their kernels from cpuid and cannot be held back: their cells in that column still use
AVX-512 (marked †). Each configuration runs in its own process.

--tuning: the knobs, measured instead of the table: engine threads (1, 2), OpenCV's Winograd, OpenVINO's
PERFORMANCE_HINT, and throughput with two lanes (two engines of one thread side by side, engines/lanes.py) against
one engine on both threads, in images/s.

    .venv/bin/python bench/bench_engine.py [--runs 15] [--repeats 3] [--onnx] [--big] [--write-docs]
    .venv/bin/python bench/bench_engine.py --tuning
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.random_weights import write_random_weights  # noqa: E402
from yolo_desktop.inference.darknet_cfg import parse_cfg  # noqa: E402
from yolo_desktop.inference.engines import EngineOptions, available, create_engine  # noqa: E402
from yolo_desktop.inference.engines.build import build_onnx_engine  # noqa: E402
from yolo_desktop.inference.engines.timing import BLOCK, block_interleaved, median_ms  # noqa: E402
from yolo_desktop.inference.errors import ModelError  # noqa: E402
from yolo_desktop.inference.letterbox import letterbox  # noqa: E402
from yolo_desktop.inference.model_spec import DarknetModel, ModelFiles, onnx_layout  # noqa: E402
from yolo_desktop.inference.openvino_converted import ensure_openvino_int8  # noqa: E402
from yolo_desktop.models.installed import find_model  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
import doc_tables  # noqa: E402

SHARED = REPO.parent / "shared" / "models"
FIXTURES = REPO / "tests" / "fixtures" / "onnx"
CONFIGURATIONS = {
    "as-is": {},
    "avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2", "OPENCV_CPU_DISABLE": "AVX512F,AVX512-SKX"},
}
NOT_FORCED = ("litert", "onnxruntime")  # cpuid-dispatched: not held to AVX2 by the forcing


def sample_batch(size: int) -> np.ndarray:
    import skimage

    image = cv2.cvtColor(cv2.imread(str(Path(skimage.__file__).parent / "data" / "astronaut.png")), cv2.COLOR_BGR2RGB)
    return letterbox(image, size, size)[0]


def time_interleaved(functions: dict, runs: int) -> dict[str, float]:
    """Median ms of each function over ``runs`` timed calls, in alternating blocks as ``auto`` times engines
    (yolo_desktop/inference/engines/timing.py: each timed as it runs alone, not in another's wake)."""
    rounds = max(1, -(-runs // BLOCK))
    return median_ms(block_interleaved(functions, rounds))


# label → (engine, precision, OpenVINO compute hint)
DARKNET_CONFIGS = {
    "opencv-f32": ("opencv", "accurate", None),
    "openvino-f32": ("openvino", "accurate", "f32"),
    "openvino-bf16": ("openvino", "accurate", "bf16"),
    "openvino-int8": ("openvino", "fast", "f32"),
    "litert-f32": ("litert", "accurate", None),
    "litert-int8": ("litert", "fast", None),
    "keras-f32": ("keras", "accurate", None),
}
ONNX_CONFIGS = {
    "onnxruntime": ("onnxruntime", None),
    "openvino-f32": ("openvino", "f32"),
    "openvino-bf16": ("openvino", "bf16"),
}


def calibration() -> list[Path]:
    from photo_sources import DEFAULT_CACHE, ensure_photos

    return ensure_photos(DEFAULT_CACHE)["calibration"]


def opencv_reference(cfg_path: Path, weights: Path, batch: np.ndarray):
    net = cv2.dnn.readNetFromDarknet(str(cfg_path), str(weights))
    blob = np.ascontiguousarray(batch.transpose(0, 3, 1, 2))
    outputs = net.getUnconnectedOutLayersNames()

    def run():
        net.setInput(blob)
        return net.forward(outputs)

    return run


def darknet_models(args, tmp: Path) -> list[tuple[str, Path, Path, int]]:
    tiny = find_model("yolov3-tiny")
    models = [("yolov3-tiny (real weights)", tiny.cfg, tiny.weights, args.runs)]
    try:
        v4tiny = find_model("yolov4-tiny")
        models.append(("yolov4-tiny (real weights)", v4tiny.cfg, v4tiny.weights, args.runs))
    except ModelError as exc:
        print(f"skipping yolov4-tiny: {exc}")
    for name in ["yolov3", "yolov4"] if args.big else []:
        cfg_path = SHARED / f"{name}.cfg"
        weights = tmp / f"{name}.weights"
        if not weights.is_file():
            write_random_weights(weights, parse_cfg(cfg_path), seed=0, sample=sample_batch(args.size))
        models.append((f"{name} (random weights)", cfg_path, weights, max(5, args.runs // 3)))
    return models


def int8_export(source: Path, target: Path) -> Path:
    """``source`` quantised to int8 QDQ by onnxruntime's static quantiser, calibrated on 16 photos letterboxed as the
    model's exporter does: what an int8 ONNX export is."""
    if target.is_file():
        return target
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    layout = onnx_layout(ModelFiles(source.stem, None, source, None))
    photos = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB) for p in calibration()[:16]]

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter(
                {layout.input_name: letterbox(p, layout.width, layout.height, style=layout.style)[0]} for p in photos
            )

        def get_next(self):
            return next(self.items, None)

    prepared = target.with_suffix(".pre.onnx")
    quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
    quantize_static(
        str(prepared),
        str(target),
        Reader(),
        quant_format=QuantFormat.QDQ,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        per_channel=True,
    )
    return target


def onnx_models(tmp: Path) -> list[tuple[str, Path]]:
    models = []
    for name in ("yolov8-3cls-320", "yolo11-80cls-384"):
        source = FIXTURES / f"{name}.onnx"
        models.append((f"{name} (f32 export)", source))
        models.append((f"{name} (int8 QDQ export)", int8_export(source, tmp / f"{name}-int8.onnx")))
    return models


def measure(args) -> list[dict]:
    """One configuration, this process: rows of {model, config, description, ms, reference_ms, repeat}."""
    from yolo_desktop.inference.engines.openvino_engine import has_bf16

    rows = []
    cache = Path(args.scratch)
    cache.mkdir(parents=True, exist_ok=True)
    batch = sample_batch(args.size)
    engines: dict[tuple[str, str], tuple] = {}  # built once, timed in every repeat
    for label, cfg_path, weights, runs in darknet_models(args, cache):
        cfg = parse_cfg(cfg_path)
        model = DarknetModel(ModelFiles(Path(weights).stem, Path(cfg_path), Path(weights), None), cfg)
        reference = opencv_reference(cfg_path, weights, batch)
        for config in args.configs:
            kind, precision, hint = DARKNET_CONFIGS[config]
            if not available(kind) or (hint == "bf16" and not has_bf16()):
                continue
            try:
                if kind == "openvino" and precision == "fast":
                    ensure_openvino_int8(model.name, cfg, cfg_path, weights, calibration=calibration())
                engine = create_engine(kind, model, (args.size, args.size), precision, options=EngineOptions(hint=hint))
            except (ModelError, ValueError, ImportError) as exc:
                print(f"skipping {label} {config}: {exc}", flush=True)
                continue
            engines[(label, config)] = (engine, lambda e=engine: e.run(batch), reference, runs)
    if args.onnx:
        for label, path in onnx_models(cache):
            layout = onnx_layout(ModelFiles(path.stem, None, path, None))
            onnx_batch = letterbox(
                cv2.cvtColor(cv2.imread(str(REPO / "resources" / "sample.jpg")), cv2.COLOR_BGR2RGB),
                layout.width,
                layout.height,
                style=layout.style,
            )[0]
            reference_engine = build_onnx_engine("onnxruntime", layout, path, "accurate", EngineOptions())
            for config, (kind, hint) in ONNX_CONFIGS.items():
                if not available(kind) or (hint == "bf16" and not has_bf16()):
                    continue
                engine = build_onnx_engine(kind, layout, path, "accurate", EngineOptions(hint=hint))
                engines[(label, config)] = (
                    engine,
                    lambda e=engine, b=onnx_batch: e.run(b),
                    lambda r=reference_engine, b=onnx_batch: r.run(b),
                    args.runs,
                )
    for repeat in range(args.repeats):
        for (label, config), (engine, run, reference, runs) in engines.items():
            ms = time_interleaved({"ours": run, "reference": reference}, runs)
            rows.append(
                {
                    "model": label,
                    "config": config,
                    "description": engine.description,
                    "ms": ms["ours"],
                    "reference_ms": ms["reference"],
                    "repeat": repeat,
                }
            )
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


def spread(values: list[float], digits: int = 1) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


# What auto weighs for each precision (auto.py's labels); "accurate" runs bf16 only for the gated yolov3-tiny.
AUTO_LABELS = {
    "opencv-f32": "opencv",
    "openvino-f32": "openvino",
    "openvino-bf16": "openvino-bf16",
    "openvino-int8": "openvino-int8",
    "litert-f32": "litert",
    "litert-int8": "litert-int8",
    "onnxruntime": "onnxruntime",
}


def auto_candidates(model: str, precision: str) -> set[str]:
    if precision == "fast":
        return set(AUTO_LABELS)
    accurate = {"opencv-f32", "litert-f32", "onnxruntime"}
    return accurate | ({"openvino-bf16"} if model.startswith("yolov3-tiny") else {"openvino-f32"})


def auto_rows(rows: list[dict], model: str, precision: str) -> tuple[list[dict], set[str]]:
    """Per repeat, the row auto would pick among its candidates (auto._pick: int8 only when 1.15× faster)."""
    from yolo_desktop.inference.engines.auto import _pick

    picked, names = [], set()
    for repeat in sorted({r["repeat"] for r in rows if r["model"] == model}):
        mine = {r["config"]: r for r in rows if r["model"] == model and r["repeat"] == repeat}
        mine = {c: r for c, r in mine.items() if c in auto_candidates(model, precision)}
        if not mine:
            continue
        label, _ = _pick({AUTO_LABELS[c]: r["ms"] for c, r in mine.items()}, precision)
        config = next(c for c in mine if AUTO_LABELS[c] == label)
        picked.append(mine[config])
        names.add(config)
    return picked, names


def table(by_configuration: dict[str, list[dict]]) -> list[str]:
    names = list(by_configuration)
    head = "| model | engine, compute |" + "".join(f" {n}: ms | {n}: / reference |" for n in names)
    lines = [head, "|---|---|" + "---:|---:|" * len(names)]
    keys = list(dict.fromkeys((r["model"], r["config"]) for rows in by_configuration.values() for r in rows))
    for model in dict.fromkeys(k[0] for k in keys):
        for config in [c for m, c in keys if m == model] + ["auto accurate", "auto fast"]:
            cells, picks = [], []
            description = config
            for name in names:
                rows = by_configuration[name]
                if config.startswith("auto"):
                    mine, chosen = auto_rows(rows, model, config.split()[1])
                    picks.append(f"{name}: {', '.join(sorted(chosen))}")
                else:
                    mine = [r for r in rows if r["model"] == model and r["config"] == config]
                    if mine:
                        description = mine[0]["description"]
                if not mine:
                    cells += ["", ""]
                    continue
                mark = " †" if name != "as-is" and config.split("-")[0] in NOT_FORCED else ""
                cells += [
                    spread([r["ms"] for r in mine]) + mark,
                    spread([r["ms"] / r["reference_ms"] for r in mine], 2),
                ]
            if picks:
                description = f"**{config}** ({'; '.join(picks)})"
            lines.append(f"| {model} | {description} | " + " | ".join(cells) + " |")
    return lines


def tuning(args) -> list[str]:
    """Threads, Winograd, hints and lanes, per engine on YOLOv3-tiny (and onnxruntime on yolov8)."""
    tiny = find_model("yolov3-tiny")
    model = DarknetModel.read(tiny)
    batch = sample_batch(args.size)
    size = (args.size, args.size)
    from yolo_desktop.inference.engines.opencv_engine import OpenCVEngine
    from yolo_desktop.inference.engines.openvino_engine import OpenVINOEngine, darknet_outputs
    from yolo_desktop.inference.openvino_converted import OPENVINO_F32, find_openvino_ir

    ir = find_openvino_ir(tiny.name, tiny.cfg, tiny.weights, OPENVINO_F32)
    lines = ["| engine | knob | latency ms | throughput images/s (8 photos) |", "|---|---|---:|---:|"]
    variants: dict[str, tuple] = {}

    def openvino(threads: int, hint: str) -> OpenVINOEngine:
        engine = OpenVINOEngine(darknet_outputs(model.cfg), str(ir), size, "accurate", threads=threads, hint="f32")
        if hint != "LATENCY":
            import openvino as ov

            from yolo_desktop.inference.engines.openvino_engine import core

            m = core().read_model(str(ir))
            m.reshape({m.inputs[0]: [1, *size, 3]})
            config = {"PERFORMANCE_HINT": hint, "INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": threads}
            engine.compiled = core().compile_model(m, "CPU", config)
            engine.request = engine.compiled.create_infer_request()
            engine.outputs = [engine.compiled.output(n) for n in darknet_outputs(model.cfg)]
            engine.queue = ov.AsyncInferQueue(engine.compiled, 2)
        return engine

    for threads in (1, 2):
        variants[f"opencv | {threads} thread(s), Winograd on"] = ("opencv", threads, True)
        variants[f"opencv | {threads} thread(s), Winograd off"] = ("opencv", threads, False)
        variants[f"openvino f32 | {threads} thread(s), LATENCY"] = ("openvino", threads, "LATENCY")
        variants[f"litert f32 | {threads} thread(s)"] = ("litert", threads, None)
    variants["openvino f32 | 2 threads, THROUGHPUT (2 streams, 2 requests in flight)"] = ("openvino", 2, "THROUGHPUT")
    built = {}
    for name, (kind, threads, knob) in variants.items():
        if kind == "opencv":
            built[name] = OpenCVEngine(model.cfg, tiny.cfg, tiny.weights, size, threads=threads, winograd=knob)
        elif kind == "openvino":
            built[name] = openvino(threads, knob)
        else:
            built[name] = create_engine("litert", model, size, "accurate", options=EngineOptions(threads=threads))
    for name, engine in built.items():
        if "opencv" in name:
            cv2.setNumThreads(engine.threads)
        latency = time_interleaved({"x": lambda e=engine: e.run(batch)}, args.runs)["x"]
        start = time.perf_counter()
        if getattr(engine, "queue", None) is not None:
            for _ in range(8):
                engine.queue.start_async({0: batch})
            engine.queue.wait_all()
        else:
            for _ in range(8):
                engine.run(batch)
        rate = 8 / (time.perf_counter() - start)
        lines.append(f"| {name} | {latency:.1f} | {rate:.1f} |")
    # Two lanes (one thread each, side by side) against one engine on both threads.
    for kind in ("opencv", "openvino", "litert"):
        single = create_engine(
            kind, model, size, "accurate", options=EngineOptions(threads=2, hint="f32" if kind == "openvino" else None)
        )
        lanes = [
            create_engine(
                kind,
                model,
                size,
                "accurate",
                options=EngineOptions(threads=1, hint="f32" if kind == "openvino" else None),
            )
            for _ in range(2)
        ]
        pool = ThreadPoolExecutor(2)
        rates = {"one engine, 2 threads": [], "2 lanes × 1 thread": []}
        for _ in range(args.repeats):
            if kind == "opencv":
                cv2.setNumThreads(2)
            start = time.perf_counter()
            for _ in range(16):
                single.run(batch)
            rates["one engine, 2 threads"].append(16 / (time.perf_counter() - start))
            if kind == "opencv":
                cv2.setNumThreads(1)
            start = time.perf_counter()
            list(pool.map(lambda e: [e.run(batch) for _ in range(8)], lanes))
            rates["2 lanes × 1 thread"].append(16 / (time.perf_counter() - start))
        for knob, values in rates.items():
            lines.append(f"| {single.description} | {knob} | | {spread(values)} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--size", type=int, default=416)
    parser.add_argument("--configs", default=",".join(DARKNET_CONFIGS), help=f"some of {', '.join(DARKNET_CONFIGS)}")
    parser.add_argument("--onnx", action="store_true", help="also the ONNX exports (f32 and int8)")
    parser.add_argument("--big", action="store_true", help="also YOLOv3 and YOLOv4 (random weights)")
    parser.add_argument("--configurations", default="as-is,avx2", help=f"some of {', '.join(CONFIGURATIONS)}")
    parser.add_argument("--tuning", action="store_true", help="measure the knobs instead (see the docstring)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", default=str(Path(tempfile.gettempdir()) / "yolo-desktop-bench-engine"))
    doc_tables.add_option(parser)
    args = parser.parse_args()
    args.configs = args.configs.split(",")
    if args.tuning:
        lines = tuning(args)
        print("\n".join(lines))
        if args.write_docs:
            doc_tables.write("engine-tuning", lines)
        return
    if args.child:
        print(json.dumps(measure(args)))
        return
    print(
        f"OpenCV {cv2.__version__}; batch 1 at {args.size}; {args.runs} runs in alternating blocks, "
        f"{args.repeats} repeats",
        flush=True,
    )
    by_configuration = {}
    for name in args.configurations.split(","):
        command = [sys.executable, __file__, "--child", *[a for a in sys.argv[1:] if a != doc_tables.OPTION]]
        done = subprocess.run(
            command, env={**os.environ, **CONFIGURATIONS[name]}, stdout=subprocess.PIPE, text=True, check=True
        )
        by_configuration[name] = json.loads(done.stdout.strip().splitlines()[-1])
    lines = table(by_configuration)
    print("\n" + "\n".join(lines))
    if args.write_docs:
        doc_tables.write("engine-latency", lines)
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "engine.json").write_text(json.dumps(by_configuration, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
