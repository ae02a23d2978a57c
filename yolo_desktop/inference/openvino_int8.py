"""The OpenVINO int8 model (``fast`` on the openvino engine): NNCF post-training quantisation of the float32
converted model, calibrated on real photos.

Needs ``nncf`` (conversion only: the app runs the result with the OpenVINO runtime alone). NNCF quantises weights
per output channel and activations per tensor (symmetric or, with the ``mixed`` preset, asymmetric where an
activation is not centred on zero: after leaky ReLU it is not), with min/max ranges from the calibration photos,
then corrects each conv's bias for the error its quantisation adds. Recipe variants are measured by
bench/bench_quant.py (table in DEVELOPERS.md); ``OV_FAST_RECIPE`` is the one the app uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .engines.openvino_engine import core, name_outputs
from .engines.quiet import quiet_native_stderr


@dataclass(frozen=True)
class OVRecipe:
    preset: str = "mixed"  # "mixed": asymmetric activations; "performance": symmetric everywhere
    float_layers: tuple[str, ...] = ()  # "first" (the conv that sees the image), "heads" (the convs before [yolo])
    calibration_images: int = 300
    bias_correction: str = "fast"  # "fast", "accurate" (slower, layer by layer) or "none"
    # How activation ranges are estimated from the calibration photos: NNCF's RangeEstimatorParametersSet name
    # ("MINMAX", "MEAN_MINMAX", "MEAN_QUANTILE", "HISTOGRAM", ...) or "" for NNCF's default (per preset).
    activation_ranges: str = ""
    # NNCF's OverflowFix: "enable" quantises weights to 7 bits. x86 without VNNI (AVX2, AVX-512 before Cascade Lake)
    # multiplies int8 by uint8 in pairs summed in int16, which saturates with 8-bit weights: the same int8 model
    # scored mAP@0.5 37.52 there against 38.86 with VNNI. With 7 bits it scores 39.15 on both (float32: 39.22).
    overflow_fix: str = "first_layer_only"  # NNCF's default: the first quantised layer only


# Chosen by bench/bench_quant.py (DEVELOPERS.md): the only variant within 1 mAP@0.5 point of float32; 7-bit weights
# so that processors without VNNI compute what the others do (measured on the COCO sample with oneDNN capped at AVX2).
OV_FAST_RECIPE = OVRecipe(
    preset="performance", float_layers=("first", "heads"), activation_ranges="HISTOGRAM", overflow_fix="enable"
)


def float_conv_names(model: Any, selectors: Sequence[str]) -> list[str]:
    """Names of the OpenVINO Convolution nodes selected: "first" is the first in graph order; "heads" are the
    convs that feed a model output (the one before each [yolo]: linear in YOLOv3/v4, logistic where the [yolo]
    has new_coords=1)."""
    convs = [op for op in model.get_ordered_ops() if op.get_type_name() == "Convolution"]
    chosen: list[str] = []
    for selector in selectors:
        if selector == "first":
            chosen.append(convs[0].get_friendly_name())
        elif selector == "heads":
            chosen += [conv.get_friendly_name() for conv in convs if _feeds_output(conv)]
        else:
            raise ValueError(f"unknown layer selector {selector!r}")
    return chosen


def _feeds_output(conv: Any, depth: int = 3) -> bool:
    """True when a model output (Result) follows the conv within ``depth`` nodes (bias add, activation)."""
    frontier = [conv]
    for _ in range(depth):
        frontier = [target.get_node() for node in frontier for target in node.output(0).get_target_inputs()]
        if any(node.get_type_name() == "Result" for node in frontier):
            return True
    return False


def quantize(tflite_path: str, calibration: Iterable[np.ndarray], recipe: OVRecipe = OV_FAST_RECIPE) -> Any:
    """The int8 ``openvino.Model`` (input left at any size, outputs named ``yolo_<index>``) of a float32 .tflite.
    ``calibration``: letterboxed (1, H, W, 3) float32 batches."""
    import nncf
    from nncf.quantization.advanced_parameters import AdvancedQuantizationParameters, OverflowFix

    samples = [np.asarray(batch, np.float32) for batch in list(calibration)[: recipe.calibration_images]]
    if not samples:
        raise ValueError("int8 quantisation needs calibration photos")
    with quiet_native_stderr():
        model = core().read_model(tflite_path)
    name_outputs(model, tflite_path)
    ignored = float_conv_names(model, recipe.float_layers)
    advanced = AdvancedQuantizationParameters(
        disable_bias_correction=recipe.bias_correction == "none", overflow_fix=OverflowFix(recipe.overflow_fix)
    )
    if recipe.activation_ranges:
        from nncf.quantization.range_estimator import RangeEstimatorParametersSet

        advanced.activations_range_estimator_params = getattr(RangeEstimatorParametersSet, recipe.activation_ranges)
    return nncf.quantize(
        model,
        nncf.Dataset(samples),
        preset=nncf.QuantizationPreset(recipe.preset),
        subset_size=len(samples),
        fast_bias_correction=recipe.bias_correction != "accurate",
        ignored_scope=nncf.IgnoredScope(names=ignored) if ignored else None,
        advanced_parameters=advanced,
    )


def calibration_batches(photos: Sequence[Path], size: int, limit: int) -> list[np.ndarray]:
    """Up to ``limit`` of ``photos``, letterboxed to ``size`` as the app does (unreadable files skipped)."""
    import cv2

    from .letterbox import letterbox

    batches = []
    for path in photos:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            continue  # unreadable files are simply not used
        batches.append(letterbox(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), size, size)[0])
        if len(batches) == limit:
            break
    if not batches:
        raise ValueError("no readable photos for calibration")
    return batches
