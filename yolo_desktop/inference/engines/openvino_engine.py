"""The OpenVINO engine: the converted model run by the OpenVINO runtime, which reads the LiteRT file directly
(accurate), or an int8 OpenVINO model quantised from it by NNCF (fast; see inference/openvino_int8.py).

Precision on the CPU: ``accurate`` runs in bfloat16 where the processor has native bf16 (OpenVINO lists ``BF16`` in
``OPTIMIZATION_CAPABILITIES``: AVX-512-BF16 or AMX), float32 elsewhere. bf16 keeps float32's range with an 8-bit
mantissa; on the COCO sample it scores within the accuracy gate of float32 (tests/inference/test_openvino.py,
table in DEVELOPERS.md). Imports neither TensorFlow nor LiteRT.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..darknet_cfg import DarknetConfig
from ..errors import ModelError
from ..model_cache import cache_dir
from .base import default_threads
from .quiet import quiet_native_stderr
from .tflite_signature import signature_outputs

# What OpenVINO calls each inference precision, and what we show.
HINTS = {"f32": "f32", "bf16": "bf16", "f16": "f16"}
DEVICE_ENV = "YOLO_DESKTOP_DEVICE"
ACCURATE_COMPUTE_ENV = "YOLO_DESKTOP_ACCURATE_COMPUTE"


@functools.lru_cache(maxsize=1)
def core() -> Any:
    """One OpenVINO Core per process (thread-safe; it loads each device plugin once)."""
    import openvino

    return openvino.Core()


def default_device() -> str:
    return os.environ.get(DEVICE_ENV, "").strip().upper() or "CPU"


@functools.lru_cache(maxsize=1)
def devices() -> tuple[str, ...]:
    """The devices OpenVINO can run on here. Asked once: listing them loads every device plugin, and OpenVINO
    unloads those that find no device (GPU, NPU). Unloading a library that holds thread-local storage, then
    starting threads, can abort the process in glibc 2.36 ("Inconsistency detected by ld.so: dl-tls.c: 654"),
    seen with Qt's thread pool after a few engines were built: so the CPU, always there, never asks."""
    return tuple(core().available_devices)


def device_available(device: str) -> bool:
    if device == "CPU":
        return True
    return any(d == device or d.startswith(device + ".") for d in devices())


# oneDNN's instruction-set cap (ONEDNN_MAX_CPU_ISA, or its older name DNNL_MAX_CPU_ISA), which OpenVINO's CPU plugin
# obeys, while OPTIMIZATION_CAPABILITIES still lists BF16 from the processor's flags. Capped below AVX512_CORE_BF16
# there is no native bf16: at an AVX2 cap compiling a bf16 model fails, at AVX512_CORE it is emulated, with other
# numbers than the ones the accuracy gate passed.
ISA_CAP_ENV = ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA")
_CAPS_WITHOUT_BF16 = {"SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI"}


def has_bf16(device: str = "CPU") -> bool:
    """True when the device computes bfloat16 natively (OpenVINO reports it; on x86: AVX-512-BF16 or AMX) and
    oneDNN is not capped below it."""
    if device == "CPU" and any(os.environ.get(name, "").strip().upper() in _CAPS_WITHOUT_BF16 for name in ISA_CAP_ENV):
        return False
    try:
        return "BF16" in core().get_property(device, "OPTIMIZATION_CAPABILITIES")
    except RuntimeError:  # device plugin absent
        return False


# Models whose bf16 run passed the accuracy gate on the labelled COCO sample (mAP@0.5 and mAP@0.5:0.95 within 0.2
# points of float32, F1 ≥ 0.99 against float32; tests/inference/test_openvino.py checks every entry): weights sha256
# → name. "accurate" runs bf16 only for these; any other model — yolov4-tiny lost 0.49 mAP@0.5 in bf16, and a
# user's own model cannot be measured — runs float32.
BF16_ACCURATE = {
    "dccea06f59b781ec1234ddf8d1e94b9519a97f4245748a7d4db75d5b7080a42c": "yolov3-tiny",
}


def accurate_hint(device: str, weights_sha256: str = "") -> str:
    # bf16 passes the gate at the default size (F1 0.990 vs float32 at 416) but only just, and not at every size
    # (0.987 at 320): $YOLO_DESKTOP_ACCURATE_COMPUTE=f32 keeps "accurate" float32 whatever the processor.
    if os.environ.get(ACCURATE_COMPUTE_ENV, "").strip().lower() == "f32":
        return "f32"
    if device == "CPU" and weights_sha256 in BF16_ACCURATE:
        return "bf16" if has_bf16(device) else "f32"
    return "f32"  # GPUs default to f16, which is not what "accurate" promises


def compiled_cache_dir() -> Path | None:
    """Where OpenVINO keeps compiled models, so a start after the first skips compiling (it keys each blob by the
    model's graph and weights, the device, the compile options and its own version; stale ones are never used).
    In the app's cache folder beside the converted models; None when it cannot be written (then it compiles)."""
    folder = cache_dir() / "openvino-compiled"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None


