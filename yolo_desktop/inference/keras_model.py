"""Build a Keras model that computes exactly what Darknet computes for a parsed cfg.

Input: (1, H, W, 3) float32 RGB in [0, 1] (letterboxed). Outputs: one tensor per [yolo] section, the raw head
conv output (1, H/stride, W/stride, anchors × (5 + classes)) before any sigmoid — decoding happens in numpy so
every engine (Keras, LiteRT) returns the same raw tensors.

Where Darknet differs from framework defaults:
- convolution padding is symmetric ``size // 2``, but a stride-2 conv on an even input never reaches the last
  padded row/column, so only top/left padding is applied (TF's 'same' would pad bottom/right instead);
- batch norm uses (x - mean) / (sqrt(var) + 1e-6); it is folded into the conv kernel and bias at load time;
- leaky ReLU slope is 0.1 (Keras's default is 0.3); mish is x·tanh(softplus(x)), swish x·σ(x), logistic σ(x);
  a [shortcut]'s activation applies after the add;
- maxpool windows start at ``-padding // 2`` with padding defaulting to ``size - 1``; out-of-image cells never win
  (size 2 stride 1 pads only bottom/right; sizes 5, 9, 13 pad symmetrically);
- a [route] with groups takes channel part ``group_id`` of ``groups`` from each input, then concatenates.

A head whose conv has activation=logistic ([yolo] new_coords=1) outputs probabilities, not logits; decode.py knows.

This module imports Keras and must only be imported by an engine, never at application start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
from keras import layers as kl

from .darknet_cfg import (
    CfgError,
    ConvSection,
    DarknetConfig,
    MaxPoolSection,
    RouteSection,
    ShortcutSection,
    UpsampleSection,
)
from .darknet_weights import ConvWeights

LEAKY_SLOPE = 0.1


def check_input_size(cfg: DarknetConfig, size: tuple[int, int]) -> None:
    """Darknet YOLOv3 downsamples by 32; other sizes break the route/upsample shapes."""
    height, width = size
    if height <= 0 or width <= 0 or height % 32 or width % 32:
        raise CfgError(
            f"{cfg.path}: input size {width}×{height} must be a positive multiple of 32 (e.g. 320, 416, 608)"
        )


# conv_fn(section, Conv2D layer, padded input) → conv output; lets calibration observe and set each conv.
ConvFn = Callable[[ConvSection, kl.Conv2D, Any], Any]
# Per layer index: the explicit padding a conv needs ((top, bottom), (left, right)) or the Keras pool padding mode.
Plan = dict[int, Any]
CHECKED_SIZES = range(64, 1024 + 1, 32)


def plan(cfg: DarknetConfig, size: tuple[int, int]) -> Plan:
    """Padding decisions for every conv and maxpool at one input size (they depend on each layer's extent)."""
    check_input_size(cfg, size)
    decisions: Plan = {}
    extents: list[tuple[int, ...]] = []  # (height, width) of each layer's output
    for layer in cfg.layers:
        extent: tuple[int, ...] = extents[-1] if extents else size
        if isinstance(layer, ConvSection):
            decisions[layer.index] = _conv_padding(layer, extent)
            extent = tuple((e + 2 * layer.padding - layer.size) // layer.stride + 1 for e in extent)
        elif isinstance(layer, MaxPoolSection):
            decisions[layer.index] = _pool_padding(layer, extent, cfg.path)
            extent = tuple(_darknet_pool_geometry(e, layer)[0] for e in extent)
        elif isinstance(layer, UpsampleSection):
            extent = tuple(e * layer.stride for e in extent)
        elif isinstance(layer, RouteSection):
            sizes = {extents[i] for i in layer.layers}
            if len(sizes) > 1:
                raise CfgError(
                    f"{cfg.path}:{layer.line}: [route] (layer {layer.index}): layers {layer.layers} have "
                    f"different sizes {sorted(sizes)} at input {size[1]}×{size[0]}"
                )
            extent = sizes.pop()
        extents.append(extent)
    return decisions


def plan_for_any_size(cfg: DarknetConfig) -> Plan:
    """One plan valid for every multiple of 32 up to 1024, so a single converted model serves all input sizes."""
    reference = plan(cfg, (416, 416))
    for size in CHECKED_SIZES:
        if plan(cfg, (size, size)) != reference:
            raise CfgError(
                f"{cfg.path}: the padding of some layers depends on the input size ({size}×{size} "
                f"differs from 416×416); this network cannot be converted for every size at once"
            )
    return reference


def wire(cfg: DarknetConfig, inputs, decisions: Plan, conv_fn: ConvFn | None = None) -> list:
    """Apply the cfg's layers to ``inputs`` (symbolic or eager) and return the [yolo] head tensors in cfg order."""
    outputs: list = []
    heads: list = []
    for layer in cfg.layers:
        previous = outputs[-1] if outputs else inputs
        if isinstance(layer, ConvSection):
            conv = _conv_layer(layer)
            pads = decisions[layer.index]
            padded = previous if pads is None else kl.ZeroPadding2D(pads, name=f"pad_{layer.index}")(previous)
            x = activate(layer.activation, conv_fn(layer, conv, padded) if conv_fn else conv(padded), layer.index)
        elif isinstance(layer, MaxPoolSection):
            x = kl.MaxPooling2D(
                pool_size=layer.size,
                strides=layer.stride,
                padding=decisions[layer.index],
                name=f"maxpool_{layer.index}",
            )(previous)
        elif isinstance(layer, UpsampleSection):
            x = NearestUpsample(layer.stride, name=f"upsample_{layer.index}")(previous)
        elif isinstance(layer, RouteSection):
            sources = [outputs[i] for i in layer.layers]
            if layer.groups > 1:
                sources = [
                    ChannelGroup(layer.groups, layer.group_id, name=f"group_{layer.index}_{n}")(source)
                    for n, source in enumerate(sources)
                ]
            x = sources[0] if len(sources) == 1 else kl.Concatenate(axis=-1, name=f"route_{layer.index}")(sources)
        elif isinstance(layer, ShortcutSection):
            x = kl.Add(name=f"shortcut_{layer.index}")([previous, outputs[layer.source]])
            x = activate(layer.activation, x, layer.index)
        else:
            # The head is the tensor entering [yolo]; an Identity gives it a stable output name.
            x = kl.Identity(name=f"yolo_{layer.index}")(previous)
            heads.append(x)
        outputs.append(x)
    return heads


def activate(kind: str, x, index: int):
    """Darknet's activation ``kind`` applied to ``x`` (names carry the layer index, e.g. ``leaky_7``)."""
    if kind == "linear":
        return x
    if kind == "leaky":
        return kl.LeakyReLU(negative_slope=LEAKY_SLOPE, name=f"leaky_{index}")(x)
    if kind == "logistic":
        return kl.Activation("sigmoid", name=f"logistic_{index}")(x)
    if kind == "swish":
        return kl.Activation("silu", name=f"swish_{index}")(x)
    if kind == "mish":
        return Mish(name=f"mish_{index}")(x)
    raise ValueError(f"activation {kind!r} is not implemented")  # the cfg parser refuses these first


class Mish(kl.Layer):
    """x·tanh(softplus(x)), softplus written as max(x, 0) + log(1 + e^−|x|): exact to float32 rounding for every x,
    and only ops LiteRT has as builtins (EXP, LOG, TANH, ABS, MAXIMUM), so XNNPACK and OpenVINO run it as they
    are."""

    def call(self, x):
        import tensorflow as tf

        softplus = tf.maximum(x, 0.0) + tf.math.log(1.0 + tf.exp(-tf.abs(x)))
        return x * tf.tanh(softplus)


class ChannelGroup(kl.Layer):
    """Channel part ``group_id`` of ``groups`` equal parts: a [route] with groups, for one of its inputs."""

    def __init__(self, groups: int, group_id: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.groups, self.group_id = groups, group_id

    def call(self, x):
        width = x.shape[-1] // self.groups
        return x[..., self.group_id * width : (self.group_id + 1) * width]

    def compute_output_shape(self, shape):
        return (*shape[:-1], shape[-1] // self.groups)


class NearestUpsample(kl.Layer):
    """Darknet's [upsample]: every pixel repeated ``factor``×``factor``, for any input size.

    A nearest-neighbour resize to a size computed from the input, rather than UpSampling2D (RESHAPE+TILE in
    LiteRT, which XNNPACK cannot run) or Resizing (a size fixed at build time)."""

    def __init__(self, factor: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        import tensorflow as tf  # the TensorFlow backend is the only one this project runs Keras on

        shape = tf.shape(x)
        return tf.image.resize(x, tf.stack([shape[1] * self.factor, shape[2] * self.factor]), method="nearest")

    def compute_output_shape(self, shape):
        scaled = [None if e is None else e * self.factor for e in shape[1:3]]
        return (shape[0], *scaled, shape[3])


def build_model(
    cfg: DarknetConfig, size: tuple[int, int] | None, weights: Sequence[ConvWeights] | None = None
) -> keras.Model:
    """A functional Keras model for ``cfg`` at ``size`` = (height, width), or for any size when None."""
    decisions = plan(cfg, size) if size is not None else plan_for_any_size(cfg)
    height, width = size if size is not None else (None, None)
    inputs = keras.Input(shape=(height, width, cfg.net.channels), batch_size=1, name="image", dtype="float32")
    model = keras.Model(inputs=inputs, outputs=wire(cfg, inputs, decisions), name="darknet")
    if weights is not None:
        if len(weights) != len(cfg.conv_layers):
            raise ValueError(f"{len(weights)} weight sets for {len(cfg.conv_layers)} conv layers")
        for section, params in zip(cfg.conv_layers, weights):
            model.get_layer(f"conv_{section.index}").set_weights([params.kernel, params.bias])
    return model


def _same(layer: ConvSection) -> bool:
    # Stride-1 convs with symmetric padding are exactly Keras 'same' (and faster than an explicit pad).
    return layer.stride == 1 and layer.size % 2 == 1 and layer.padding == layer.size // 2


def _conv_layer(layer: ConvSection) -> kl.Conv2D:
    return kl.Conv2D(
        layer.filters,
        layer.size,
        strides=layer.stride,
        padding="same" if _same(layer) else "valid",
        use_bias=True,
        name=f"conv_{layer.index}",
    )


def _conv_padding(layer: ConvSection, extent: tuple[int, ...]):
    """Explicit Darknet padding for the cases Keras 'same' gets wrong (stride > 1, even kernels): Darknet pads
    symmetrically, but a stride-2 window never reaches the last padded row of an even input."""
    if _same(layer):
        return None
    pads = []
    for e in extent:
        out = (e + 2 * layer.padding - layer.size) // layer.stride + 1
        used = (out - 1) * layer.stride + layer.size  # input rows the last window reaches, padding included
        after = used - e - layer.padding
        if after < 0:
            raise CfgError(
                f"conv layer {layer.index}: unsupported geometry (size {layer.size}, stride "
                f"{layer.stride}, padding {layer.padding} on {e} pixels)"
            )
        pads.append((layer.padding, after))
    return None if pads == [(0, 0), (0, 0)] else tuple(pads)


def _pool_padding(layer: MaxPoolSection, extent: tuple[int, ...], path: str) -> str:
    """Keras 'same' or 'valid', whichever selects Darknet's windows; refuse when neither does."""
    for padding in ("same", "valid"):
        if all(
            _keras_pool_geometry(e, layer.size, layer.stride, padding) == _darknet_pool_geometry(e, layer)
            for e in extent
        ):
            return padding
    raise CfgError(
        f"{path}:{layer.line}: [maxpool] (layer {layer.index}): size={layer.size} stride={layer.stride} "
        f"padding={layer.padding} on a {extent[1]}×{extent[0]} input has no exact equivalent here"
    )


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
