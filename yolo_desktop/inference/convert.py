"""Convert a Darknet model to LiteRT (TensorFlow Lite): fp32 or int8.

Needs TensorFlow (imported here, lazily). The converted graph has one signature, ``serving_default``, with the
input ``image`` (1, H, W, 3) float32 — H and W left open, so one converted model serves every input size (the
interpreter is resized to the size in use) — and one named output per [yolo] head (``yolo_<layer index>``) —
LiteRT orders outputs differently from Keras, so engines read them by name. NMS stays out of the graph.

Precisions:
- ``accurate``: float32, no optimisation; heads within 1e-4 of the Keras model.
- ``fast``: int8 post-training quantisation with float input/output, recipe ``FAST_RECIPE``: dynamic-range int8
  (int8 weights per output channel; activations quantised per inference by XNNPACK) made by ai-edge-quantizer from
  the float32 model. It needs no calibration photos. Chosen by ``bench/bench_quant.py`` over fully static int8,
  which is no faster and agrees less with float32 however it is calibrated (docs/accuracy.md, "int8 recipes").
"""

from __future__ import annotations

import contextlib
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .darknet_cfg import ConvSection, DarknetConfig
from .darknet_weights import load_weights
from .engines.quiet import quiet_native_stderr
from .engines.tf_env import import_tensorflow


@dataclass(frozen=True)
class QuantRecipe:
    """How the fast (int8) model is made with ai-edge-quantizer (bench/bench_quant.py varies these; the static-int8
    recipes of TensorFlow's own converter, which lost more, live in bench/tf_converter_recipes.py)."""

    # "aeq-dynamic": int8 weights per output channel, activations quantised per inference by XNNPACK;
    # "aeq-weight-only": int8 weights dequantised to float (no speed-up: measures what weights alone lose)
    mode: str = "aeq-dynamic"
    float_layers: tuple[str, ...] = ()  # conv layer selectors kept in float: "first", "heads", "conv_<i>"


FAST_RECIPE = QuantRecipe(mode="aeq-dynamic")


def head_names(cfg: DarknetConfig) -> list[str]:
    return [f"yolo_{layer.index}" for layer in cfg.yolo_layers]


def _float_conv_indices(cfg: DarknetConfig, selectors: Sequence[str]) -> set[int]:
    convs = cfg.conv_layers
    chosen: set[int] = set()
    for selector in selectors:
        if selector == "first":
            chosen.add(convs[0].index)
        elif selector == "heads":
            chosen.update(
                layer.index - 1 for layer in cfg.yolo_layers if isinstance(cfg.layers[layer.index - 1], ConvSection)
            )
        elif selector.startswith("conv_"):
            chosen.add(int(selector[5:]))
        else:
            raise ValueError(f"unknown layer selector {selector!r}")
    return chosen


@contextlib.contextmanager
def saved_model_converter(cfg: DarknetConfig, weights_path: str) -> Iterator[tuple[Any, Any]]:
    """(tensorflow, a TFLiteConverter of the model): weights frozen, one signature with named outputs."""
    tf = import_tensorflow()
    import keras

    from .keras_model import build_model

    model = build_model(cfg, None, load_weights(weights_path, cfg))
    names = head_names(cfg)
    spec = tf.TensorSpec((1, None, None, 3), tf.float32, name="image")
    # Keras 3 variables are only frozen into the graph through a SavedModel; Keras's ExportArchive writes one
    # with a named-output endpoint (the converter's concrete-function path would leave them as variables).
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(
        name="serving_default", fn=lambda image: dict(zip(names, model(image, training=False))), input_signature=[spec]
    )
    with (
        tempfile.TemporaryDirectory(prefix="yolo-desktop-export-") as saved,
        quiet_native_stderr(),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")  # the converter's own deprecation notices are not the user's concern
        archive.write_out(saved, verbose=False)
        yield tf, tf.lite.TFLiteConverter.from_saved_model(saved, signature_keys=["serving_default"])


def convert(cfg: DarknetConfig, weights_path: str, precision: str, recipe: QuantRecipe = FAST_RECIPE) -> bytes:
    """The .tflite bytes of ``precision``: accurate (float32) or fast (``recipe``, from the float32 model)."""
    if precision not in ("accurate", "fast"):
        raise ValueError(f"unknown precision {precision!r}")
    with saved_model_converter(cfg, weights_path) as (_tf, converter):
        float_model = converter.convert()
    return float_model if precision == "accurate" else quantize_aeq(float_model, cfg, recipe)


def quantize_aeq(float_model: bytes, cfg: DarknetConfig, recipe: QuantRecipe) -> bytes:
    """int8 weights (per output channel, symmetric, min/max) on every CONV_2D except ``recipe.float_layers``, with
    ai-edge-quantizer: ``aeq-dynamic`` leaves activations float for XNNPACK to quantise per inference."""
    from ai_edge_quantizer import qtyping, quantizer

    kept = _float_conv_indices(cfg, recipe.float_layers)
    heads = {layer.index - 1 for layer in cfg.yolo_layers}
    # The recipe matches ops by their output tensor's name: "darknet_1/conv_<i>_1/BiasAdd;…" inside the graph,
    # "StatefulPartitionedCall:<n>" for a head (a model output); exclusions become a negative look-ahead.
    excluded = [rf"[^;]*/conv_{i}_" for i in sorted(kept - heads)]
    if kept & heads:
        excluded.append("StatefulPartitionedCall")
    regex = f"^(?!{'|'.join(excluded)})" if excluded else ".*"
    weights = qtyping.TensorQuantizationConfig(
        num_bits=8, symmetric=True, granularity=qtyping.QuantGranularity.CHANNELWISE
    )
    integer = recipe.mode == "aeq-dynamic"
    config = qtyping.OpQuantizationConfig(
        weight_tensor_config=weights,
        explicit_dequantize=not integer,
        compute_precision=qtyping.ComputePrecision.INTEGER if integer else qtyping.ComputePrecision.FLOAT,
    )
    with tempfile.TemporaryDirectory(prefix="yolo-desktop-aeq-") as folder:
        source = f"{folder}/float.tflite"
        with open(source, "wb") as handle:
            handle.write(float_model)
        with quiet_native_stderr(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantizing = quantizer.Quantizer(source)
            quantizing.update_quantization_recipe(
                regex=regex, operation_name=qtyping.TFLOperationName.CONV_2D, op_config=config
            )
            result = quantizing.quantize(enable_progress_bar=False, enable_progress_report=False)
    return bytes(result.quantized_model)
