"""Parse a Darknet ``.cfg`` file into typed, validated sections.

The sections and keys of AlexeyAB's Darknet that YOLOv3 (tiny, SPP), YOLOv4 (tiny, CSP) and YOLOv7-tiny use are
accepted: route groups, stride-1 maxpools, mish/swish/logistic activations, shortcut activations, [yolo] scale_x_y
and new_coords. Keys that only matter for training (momentum, jitter, iou_normalizer, nms_kind, ...) are ignored, as
Darknet ignores them at inference; keys that would change what the network computes and that this engine does not
implement are refused, so a model is never run half-understood. Every error names the file, the line and the
section.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from .errors import ModelError

T = TypeVar("T")

# Darknet's names: leaky (slope 0.1), linear, logistic σ(x), mish x·tanh(softplus(x)), swish x·σ(x).
ACTIVATIONS = ("leaky", "linear", "logistic", "mish", "swish")

# Keys Darknet reads that would change inference results, with the value that means "off".
# Anything listed here with another value is refused rather than silently ignored.
_UNSUPPORTED_IF_NOT_DEFAULT: dict[str, dict[str, str]] = {
    # letter_box is not refused: this engine always letterboxes (Darknet's letter_box=1), whatever the cfg says.
    "net": {"inputs": "", "flip": ""},
    "convolutional": {
        "groups": "1",
        "dilation": "1",
        "binary": "0",
        "xnor": "0",
        "antialiasing": "0",
        "share_index": "",
        "deform": "0",
        "stride_x": "",
        "stride_y": "",
        "coordconv": "0",
    },
    "maxpool": {
        "stride_x": "",
        "stride_y": "",
        "maxpool_depth": "0",
        "antialiasing": "0",
        "maxpool_zero_nonmax": "0",
    },
    "upsample": {"scale": "1"},
    "shortcut": {"weights_type": "none", "weights_normalization": "none"},
    "yolo": {"embedding_layer": "", "map": ""},
}


class CfgError(ModelError):
    """A cfg file that cannot be used; the message names file, line and section."""


@dataclass(frozen=True)
class NetSection:
    width: int
    height: int
    channels: int


@dataclass(frozen=True)
class ConvSection:
    index: int
    line: int
    filters: int
    size: int
    stride: int
    padding: int  # pixels on each side, as Darknet computes it (pad=1 → size // 2)
    batch_normalize: bool
    activation: str


@dataclass(frozen=True)
class MaxPoolSection:
    index: int
    line: int
    size: int
    stride: int
    padding: int  # Darknet's total padding (default size - 1); the window starts at -padding // 2


@dataclass(frozen=True)
class UpsampleSection:
    index: int
    line: int
    stride: int


@dataclass(frozen=True)
class RouteSection:
    index: int
    line: int
    layers: tuple[int, ...]  # absolute layer indices, in concatenation order
    # Darknet takes part ``group_id`` of ``groups`` equal channel parts of EACH input, then concatenates them
    # (route_layer.c: forward_route_layer); with one input that is a slice of it.
    groups: int = 1
    group_id: int = 0


@dataclass(frozen=True)
class ShortcutSection:
    index: int
    line: int
    source: int  # absolute index of the layer added to the previous one
    activation: str


@dataclass(frozen=True)
class YoloSection:
    index: int
    line: int
    classes: int
    anchors: tuple[tuple[int, int], ...]  # (w, h) in network-input pixels, only those this head uses (masked)
    scale_x_y: float = 1.0  # xy = (σ(t)·s − (s − 1)/2 + cell) / grid
    # new_coords=1: the input is already logistic (the conv before has activation=logistic); no sigmoid in decode,
    # and sizes are (2t)²·anchor instead of e^t·anchor.
    new_coords: bool = False


Layer = ConvSection | MaxPoolSection | UpsampleSection | RouteSection | ShortcutSection | YoloSection


@dataclass(frozen=True)
class DarknetConfig:
    path: str
    net: NetSection
    layers: tuple[Layer, ...]
    channels: tuple[int, ...]  # output channels of each layer

    def input_channels(self, index: int) -> int:
        return self.channels[index - 1] if index > 0 else self.net.channels

    @property
    def yolo_layers(self) -> tuple[YoloSection, ...]:
        return tuple(layer for layer in self.layers if isinstance(layer, YoloSection))

    @property
    def conv_layers(self) -> tuple[ConvSection, ...]:
        return tuple(layer for layer in self.layers if isinstance(layer, ConvSection))

    @property
    def classes(self) -> int:
        return self.yolo_layers[0].classes


@dataclass
class _RawSection:
    name: str
    line: int
    options: dict[str, tuple[str, int]]  # key → (value, line)


def parse_cfg(path: str | os.PathLike[str]) -> DarknetConfig:
    """Read and validate a Darknet cfg file."""
    path = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CfgError(f"{path}: not a text file (byte {exc.start} is not UTF-8); is this really a .cfg?") from None
    except OSError as exc:
        raise CfgError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_cfg_text(text, path)


def parse_cfg_text(text: str, path: str = "<cfg>") -> DarknetConfig:
    raw = _split_sections(text, path)
    if not raw:
        raise CfgError(f"{path}: no sections found; a Darknet cfg starts with [net]")
    if raw[0].name not in ("net", "network"):
        raise CfgError(f"{path}:{raw[0].line}: [{raw[0].name}]: the first section must be [net]")
    net = _parse_net(_Reader(path, raw[0], None))
    layers: list[Layer] = []
    for index, section in enumerate(raw[1:]):
        reader = _Reader(path, section, index)
        parser = _LAYER_PARSERS.get(section.name)
        if parser is None:
            supported = ", ".join(f"[{name}]" for name in _LAYER_PARSERS)
            raise CfgError(f"{reader.where}: unsupported section [{section.name}] (supported: {supported})")
        reader.refuse_unsupported()
        layers.append(parser(reader, layers))
    if not any(isinstance(layer, YoloSection) for layer in layers):
        raise CfgError(f"{path}: no [yolo] section; this is not a YOLOv3-style detection network")
    classes = {layer.classes for layer in layers if isinstance(layer, YoloSection)}
    if len(classes) > 1:
        raise CfgError(f"{path}: [yolo] sections disagree on classes: {sorted(classes)}")
    channels = _infer_channels(path, net, layers)
    return DarknetConfig(path=path, net=net, layers=tuple(layers), channels=channels)


def _infer_channels(path: str, net: NetSection, layers: list[Layer]) -> tuple[int, ...]:
    """Output channels of every layer. Each [yolo] reads anchors × (5 + classes) channels; the usual mistake
    after changing classes is a head conv whose filters were not updated, caught here with a clear message
    instead of a reshape error deep in Keras."""
    channels: list[int] = []
    for layer in layers:
        previous = channels[-1] if channels else net.channels
        if isinstance(layer, ConvSection):
            channels.append(layer.filters)
        elif isinstance(layer, RouteSection):
            for source in layer.layers:
                if channels[source] % layer.groups:
                    raise CfgError(
                        f"{path}:{layer.line}: [route] (layer {layer.index}): groups={layer.groups} does not "
                        f"divide the {channels[source]} channels of layer {source}"
                    )
            channels.append(sum(channels[i] // layer.groups for i in layer.layers))
        elif isinstance(layer, ShortcutSection):
            if channels[layer.source] != previous:
                raise CfgError(
                    f"{path}:{layer.line}: [shortcut] (layer {layer.index}): adds layer "
                    f"{layer.source} ({channels[layer.source]} channels) to {previous} channels"
                )
            channels.append(previous)
        else:
            channels.append(previous)
        if isinstance(layer, YoloSection):
            needed = len(layer.anchors) * (5 + layer.classes)
            if previous != needed:
                raise CfgError(
                    f"{path}:{layer.line}: [yolo] (layer {layer.index}): its input has {previous} channels but "
                    f"{len(layer.anchors)} anchors × (5 + {layer.classes} classes) needs {needed}; "
                    f"set filters={needed} in the [convolutional] before it"
                )
    return tuple(channels)


def _split_sections(text: str, path: str) -> list[_RawSection]:
    sections: list[_RawSection] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            if not line.endswith("]") or len(line) < 3:
                raise CfgError(f"{path}:{number}: malformed section header {line!r}")
            sections.append(_RawSection(line[1:-1].strip().lower(), number, {}))
            continue
        if "=" not in line:
            raise CfgError(f"{path}:{number}: expected 'key=value' or '[section]', got {line[:60]!r}")
        if not sections:
            raise CfgError(f"{path}:{number}: 'key=value' before the first [section]")
        key, value = (part.strip() for part in line.split("=", 1))
        current = sections[-1]
        if key in current.options:
            raise CfgError(
                f"{path}:{number}: [{current.name}]: '{key}' given twice (first on line {current.options[key][1]})"
            )
        current.options[key] = (value, number)
    return sections


class _Reader:
    """Typed access to one section's keys, with errors that say where."""

    def __init__(self, path: str, section: _RawSection, index: int | None) -> None:
        self.path = path
        self.section = section
        self.index = index

    @property
    def where(self) -> str:
        layer = "" if self.index is None else f" (layer {self.index})"
        return f"{self.path}:{self.section.line}: [{self.section.name}]{layer}"

    def _where_key(self, key: str) -> str:
        line = self.section.options[key][1]
        layer = "" if self.index is None else f" (layer {self.index})"
        return f"{self.path}:{line}: [{self.section.name}]{layer}"

    def error(self, message: str, key: str | None = None) -> CfgError:
        where = self._where_key(key) if key is not None and key in self.section.options else self.where
        return CfgError(f"{where}: {message}")

    def _get(self, key: str, default: T | None, convert: Callable[[str], T], kind: str) -> T:
        if key not in self.section.options:
            if default is None:
                raise self.error(f"missing required key '{key}'")
            return default
        value = self.section.options[key][0]
        try:
            return convert(value)
        except ValueError:
            raise self.error(f"{key}={value!r} is not {kind}", key) from None

    def int(self, key: str, default: int | None = None, minimum: int | None = None) -> int:
        value = self._get(key, default, int, "an integer")
        if minimum is not None and value < minimum:
            raise self.error(f"{key}={value} must be at least {minimum}", key)
        return value

    # Inside this class ``int`` is the method above; annotations name the built-in explicitly.
    def float(self, key: str, default: builtins.float | None = None) -> builtins.float:
        value = self._get(key, default, builtins.float, "a number")
        if not value > 0 or value == builtins.float("inf"):
            raise self.error(f"{key}={value} must be a positive number", key)
        return value

    def ints(self, key: str, default: tuple[builtins.int, ...] | None = None) -> tuple[builtins.int, ...]:
        def convert(text: str) -> tuple[builtins.int, ...]:
            parts = [part.strip() for part in text.split(",") if part.strip()]
            if not parts:
                raise ValueError(text)
            return tuple(int(part) for part in parts)

        return self._get(key, default, convert, "a comma-separated list of integers")

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        value = self._get(key, default, str.strip, "text")
        if value not in choices:
            raise self.error(f"{key}={value!r} is not supported (supported: {', '.join(choices)})", key)
        return value

    def refuse_unsupported(self) -> None:
        for key, off in _UNSUPPORTED_IF_NOT_DEFAULT.get(self.section.name, {}).items():
            if key in self.section.options and self.section.options[key][0] not in (off, ""):
                value = self.section.options[key][0]
                raise self.error(f"{key}={value} is not supported by this engine", key)


