"""Write a valid Darknet ``.weights`` file with random values for any cfg.

For equivalence tests and benchmarks of architectures whose real weights are not available offline. Purely random
batch-norm statistics leave deep nets nearly flat (each layer's per-channel offsets swamp the part that depends on
the image), which would hide a wrong route or pool. So, like a trained net, each batch norm is given the real mean
and variance of its conv's output on a sample input (``_calibrate``), found in one pass of the Keras
model walked eagerly; activations then stay image-dependent all the way to the heads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from yolo_desktop.inference.darknet_cfg import DarknetConfig, ShortcutSection
from yolo_desktop.inference.darknet_weights import BN_EPSILON

RESIDUAL_BRANCH_GAIN = 0.2


@dataclass
class _RawConv:
    kernel: np.ndarray  # Darknet layout [out, in, k, k]
    bias_or_beta: np.ndarray
    gamma: np.ndarray | None = None
    mean: np.ndarray | None = None
    variance: np.ndarray | None = None

    def scale(self) -> np.ndarray:
        """Per output channel: what folding the batch norm multiplies the kernel by (1 without batch norm)."""
        if self.gamma is None:
            return np.ones(self.kernel.shape[0])
        return self.gamma / np.sqrt(self.variance + BN_EPSILON)

    def folded(self) -> tuple[np.ndarray, np.ndarray]:
        """(kernel [k, k, in, out], bias) of the conv with its batch norm folded in, float32."""
        kernel = self.kernel.transpose(2, 3, 1, 0).astype(np.float64) * self.scale()
        if self.gamma is None:
            return kernel.astype(np.float32), self.bias_or_beta.astype(np.float32)
        return kernel.astype(np.float32), (self.bias_or_beta - self.mean * self.scale()).astype(np.float32)


def _random_layers(cfg: DarknetConfig, rng: np.random.Generator) -> list[_RawConv]:
    # As in trained residual nets, the branch added by a [shortcut] is small next to the trunk; without this a
    # random 75-layer stack is chaotic: float32 rounding differences grow with depth and swamp any comparison.
    feeds_shortcut = {layer.index - 1 for layer in cfg.layers if isinstance(layer, ShortcutSection)}
    layers = []
    for conv in cfg.conv_layers:
        n, c_in = conv.filters, cfg.input_channels(conv.index)
        fan_in = c_in * conv.size * conv.size
        # float32 draws: YOLOv3's 62 M weights take a third of the time of float64 ones (then written as float32).
        kernel = rng.standard_normal((n, c_in, conv.size, conv.size), np.float32) * np.float32(np.sqrt(2.0 / fan_in))
        if conv.batch_normalize:
            gamma = rng.uniform(0.6, 1.4, n) * (RESIDUAL_BRANCH_GAIN if conv.index in feeds_shortcut else 1.0)
            layers.append(_RawConv(kernel, rng.normal(0.0, 0.2, n), gamma, np.zeros(n), np.ones(n)))
        else:
            layers.append(_RawConv(kernel, rng.normal(0.0, 0.5, n)))
    return layers


def _calibrate(cfg: DarknetConfig, layers: list[_RawConv], sample: np.ndarray, head_std: float) -> None:
    """One eager pass: each batch norm gets the mean/variance its conv really produces on ``sample``, with all
    earlier layers already calibrated, so every layer's output is normalized as in a trained net. Convs without
    batch norm (the heads) are scaled so their output varies across the image with std ``head_std``. Each conv
    runs once, without bias: batch norm (or the head's scale) is then a per-channel affine map of its output."""
    from yolo_desktop.inference.engines.tf_env import import_tensorflow

    tf = import_tensorflow()
    from yolo_desktop.inference.keras_model import plan, wire

    raw_by_index = dict(zip((c.index for c in cfg.conv_layers), layers))

    def calibrated_conv(section, conv, x):
        raw = raw_by_index[section.index]
        conv.build(x.shape)
        channels = raw.kernel.shape[0]
        conv.set_weights([raw.kernel.transpose(2, 3, 1, 0).astype(np.float32), np.zeros(channels, np.float32)])
        bare = conv(x)  # (1, H, W, channels): the kernel alone
        values = np.asarray(bare, dtype=np.float64).reshape(-1, channels)
        if raw.gamma is not None:
            raw.mean, raw.variance = values.mean(axis=0), np.maximum(values.var(axis=0), 1e-4)
            multiplier = raw.scale()
        else:
            gain = head_std / max(float((values + raw.bias_or_beta).std()), 1e-6)
            raw.kernel, raw.bias_or_beta = raw.kernel * np.float32(gain), raw.bias_or_beta * gain
            multiplier = np.full(channels, gain)
        _, bias = raw.folded()
        return bare * tf.constant(multiplier, tf.float32) + tf.constant(bias, tf.float32)

    wire(cfg, sample, plan(cfg, (sample.shape[1], sample.shape[2])), conv_fn=calibrated_conv)


def write_random_weights(
    path: str | os.PathLike[str],
    cfg: DarknetConfig,
    seed: int = 0,
    sample: np.ndarray | None = None,
    head_std: float = 0.25,
) -> None:
    """Random weights for ``cfg``; with ``sample`` (1, H, W, 3) the batch norms and heads are calibrated on it."""
    layers = _random_layers(cfg, np.random.default_rng(seed))
    if sample is not None:
        _calibrate(cfg, layers, sample, head_std)
    with open(path, "wb") as handle:
        handle.write(np.array([0, 2, 0], dtype="<i4").tobytes() + np.array([0], dtype="<i8").tobytes())
        for raw in layers:
            if raw.gamma is None:
                params = [raw.bias_or_beta]
            else:
                params = [raw.bias_or_beta, raw.gamma, raw.mean, raw.variance]
            for array in [*params, raw.kernel.reshape(-1)]:
                handle.write(np.asarray(array, dtype="<f4").tobytes())
