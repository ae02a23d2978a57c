"""Build a Keras model that computes exactly what Darknet computes for a parsed cfg.

Input: (1, H, W, 3) float32 RGB in [0, 1] (letterboxed). Outputs: one tensor per [yolo] section, the raw head
conv output (1, H/stride, W/stride, anchors × (5 + classes)) before any sigmoid — decoding happens in numpy so
every engine (Keras, LiteRT) returns the same raw tensors.

Where Darknet differs from framework defaults:
- convolution padding is symmetric ``size // 2``, but a stride-2 conv on an even input never reaches the last
  padded row/column, so only top/left padding is applied (TF's 'same' would pad bottom/right instead);
- batch norm uses (x - mean) / (sqrt(var) + 1e-6); it is folded into the conv kernel and bias at load time;
- leaky ReLU slope is 0.1 (Keras's default is 0.3);
- maxpool windows start at ``-padding // 2`` with padding defaulting to ``size - 1``; out-of-image cells never win.

This module imports Keras and must only be imported by an engine, never at application start.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import keras
from keras import layers as kl

from .darknet_cfg import (CfgError, ConvSection, DarknetConfig, MaxPoolSection, RouteSection, ShortcutSection,
                          UpsampleSection, YoloSection)
from .darknet_weights import ConvWeights

LEAKY_SLOPE = 0.1


def check_input_size(cfg: DarknetConfig, size: tuple[int, int]) -> None:
    """Darknet YOLOv3 downsamples by 32; other sizes break the route/upsample shapes."""
    height, width = size
    if height <= 0 or width <= 0 or height % 32 or width % 32:
        raise CfgError(f"{cfg.path}: input size {width}×{height} must be a positive multiple of 32 "
                       f"(e.g. 320, 416, 608)")


# conv_fn(section, Conv2D layer, padded input) → conv output; lets calibration observe and set each conv.
ConvFn = Callable[[ConvSection, kl.Conv2D, Any], Any]


def wire(cfg: DarknetConfig, inputs, conv_fn: ConvFn | None = None) -> list:
    """Apply the cfg's layers to ``inputs`` (symbolic or eager) and return the [yolo] head tensors in cfg order."""
    outputs: list = []
    heads: list = []
    for layer in cfg.layers:
        previous = outputs[-1] if outputs else inputs
        if isinstance(layer, ConvSection):
            conv = _conv_layer(layer)
            padded = _pad_for_conv(layer, previous)
            x = conv_fn(layer, conv, padded) if conv_fn else conv(padded)
            if layer.activation == "leaky":
                x = kl.LeakyReLU(negative_slope=LEAKY_SLOPE, name=f"leaky_{layer.index}")(x)
        elif isinstance(layer, MaxPoolSection):
            x = _maxpool(layer, previous, cfg.path)
        elif isinstance(layer, UpsampleSection):
            # Nearest-neighbour resize, not UpSampling2D: that one becomes RESHAPE+TILE in LiteRT, which XNNPACK
            # cannot run, splitting the graph; RESIZE_NEAREST_NEIGHBOR stays inside it. Same values at 2×.
            x = kl.Resizing(previous.shape[1] * layer.stride, previous.shape[2] * layer.stride,
                            interpolation="nearest", name=f"upsample_{layer.index}")(previous)
        elif isinstance(layer, RouteSection):
            sources = [outputs[i] for i in layer.layers]
            x = sources[0] if len(sources) == 1 else kl.Concatenate(axis=-1, name=f"route_{layer.index}")(sources)
        elif isinstance(layer, ShortcutSection):
            x = kl.Add(name=f"shortcut_{layer.index}")([previous, outputs[layer.source]])
            if layer.activation == "leaky":
                x = kl.LeakyReLU(negative_slope=LEAKY_SLOPE, name=f"leaky_{layer.index}")(x)
        else:
            # The head is the tensor entering [yolo]; an Identity gives it a stable output name.
            x = kl.Identity(name=f"yolo_{layer.index}")(previous)
            heads.append(x)
        outputs.append(x)
    return heads