def _parse_net(reader: _Reader) -> NetSection:
    reader.refuse_unsupported()
    width = reader.int("width", minimum=1)
    height = reader.int("height", minimum=1)
    channels = reader.int("channels", minimum=1)
    if channels != 3:
        raise reader.error(f"channels={channels}: only 3-channel (RGB) networks are supported", "channels")
    return NetSection(width=width, height=height, channels=channels)


def _conv(reader: _Reader, _layers: list[Layer]) -> ConvSection:
    size = reader.int("size", 1, minimum=1)
    pad = reader.int("pad", 0, minimum=0)
    padding = size // 2 if pad else reader.int("padding", 0, minimum=0)
    return ConvSection(
        index=reader.index or 0,
        line=reader.section.line,
        filters=reader.int("filters", minimum=1),
        size=size,
        stride=reader.int("stride", 1, minimum=1),
        padding=padding,
        batch_normalize=bool(reader.int("batch_normalize", 0, minimum=0)),
        # Darknet's default is logistic (OpenCV's importer assumes linear; Darknet is the reference here).
        activation=reader.choice("activation", "logistic", ACTIVATIONS),
    )


def _maxpool(reader: _Reader, _layers: list[Layer]) -> MaxPoolSection:
    stride = reader.int("stride", 1, minimum=1)
    size = reader.int("size", stride, minimum=1)  # Darknet's default size is the stride
    return MaxPoolSection(
        index=reader.index or 0,
        line=reader.section.line,
        size=size,
        stride=stride,
        padding=reader.int("padding", size - 1, minimum=0),
    )


