"""TensorFlow's own converter quantising the model (dynamic range and fully static int8, 16x8): the recipes of the
quantisation table that the app does not use (they lost more than ai-edge-quantizer's; DEVELOPERS.md). Only
bench/bench_quant.py runs them, to keep that table reproducible."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from yolo_desktop.inference.convert import _float_conv_indices, saved_model_converter
from yolo_desktop.inference.darknet_cfg import DarknetConfig


@dataclass(frozen=True)
class TFRecipe:
    mode: str = "int8"  # "dynamic": int8 weights only; "int8": weights and activations; "16x8": int16 activations
    per_channel: bool = True  # per-output-channel weight scales (else one scale per tensor)
    float_layers: tuple[str, ...] = ()  # conv layer selectors kept in float: "first", "heads", "conv_<i>"
    calibration_images: int = 200


def convert_tf(cfg: DarknetConfig, weights_path: str, recipe: TFRecipe, calibration: Iterable[np.ndarray]) -> bytes:
    """The int8 .tflite of ``recipe``; ``calibration``: letterboxed (1, H, W, 3) float32 batches (static modes)."""
    with saved_model_converter(cfg, weights_path) as (tf, converter):
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if recipe.mode == "dynamic":
            return converter.convert()
        samples = [np.asarray(b, dtype=np.float32) for b in list(calibration)[: recipe.calibration_images]]
        if not samples:
            raise ValueError("static int8 needs calibration images")
        converter.representative_dataset = lambda: ([sample] for sample in samples)
        if recipe.mode == "16x8":
            converter.target_spec.supported_ops = [
                tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
            ]
        elif recipe.mode == "int8":
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8, tf.lite.OpsSet.TFLITE_BUILTINS]
        else:
            raise ValueError(f"unknown quantisation mode {recipe.mode!r}")
        if not recipe.per_channel:
            converter._experimental_disable_per_channel = True  # the converter's own switch; no public API exists
        float_convs = _float_conv_indices(cfg, recipe.float_layers)
        if not float_convs:
            return converter.convert()
        # Selective quantisation: TensorFlow's QuantizationDebugger is the supported way to keep nodes in float.
        options = tf.lite.experimental.QuantizationDebugOptions(
            denylisted_nodes=_denylisted_nodes(converter, float_convs, heads="heads" in recipe.float_layers)
        )
        debugger = tf.lite.experimental.QuantizationDebugger(
            converter=converter, debug_dataset=lambda: ([s] for s in samples[:8]), debug_options=options
        )
        return debugger.get_nondebug_quantized_model()


def _denylisted_nodes(converter, conv_indices: set[int], heads: bool) -> list[str]:
    """Names of the quantised model's nodes that belong to the given conv layers (conv, bias, activation).
    A head conv's output is a model output, named after the signature rather than the layer: add those too."""
    from ai_edge_litert.interpreter import Interpreter

    probe = Interpreter(model_content=converter.convert())
    # SavedModel export suffixes layer scopes ("conv_15_1/BiasAdd"); match the layer name with or without it.
    pattern = re.compile(r"(^|/|;)(conv|leaky)_(" + "|".join(str(i) for i in sorted(conv_indices)) + r")(_\d+)?/")
    details = probe.get_tensor_details()
    names = [d["name"] for d in details if pattern.search(d["name"])]
    if heads:
        by_index = {d["index"]: d["name"] for d in details}
        outputs = [by_index[o["index"]] for o in probe.get_signature_runner().get_output_details().values()]
        names += [d["name"] for d in details if any(d["name"].startswith(o) for o in outputs)]
    return names