def build_model(cfg: DarknetConfig, size: tuple[int, int], weights: Sequence[ConvWeights] | None = None
                ) -> keras.Model:
    """Return a functional Keras model for ``cfg`` at ``size`` = (height, width)."""
    check_input_size(cfg, size)
    inputs = keras.Input(shape=(size[0], size[1], cfg.net.channels), batch_size=1, name="image", dtype="float32")
    model = keras.Model(inputs=inputs, outputs=wire(cfg, inputs), name="darknet")
    if weights is not None:
        if len(weights) != len(cfg.conv_layers):
            raise ValueError(f"{len(weights)} weight sets for {len(cfg.conv_layers)} conv layers")
        for section, params in zip(cfg.conv_layers, weights):
            model.get_layer(f"conv_{section.index}").set_weights([params.kernel, params.bias])
    return model


def _conv_layer(layer: ConvSection) -> kl.Conv2D:
    # Stride-1 convs with symmetric padding are exactly Keras 'same' (and faster than an explicit pad).
    same = layer.stride == 1 and layer.size % 2 == 1 and layer.padding == layer.size // 2
    return kl.Conv2D(layer.filters, layer.size, strides=layer.stride, padding="same" if same else "valid",
                     use_bias=True, name=f"conv_{layer.index}")


def _pad_for_conv(layer: ConvSection, x):
    """Explicit Darknet padding for the cases Keras 'same' gets wrong (stride > 1, even kernels)."""
    if layer.stride == 1 and layer.size % 2 == 1 and layer.padding == layer.size // 2:
        return x
    pads = []
    for extent in (x.shape[1], x.shape[2]):
        out = (extent + 2 * layer.padding - layer.size) // layer.stride + 1
        used = (out - 1) * layer.stride + layer.size  # input rows the last window reaches, padding included
        after = used - extent - layer.padding
        if after < 0:
            raise CfgError(f"conv layer {layer.index}: unsupported geometry (size {layer.size}, stride "
                           f"{layer.stride}, padding {layer.padding} on {extent} pixels)")
        pads.append((layer.padding, after))
    if pads == [(0, 0), (0, 0)]:
        return x
    return kl.ZeroPadding2D(padding=tuple(pads), name=f"pad_{layer.index}")(x)


def _maxpool(layer: MaxPoolSection, x, path: str):
    """Map Darknet's maxpool onto Keras 'same'/'valid' when they select the same windows; refuse otherwise."""
    height, width = x.shape[1], x.shape[2]
    for padding in ("same", "valid"):
        if all(_keras_pool_geometry(extent, layer.size, layer.stride, padding) ==
               _darknet_pool_geometry(extent, layer) for extent in (height, width)):
            return kl.MaxPooling2D(pool_size=layer.size, strides=layer.stride, padding=padding,
                                   name=f"maxpool_{layer.index}")(x)
    raise CfgError(f"{path}:{layer.line}: [maxpool] (layer {layer.index}): size={layer.size} stride={layer.stride} "
                   f"padding={layer.padding} on a {width}×{height} input has no exact equivalent here")


def _darknet_pool_geometry(extent: int, layer: MaxPoolSection) -> tuple[int, int, int]:
    """(output size, padding before, padding after that any window touches)."""
    out = (extent + layer.padding - layer.size) // layer.stride + 1
    before = layer.padding // 2
    after = max(0, (out - 1) * layer.stride + layer.size - before - extent)
    return out, before, after


def _keras_pool_geometry(extent: int, size: int, stride: int, padding: str) -> tuple[int, int, int]:
    if padding == "valid":
        out = (extent - size) // stride + 1
        return out, 0, 0
    out = -(-extent // stride)
    total = max((out - 1) * stride + size - extent, 0)
    return out, total // 2, total - total // 2