def _upsample(reader: _Reader, _layers: list[Layer]) -> UpsampleSection:
    return UpsampleSection(index=reader.index or 0, line=reader.section.line, stride=reader.int("stride", 2, minimum=1))


def _absolute(reader: _Reader, key: str, reference: int, layers: list[Layer]) -> int:
    index = reader.index or 0
    target = index + reference if reference < 0 else reference
    if not 0 <= target < index:
        raise reader.error(f"{key} refers to layer {reference} → {target}, which is not an earlier layer", key)
    if isinstance(layers[target], YoloSection):
        raise reader.error(f"{key} refers to layer {target}, a [yolo] section, which has no usable output", key)
    return target


def _route(reader: _Reader, layers: list[Layer]) -> RouteSection:
    refs = reader.ints("layers")
    if len(refs) > 4:
        raise reader.error(f"layers has {len(refs)} entries; at most 4 are supported", "layers")
    groups = reader.int("groups", 1, minimum=1)
    group_id = reader.int("group_id", 0, minimum=0)
    if group_id >= groups:
        raise reader.error(f"group_id={group_id} must be below groups={groups}", "group_id")
    return RouteSection(
        index=reader.index or 0,
        line=reader.section.line,
        layers=tuple(_absolute(reader, "layers", ref, layers) for ref in refs),
        groups=groups,
        group_id=group_id,
    )


