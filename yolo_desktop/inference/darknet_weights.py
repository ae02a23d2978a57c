"""Read a Darknet ``.weights`` file against its parsed cfg.

Layout (little-endian): int32 major, minor, revision; then ``seen`` as int64 when major*10+minor >= 2 (else int32);
then, for every [convolutional] in cfg order, float32 arrays: when batch-normalized, beta (called "biases" in
Darknet), gamma ("scales"), rolling mean, rolling variance; otherwise the bias; then the kernel as
[out, in, k, k]. The file must be consumed exactly: a size mismatch almost always means weights for another cfg.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .darknet_cfg import DarknetConfig
from .errors import ModelError

# Batch norm is (x - mean) / sqrt(var + eps) with eps = 1e-6, as OpenCV's Darknet importer computes it.
# The Darknet forks disagree here (pjreddie: sqrt(var) + 1e-6, AlexeyAB: sqrt(var + 1e-5)); for trained
# variances (>= 1e-2 in the official weights) the three differ by < 3e-5 relative, and matching OpenCV keeps the
# independent reference check tight.
BN_EPSILON = 1e-6


class WeightsError(ModelError):
    """A weights file that does not belong to the cfg, or cannot be read."""


@dataclass(frozen=True)
class ConvWeights:
    """One conv layer with batch norm folded in, ready for a Keras Conv2D."""

    kernel: np.ndarray  # [k, k, in, out] float32 (Keras HWIO layout)
    bias: np.ndarray  # [out] float32


@dataclass(frozen=True)
class WeightsHeader:
    major: int
    minor: int
    revision: int
    seen: int
    size: int  # bytes


def parameter_count(cfg: DarknetConfig) -> int:
    """Number of float32 values the weights file must hold after its header."""
    total = 0
    for conv in cfg.conv_layers:
        in_channels = cfg.input_channels(conv.index)
        per_filter = 4 if conv.batch_normalize else 1
        total += conv.filters * per_filter + conv.filters * in_channels * conv.size * conv.size
    return total


def read_header(path: str) -> WeightsHeader:
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as handle:
            head = handle.read(20)
    except OSError as exc:
        raise WeightsError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(head) < 16:
        raise WeightsError(f"{path}: {size} bytes is too short to be a Darknet weights file")
    major, minor, revision = (int(v) for v in np.frombuffer(head[:12], dtype="<i4"))
    if (major * 10 + minor) >= 2 and major < 1000 and minor < 1000:
        if len(head) < 20:
            raise WeightsError(f"{path}: {size} bytes is too short to be a Darknet weights file")
        seen, header_size = int(np.frombuffer(head[12:20], dtype="<i8")[0]), 20
    else:
        seen, header_size = int(np.frombuffer(head[12:16], dtype="<i4")[0]), 16
    return WeightsHeader(major, minor, revision, seen, header_size)


def check_weights_size(path: str, cfg: DarknetConfig) -> WeightsHeader:
    """Raise WeightsError unless the file holds exactly the values ``cfg`` needs (without reading them)."""
    header = read_header(path)
    needed_values = parameter_count(cfg)
    expected = header.size + 4 * needed_values
    actual = os.path.getsize(path)
    if actual != expected:
        cfg_name = os.path.basename(cfg.path)
        relation = "too short (truncated download?)" if actual < expected else "too long"
        raise WeightsError(
            f"{path}: {actual:,} bytes, but {cfg_name} needs exactly {expected:,} "
            f"({header.size}-byte header + {needed_values:,} float32 values): the file is {relation}, "
            f"or these weights belong to a different cfg"
        )
    return header


def load_weights(path: str | os.PathLike[str], cfg: DarknetConfig) -> list[ConvWeights]:
    """Read every conv layer's parameters, checking the byte count against the cfg first."""
    path = str(path)
    header = check_weights_size(path, cfg)
    values = np.fromfile(path, dtype="<f4", offset=header.size)
    if not np.all(np.isfinite(values)):
        raise WeightsError(f"{path}: contains NaN or infinite values; the file is damaged")

    layers: list[ConvWeights] = []
    offset = 0

    def take(count: int) -> np.ndarray:
        nonlocal offset
        chunk = values[offset : offset + count]
        offset += count
        return chunk

    for conv in cfg.conv_layers:
        in_channels = cfg.input_channels(conv.index)
        n = conv.filters
        if conv.batch_normalize:
            beta, gamma, mean, variance = take(n), take(n), take(n), take(n)
        else:
            bias = take(n)
        kernel = take(n * in_channels * conv.size * conv.size).reshape(n, in_channels, conv.size, conv.size)
        kernel = kernel.transpose(2, 3, 1, 0)  # → [k, k, in, out]
        if conv.batch_normalize:
            if np.any(variance < 0):
                raise WeightsError(
                    f"{path}: layer {conv.index} has a negative batch-norm variance; "
                    f"the file is damaged or not for this cfg"
                )
            # Fold in float64 so the folded kernel rounds once, like an unfused conv followed by BN.
            scale = gamma.astype(np.float64) / np.sqrt(variance.astype(np.float64) + BN_EPSILON)
            kernel = kernel.astype(np.float64) * scale  # broadcasts over the 'out' axis
            bias = beta - mean.astype(np.float64) * scale
        layers.append(
            ConvWeights(
                kernel=np.ascontiguousarray(kernel, dtype=np.float32), bias=np.ascontiguousarray(bias, dtype=np.float32)
            )
        )
    assert offset == values.size  # guaranteed by the size check above
    return layers