def _loaded_from_cache(compiled: Any) -> bool:
    try:
        return bool(compiled.get_property("LOADED_FROM_CACHE"))
    except RuntimeError:  # a plugin that does not report it
        return False


def darknet_outputs(cfg: DarknetConfig) -> list[str]:
    """The output names of a converted Darknet model, one per [yolo] in cfg order (``yolo_<layer index>``)."""
    return [f"yolo_{layer.index}" for layer in cfg.yolo_layers]


def name_outputs(model: Any, tflite_path: str) -> None:
    """OpenVINO names a .tflite's outputs after their tensors; give them the signature's names (yolo_<layer>)."""
    by_tensor = {tensor: name for name, tensor in signature_outputs(tflite_path).items()}
    for output in model.outputs:
        output.get_tensor().set_names({by_tensor[output.get_any_name()]})


class OpenVINOEngine:
    name = "openvino"
    auto_reason = ""

    def __init__(
        self,
        outputs: Sequence[str],
        model_path: str,
        size: tuple[int, int],
        precision: str,
        device: str | None = None,
        threads: int | None = None,
        hint: str | None = None,
        weights_sha256: str = "",
        channels_first: bool = False,
    ) -> None:
        """``outputs``: the output names, in the order ``run`` returns them (``darknet_outputs(cfg)`` for our
        conversions). ``model_path``: a converted .tflite (float32), OpenVINO IR (.xml: the accurate model, its
        compact float16-weights form in the standalone app, or the int8 model for ``fast``), or an ONNX export.
        ``size``: (height, width); ``channels_first``: the input is NCHW (ONNX exports), else NHWC. ``hint``: the
        inference precision (f32, bf16, f16); by default bf16 where the CPU has it and the model passed the bf16
        gate (``BF16_ACCURATE``, found by ``weights_sha256``), else f32."""
        self.precision = precision
        self.input_height, self.input_width = size
        self.path = model_path
        self.device = (device or default_device()).upper()
        if not device_available(self.device):
            raise ModelError(
                f"OpenVINO device {self.device} is not available here (available: "
                f"{', '.join(devices())}); the CPU is the default"
            )
        self.int8 = precision == "fast"
        # The standalone app's compact IR (float16 weights) is named with its cache tag (openvino_converted.py).
        self.f16_weights = not self.int8 and "-accurate-f16-" in Path(model_path).name
        # The int8 model's float layers (first conv, heads) are float for accuracy: they run f32 unless told.
        self.hint = hint or ("f32" if self.int8 else accurate_hint(self.device, weights_sha256))
        if self.hint not in HINTS:
            raise ValueError(f"unknown inference precision {self.hint!r} (available: {', '.join(HINTS)})")
        with quiet_native_stderr():
            model = core().read_model(model_path)
            if Path(model_path).suffix == ".tflite":
                name_outputs(model, model_path)
            shape = (
                [1, 3, self.input_height, self.input_width]
                if channels_first
                else [1, self.input_height, self.input_width, 3]
            )
            model.reshape({model.inputs[0]: shape})
            config: dict[str, Any] = {"INFERENCE_PRECISION_HINT": HINTS[self.hint], "PERFORMANCE_HINT": "LATENCY"}
            if self.device == "CPU":
                config["INFERENCE_NUM_THREADS"] = threads or default_threads()
            cache = compiled_cache_dir()
            if cache is not None:
                config["CACHE_DIR"] = str(cache)
            try:
                self.compiled = core().compile_model(model, self.device, config)
            except RuntimeError:
                if "CACHE_DIR" not in config:
                    raise
                # The compiled-model cache is a speed-up, never a reason not to run: OpenVINO's is not safe between
                # processes compiling the same model at once (seen: "cannot set permissions: No such file or
                # directory [...blob]" when two test workers and a server compiled together). Compile without it.
                del config["CACHE_DIR"]
                self.compiled = core().compile_model(model, self.device, config)
            self.loaded_from_cache = _loaded_from_cache(self.compiled)
            self.request = self.compiled.create_infer_request()
            self.outputs = [self.compiled.output(name) for name in outputs]
            self.run(np.full(shape, 0.5, np.float32))  # the first run allocates

    @property
    def description(self) -> str:
        """What runs, for status lines: e.g. "openvino bf16 (CPU)", "openvino int8 (CPU)"."""
        compute = ("int8" if self.hint == "f32" else f"int8+{self.hint}") if self.int8 else self.hint
        if self.f16_weights:
            compute += ", f16 weights"
        return f"openvino {compute} ({self.device})"

    def run(self, batch: np.ndarray) -> list[np.ndarray]:
        self.request.infer({0: np.ascontiguousarray(batch, dtype=np.float32)})
        # The request reuses its output buffers on the next run: copy (13×13×255 floats, microseconds).
        return [self.request.get_tensor(output).data.copy() for output in self.outputs]