def _shortcut(reader: _Reader, layers: list[Layer]) -> ShortcutSection:
    refs = reader.ints("from")
    if len(refs) != 1:
        raise reader.error("from must name exactly one layer", "from")
    return ShortcutSection(
        index=reader.index or 0,
        line=reader.section.line,
        source=_absolute(reader, "from", refs[0], layers),
        activation=reader.choice("activation", "linear", ACTIVATIONS),
    )


def _yolo(reader: _Reader, layers: list[Layer]) -> YoloSection:
    classes = reader.int("classes", minimum=1)
    anchors_flat = reader.ints("anchors")
    if len(anchors_flat) % 2:
        raise reader.error(f"anchors has {len(anchors_flat)} numbers; it needs width,height pairs", "anchors")
    all_anchors = tuple(zip(anchors_flat[0::2], anchors_flat[1::2]))
    num = reader.int("num", len(all_anchors), minimum=1)
    if num != len(all_anchors):
        raise reader.error(f"num={num} but anchors lists {len(all_anchors)} pairs", "num")
    mask = reader.ints("mask", tuple(range(num)))
    for m in mask:
        if not 0 <= m < num:
            raise reader.error(f"mask entry {m} is outside 0..{num - 1}", "mask")
    new_coords = reader.int("new_coords", 0, minimum=0)
    if new_coords > 1:
        raise reader.error(f"new_coords={new_coords} is not supported (supported: 0, 1)", "new_coords")
    feeding = layers[-1] if layers else None
    if new_coords and not (isinstance(feeding, ConvSection) and feeding.activation == "logistic"):
        # Darknet reads these outputs as probabilities without a sigmoid of its own: anything else is not a model.
        raise reader.error(
            "new_coords=1 needs the layer before [yolo] to be a [convolutional] with activation=logistic",
            "new_coords",
        )
    return YoloSection(
        index=reader.index or 0,
        line=reader.section.line,
        classes=classes,
        anchors=tuple(all_anchors[m] for m in mask),
        scale_x_y=reader.float("scale_x_y", 1.0),
        new_coords=bool(new_coords),
    )


_LAYER_PARSERS: Mapping[str, Callable[[_Reader, list[Layer]], Layer]] = {
    "convolutional": _conv,
    "maxpool": _maxpool,
    "upsample": _upsample,
    "route": _route,
    "shortcut": _shortcut,
    "yolo": _yolo,
}
