"""Building one named engine (keras, litert, openvino, opencv) for a Darknet model, converting it first when
needed; an ONNX export on OpenVINO or onnxruntime."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..darknet_cfg import DarknetConfig
from ..errors import ModelError
from ..model_spec import DarknetModel
from ..onnx_layouts import OnnxLayout
from .base import Engine, EngineOptions, available, check_engine


def build_engine(
    kind: str,
    model: DarknetModel,
    size: tuple[int, int],
    precision: str,
    log: Callable[[str], None] | None,
    options: EngineOptions,
) -> Engine:
    model_name, cfg, cfg_path, weights_path = model.name, model.cfg, model.cfg_path, model.weights
    if kind == "keras":
        if precision != "accurate":
            raise ValueError("the keras engine runs float32 only; the fast (int8) precision needs LiteRT or OpenVINO")
        from .keras_engine import KerasEngine

        return KerasEngine(cfg, str(weights_path), size)
    if kind == "opencv":
        if precision != "accurate":
            raise ValueError("the opencv engine runs float32 only; the fast (int8) precision needs LiteRT or OpenVINO")
        from .opencv_engine import OpenCVEngine

        return OpenCVEngine(cfg, cfg_path, weights_path, size, threads=options.threads)
    if size[0] != size[1]:
        raise ValueError(f"the {kind} engine is built for square inputs")
    from ..converted import ensure_converted

    if kind == "litert":
        from .litert_engine import LiteRTEngine

        path = ensure_converted(model_name, cfg, cfg_path, weights_path, precision, log, options.cancel)
        return LiteRTEngine(cfg, str(path), size, precision, threads=options.threads)
    if kind == "openvino":
        from .openvino_engine import OpenVINOEngine, darknet_outputs

        if precision == "fast":
            from ..openvino_converted import ensure_openvino_int8

            path = ensure_openvino_int8(model_name, cfg, cfg_path, weights_path, log)
        else:
            path = _accurate_model(model_name, cfg, cfg_path, weights_path, log, options)
        from ..model_cache import file_sha256

        return OpenVINOEngine(
            darknet_outputs(cfg),
            str(path),
            size,
            precision,
            device=options.device,
            threads=options.threads,
            hint=options.hint,
            weights_sha256=file_sha256(Path(weights_path)),
        )
    raise ValueError(f"unknown engine {kind!r}")


def _accurate_model(
    model_name: str,
    cfg: DarknetConfig,
    cfg_path: Path,
    weights_path: Path,
    log: Callable[[str], None] | None,
    options: EngineOptions,
) -> Path:
    """The accurate model as OpenVINO IR: float32 weights, made once from the .tflite; where only the compact
    float16-weights IR exists (the standalone app ships that instead, to stay small), that one."""
    from ..model_cache import find_converted, model_key
    from ..openvino_converted import OPENVINO_F32, ensure_openvino_ir, find_openvino_f16, find_openvino_ir

    found = find_openvino_ir(model_name, cfg_path, weights_path, OPENVINO_F32)
    if found is not None:
        return found
    if find_converted(model_name, model_key(cfg_path, weights_path, "accurate"), "accurate") is None:
        compact = find_openvino_f16(model_name, cfg_path, weights_path)
        if compact is not None:
            return compact
    return ensure_openvino_ir(model_name, cfg, cfg_path, weights_path, log, OPENVINO_F32, options.cancel)


def build_onnx_engine(kind: str, layout: OnnxLayout, onnx_path: Path, precision: str, options: EngineOptions) -> Engine:
    """An ONNX export on OpenVINO, which reads it directly (no conversion, no TensorFlow). ``accurate`` runs float32
    (bf16 only for models measured to pass the accuracy gate, none of which is an ONNX export); ``fast`` runs bf16
    where the processor has it natively, else float32: there is no int8 model of an ONNX export (yet)."""
    check_engine(kind, "onnx")
    if kind == "onnxruntime":
        if not available("onnxruntime"):
            raise ModelError("the onnxruntime engine is not installed (pip install onnxruntime)")
        from .onnxruntime_engine import OnnxRuntimeEngine

        return OnnxRuntimeEngine(
            onnx_path,
            layout.input_name,
            layout.output_name,
            (layout.height, layout.width),
            options.threads,
            options.device,
        )
    if not available("openvino"):
        raise ModelError("ONNX models run on OpenVINO, which is not installed (pip install openvino)")
    from ..model_cache import file_sha256
    from .openvino_engine import OpenVINOEngine, has_bf16

    hint = options.hint
    reason = "ONNX models run on OpenVINO"
    if precision == "fast" and hint is None:
        hint = "bf16" if has_bf16(options.device or "CPU") else "f32"
        reason += f"; fast = {hint} (no int8 model is made for ONNX exports)"
    engine = OpenVINOEngine(
        [layout.output_name],
        str(onnx_path),
        (layout.height, layout.width),
        "accurate",  # the engine's "fast" means an int8 model; this one is the float graph at ``hint``
        device=options.device,
        threads=options.threads,
        hint=hint,
        weights_sha256=file_sha256(onnx_path),
        channels_first=True,
    )
    if kind == "auto":
        engine.auto_reason = reason
    return engine
