"""``auto``: the engine that is fastest *here*, found by measuring, remembered, and said why.

1. Remembered (``auto_memo.py``: per model sha256, input size, precision, processor + flags, library versions):
   that engine, with the numbers it won by.
2. Otherwise the engine *expected* to be fastest builds at once (``expected``: a rule from the measured tables in
   docs/benchmarks.md), so the first photos run without waiting, and a ``Trial`` is left for the model's owner
   thread to run **after the first result** (``Detector.measure_engines``; the pipeline calls it): every candidate
   that builds without a conversion runs the bundled sample photo; those whose detections differ from the float32
   reference (the accuracy gate) are refused; the rest are timed in alternating blocks (``timing.py``: each engine
   as it runs alone, not in the wake of another's spinning threads) for a few seconds at most;
   the fastest wins, is remembered, and replaces the engine in place.

Candidates: Darknet models — OpenVINO (float32, or bf16 for the models that passed its gate), OpenCV DNN, LiteRT;
for ``fast`` also OpenVINO int8, LiteRT int8 and OpenVINO bf16 where the processor has it. An int8 engine is chosen
only when it beats the fastest float engine by ``INT8_MARGIN`` (it costs about a point of mAP); otherwise ``fast``
runs that float engine and says so. ONNX exports — onnxruntime and OpenVINO (bf16 for ``fast`` where native).
A device or compute precision chosen explicitly (``--device``, a hint) is OpenVINO's, never measured.
$YOLO_DESKTOP_ENGINE names the engine ``auto`` builds instead, unmeasured: where no ``--engine`` reaches (the window),
or to hold every front door to one engine (the tests that need a conversion on any processor).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ...geometry import iou
from ...settings import DEFAULTS
from ..errors import ModelError
from ..model_cache import find_converted, model_key
from ..model_spec import DarknetModel, ModelFiles
from ..onnx_layouts import OnnxLayout
from .auto_memo import Measured, choice_key, has_flag, measuring, remember, remembered
from .base import Engine, EngineOptions, available
from .timing import block_interleaved, median_ms

ENGINE_ENV = "YOLO_DESKTOP_ENGINE"  # what auto builds instead of choosing (one of ``candidates``)
INT8_MARGIN = 1.15  # an int8 engine replaces the fastest float one for "fast" only when this many times faster
MIN_ROUNDS, MAX_ROUNDS, BUDGET_S = 3, 10, 2.0  # rounds of timing.BLOCK timed runs each; stop after ~2 s
INT8 = ("openvino-int8", "litert-int8")
# Candidate label → (engine, precision it is built with, OpenVINO compute hint).
DARKNET = {
    "openvino": ("openvino", "accurate", None),
    "opencv": ("opencv", "accurate", None),
    "litert": ("litert", "accurate", None),
    "openvino-bf16": ("openvino", "accurate", "bf16"),
    "openvino-int8": ("openvino", "fast", None),
    "litert-int8": ("litert", "fast", None),
    "keras": ("keras", "accurate", None),
}
ONNX = {
    "onnxruntime": ("onnxruntime", "accurate", None),
    "openvino": ("openvino", "accurate", "f32"),
    "openvino-bf16": ("openvino", "accurate", "bf16"),
}
# The accuracy gate on the sample photo, against the float32 reference's detections at conf 0.25 (IoU: boxes'
# intersection over union; F1 over detections matched one to one, same class). Float engines must find the same
# objects in the same places; int8 ones may lose or move a few, as their mAP does.
GATE_FLOAT = (0.9, 0.99)  # (IoU at least, F1 at least)
GATE_INT8 = (0.5, 0.8)
GATE_CONF = DEFAULTS.conf  # the decode the gate compares (Detector.measure_engines) keeps detections from here
NEAR_THRESHOLD = 0.03  # a detection scoring within this of GATE_CONF may fall either side: not counted against


@dataclass(frozen=True)
class Target:
    """What ``auto`` chooses an engine for: a Darknet model (``darknet``) or an ONNX export (``layout``)."""

    files: ModelFiles
    size: tuple[int, int]
    precision: str
    darknet: DarknetModel | None = None
    layout: OnnxLayout | None = None

    @property
    def labels(self) -> dict[str, tuple[str, str, str | None]]:
        return DARKNET if self.darknet is not None else ONNX

    @property
    def key(self) -> str:
        return choice_key(self.files.weights, self.files.cfg, self.size, self.precision)


Decode = Callable[[list[np.ndarray]], tuple[np.ndarray, np.ndarray, np.ndarray]]  # heads → boxes, scores, classes


def build(label: str, target: Target, log: Callable[[str], None] | None, options: EngineOptions) -> Engine:
    from .build import build_engine, build_onnx_engine

    kind, precision, hint = target.labels[label]
    options = EngineOptions(options.device, options.hint or hint, options.threads, options.cancel)  # the user's first
    if target.darknet is not None:
        return build_engine(kind, target.darknet, target.size, precision, log, options)
    assert target.layout is not None
    return build_onnx_engine(kind, target.layout, target.files.weights, precision, options)


def candidates(target: Target) -> list[str]:
    """The labels this installation can run for the target, in the order a tie is broken."""
    from .openvino_engine import has_bf16

    if target.layout is not None:
        names = ["onnxruntime", "openvino"]
        if target.precision == "fast" and available("openvino") and has_bf16():
            names.insert(0, "openvino-bf16")
        return [n for n in names if available(target.labels[n][0])]
    names = ["openvino", "opencv", "litert"]
    if target.precision == "fast":
        names = ["openvino-int8", "litert-int8"] + (["openvino-bf16"] if available("openvino") and has_bf16() else [])
        names += ["openvino", "opencv", "litert"]
    return [n for n in names if available(target.labels[n][0])] or ["keras"]


def ready(label: str, target: Target) -> bool:
    """Whether ``label`` builds without a conversion (seconds of TensorFlow): only those are measured."""
    model = target.darknet
    if model is None or label in ("opencv", "onnxruntime"):
        return True
    from ..openvino_converted import OPENVINO_F32, find_openvino_f16, find_openvino_int8, find_openvino_ir

    cfg, weights = model.cfg_path, model.weights
    tflite = find_converted(model.name, model_key(cfg, weights, "accurate"), "accurate") is not None
    if label in ("openvino", "openvino-bf16"):
        found = find_openvino_ir(model.name, cfg, weights, OPENVINO_F32) or find_openvino_f16(model.name, cfg, weights)
        return tflite or found is not None
    if label == "openvino-int8":
        return find_openvino_int8(model.name, cfg, weights) is not None
    if label == "litert":
        return tflite
    if label == "litert-int8":
        return find_converted(model.name, model_key(cfg, weights, "fast"), "fast") is not None
    return False  # keras: imports TensorFlow, never the fastest


def expected(target: Target, names: list[str]) -> tuple[str, str]:
    """The engine expected fastest before anything is measured, and why (docs/benchmarks.md, the engine table)."""
    if target.layout is not None:
        if "onnxruntime" in names:
            return "onnxruntime", "expected fastest for ONNX exports (onnxruntime ran them faster than OpenVINO)"
        return names[0], "onnxruntime is not installed"
    avx512 = has_flag("avx512f")
    vnni = has_flag("avx512_vnni", "avx_vnni", "amx_int8")
    if target.precision == "fast" and vnni:
        for name in ("openvino-int8", "litert-int8"):
            if name in names and (ready(name, target) or name == "litert-int8"):
                return name, "expected fastest: int8 on a processor with VNNI"
    fallback = " (int8 is not expected to pay without VNNI)" if target.precision == "fast" else ""
    if avx512 and "openvino" in names:
        return "openvino", "expected fastest with AVX-512" + fallback
    if "opencv" in names:
        return "opencv", "expected fastest on AVX2 processors (OpenCV DNN, no conversion)" + fallback
    return names[0], "the only engine installed"


class Trial:
    """The measurement left for the owner thread (see the module's docstring). ``current``: the engine running now,
    built as ``label``."""

    def __init__(self, target: Target, label: str, current: Engine, options: EngineOptions) -> None:
        self.target, self.label, self.current, self.options = target, label, current, options

    def run(self, batch: np.ndarray, decode: Decode, log: Callable[[str], None] | None = None) -> tuple[str, Engine]:
        """Measure on ``batch`` (the sample photo, letterboxed for this model); returns the winner (label, engine),
        its ``auto_reason`` the numbers."""
        engines = {self.label: self.current}
        for name in candidates(self.target):
            if name in engines or not ready(name, self.target):
                continue
            try:
                engines[name] = build(name, self.target, log, self.options)
            except (ModelError, ValueError, ImportError, RuntimeError) as exc:
                if log:
                    log(f"auto: {name} not measured: {exc}")
        refused = gate(engines, batch, decode, self.target)
        timed = {name: engine for name, engine in engines.items() if name not in refused}
        ms = _interleaved_ms(timed, batch)
        chosen, note = _pick(ms, self.target.precision)
        shown = {name: engine.description.split(" (")[0] for name, engine in engines.items()}
        measured = Measured(chosen, ms, datetime.date.today().isoformat(), refused, note, shown)
        remember(self.target.key, measured)
        winner = engines[chosen]
        winner.auto_reason = measured.reason
        return chosen, winner


def choose(
    target: Target, log: Callable[[str], None] | None, options: EngineOptions
) -> tuple[str, Engine, Trial | None]:
    """The engine to start with (its label, the engine) and, when nothing was measured yet, the trial to run after
    the first result."""
    if options.device not in (None, "CPU") or options.hint is not None:
        label = "openvino-int8" if target.darknet is not None and target.precision == "fast" else "openvino"
        engine = build(label, target, log, options)
        engine.auto_reason = "a device or compute precision was chosen explicitly (OpenVINO's)"
        return label, engine, None
    forced = os.environ.get(ENGINE_ENV, "").strip().lower()
    if forced:
        if forced not in candidates(target):
            raise ModelError(
                f"${ENGINE_ENV}={forced}: not an engine for {target.files.name} here "
                f"(one of {', '.join(candidates(target))})"
            )
        engine = build(forced, target, log, options)
        engine.auto_reason = f"set by ${ENGINE_ENV}"
        return forced, engine, None
    if target.darknet is not None and target.files.weights.is_file():  # (the standalone app ships a digest)
        from ..darknet_weights import check_weights_size

        check_weights_size(str(target.files.weights), target.darknet.cfg)
    names = candidates(target)
    known = remembered(target.key)
    if known is not None and known.chosen in names:
        try:
            engine = build(known.chosen, target, log, options)
            engine.auto_reason = known.reason
            return known.chosen, engine, None
        except (ModelError, ValueError, ImportError):
            pass  # e.g. the int8 model was removed: measure again
    label, why = expected(target, names)
    order = [label] + [n for n in names if n != label]
    for position, name in enumerate(order):
        try:
            engine = build(name, target, log, options)
        except (ModelError, ValueError, ImportError) as exc:
            # A runtime that cannot run here (a missing plugin, an int8 model not made) makes way for the next (bad
            # weights were refused above, by every engine alike).
            if position == len(order) - 1:
                raise
            if log:
                log(f"auto: {name} cannot run here: {exc}")
            continue
        others = [n for n in names if n != name and ready(n, target)]
        if name != label:
            why = f"{label} cannot run here"
        if measuring() and others:
            engine.auto_reason = f"{why}; measuring {', '.join(others)} after the first result"
            return name, engine, Trial(target, name, engine, options)
        engine.auto_reason = why
        return name, engine, None
    raise ModelError(f"{target.files.name}: no engine can run it here")  # unreachable: the last one raised


def gate(engines: dict[str, Engine], batch: np.ndarray, decode: Decode, target: Target) -> dict[str, str]:
    """{label: why} for the engines whose detections on ``batch`` are not the float32 reference's (``GATE_*``)."""
    reference = next((n for n in ("opencv", "onnxruntime", "openvino", "litert") if n in engines), None)
    if reference is None:
        return {}
    expected_rows = decode(engines[reference].run(batch))
    refused = {}
    for name, engine in engines.items():
        if name == reference:
            continue
        min_iou, min_f1 = GATE_INT8 if name in INT8 or target.precision == "fast" else GATE_FLOAT
        f1 = agreement(expected_rows, decode(engine.run(batch)), min_iou)
        if f1 < min_f1:
            refused[name] = f"F1 {f1:.2f} against {reference} at IoU ≥ {min_iou}, needs ≥ {min_f1}"
    return refused


def agreement(
    reference: tuple[np.ndarray, np.ndarray, np.ndarray],
    other: tuple[np.ndarray, np.ndarray, np.ndarray],
    min_iou: float,
    conf: float = GATE_CONF,
) -> float:
    """F1 of ``other``'s detections against ``reference``'s: matched one to one, same class, IoU ≥ ``min_iou``,
    greedily by score. An unmatched detection scoring within ``NEAR_THRESHOLD`` of ``conf`` is not counted (float
    rounding can put it either side of the threshold)."""
    (ref_boxes, ref_scores, ref_classes), (boxes, scores, classes) = reference, other
    if len(ref_boxes) == 0 and len(boxes) == 0:
        return 1.0
    overlaps = iou(ref_boxes, boxes) if len(ref_boxes) and len(boxes) else np.zeros((len(ref_boxes), len(boxes)))
    matched_ref, matched = set(), set()
    for i in np.argsort(-ref_scores):
        candidates_ = [
            j
            for j in range(len(boxes))
            if j not in matched and classes[j] == ref_classes[i] and overlaps[i, j] >= min_iou
        ]
        if candidates_:
            j = max(candidates_, key=lambda k: overlaps[i, k])
            matched_ref.add(int(i))
            matched.add(j)
    floor = conf + NEAR_THRESHOLD
    missed = sum(1 for i in range(len(ref_boxes)) if i not in matched_ref and ref_scores[i] > floor)
    extra = sum(1 for j in range(len(boxes)) if j not in matched and scores[j] > floor)
    hits = len(matched_ref)
    return 1.0 if hits + missed + extra == 0 else 2 * hits / (2 * hits + missed + extra)


def _interleaved_ms(engines: dict[str, Engine], batch: np.ndarray) -> dict[str, float]:
    """Median ms per engine, timed in alternating blocks (``timing.py``) so that the machine's noise hits all alike
    and no engine is timed in another's wake."""
    functions = {name: (lambda engine=engine: engine.run(batch)) for name, engine in engines.items()}
    times = block_interleaved(functions, MIN_ROUNDS, MAX_ROUNDS, BUDGET_S)
    return {name: round(ms, 2) for name, ms in median_ms(times).items()}  # as remembered


def _pick(ms: dict[str, float], precision: str) -> tuple[str, str]:
    fastest = min(ms, key=lambda name: ms[name])
    floats = {name: value for name, value in ms.items() if name not in INT8}
    if precision != "fast" or not floats:
        return fastest, ""
    best_float = min(floats, key=lambda name: floats[name])
    int8 = {name: value for name, value in ms.items() if name in INT8}
    if not int8:
        return best_float, "fast runs float here: no int8 model could be measured"
    if fastest in INT8 and ms[best_float] >= ms[fastest] * INT8_MARGIN:
        return fastest, ""
    best_int8 = min(int8, key=lambda name: int8[name])
    return best_float, (
        f"int8 does not pay here ({best_int8} {ms[best_int8]:.1f} ms is not {INT8_MARGIN}× faster): fast runs "
        f"{best_float}"
    )
