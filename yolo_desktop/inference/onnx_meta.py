"""What an ONNX model says about itself, read from the file without loading it: its metadata (``metadata_props``:
Ultralytics writes ``names``, ``imgsz``, ``stride``, ``end2end`` …) and the shapes of its inputs and outputs.

Written against the protobuf wire format (onnx.proto's ModelProto/GraphProto/ValueInfoProto field numbers) rather
than with the ``onnx`` package: it needs only the header fields, seeks past the weights (a 250 MB model is read
in milliseconds), and keeps the window, the light service front and ``models list`` free of model libraries.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import BinaryIO

from .errors import ModelError

# ModelProto
_MODEL_GRAPH, _MODEL_OPSET, _MODEL_METADATA = 7, 8, 14
# GraphProto
_GRAPH_INPUT, _GRAPH_OUTPUT, _GRAPH_INITIALIZER = 11, 12, 5
# ValueInfoProto → TypeProto → TypeProto.Tensor → TensorShapeProto → Dimension
_VALUE_NAME, _VALUE_TYPE = 1, 2
_TYPE_TENSOR = 1
_TENSOR_SHAPE = 2
_SHAPE_DIM = 1
_DIM_VALUE, _DIM_PARAM = 1, 2
MAX_TEXT = 1 << 20  # bytes read of any one string field (a name, a metadata value)
# StringStringEntryProto
_ENTRY_KEY, _ENTRY_VALUE = 1, 2
# OperatorSetIdProto
_OPSET_DOMAIN, _OPSET_VERSION = 1, 2


@dataclass(frozen=True)
class Tensor:
    name: str
    shape: tuple[int | str, ...]  # a dimension is its size, or its symbolic name (dynamic)


@dataclass(frozen=True)
class OnnxHeader:
    inputs: tuple[Tensor, ...]  # graph inputs that are not weights
    outputs: tuple[Tensor, ...]
    metadata: dict[str, str] = field(default_factory=dict)
    opset: int = 0


class _Reader:
    """Protobuf fields of one message in ``[start, end)`` of the file, read as they come; bytes fields of interest
    are read, the rest skipped with a seek."""

    def __init__(self, handle: BinaryIO, start: int, end: int) -> None:
        self.handle, self.position, self.end = handle, start, end

    def _varint(self) -> int:
        result, shift = 0, 0
        while True:
            self.handle.seek(self.position)
            byte = self.handle.read(1)
            if not byte:
                raise ValueError("truncated")
            self.position += 1
            result |= (byte[0] & 0x7F) << shift
            if not byte[0] & 0x80:
                return result
            shift += 7
            if shift > 63:
                raise ValueError("bad varint")

    def fields(self):
        """Yields (field number, wire type, value): an int for varints, (start, end) for length-delimited."""
        while self.position < self.end:
            key = self._varint()
            number, wire = key >> 3, key & 7
            if wire == 0:
                yield number, wire, self._varint()
            elif wire == 2:
                length = self._varint()
                start = self.position
                self.position += length
                if self.position > self.end:
                    raise ValueError("truncated")
                yield number, wire, (start, self.position)
            elif wire == 1:
                self.position += 8
            elif wire == 5:
                self.position += 4
            else:
                raise ValueError(f"unsupported wire type {wire}")

    def sub(self, span: tuple[int, int]) -> _Reader:
        return _Reader(self.handle, *span)

    def text(self, span: tuple[int, int]) -> str:
        self.handle.seek(span[0])
        # Names and metadata are short; a hostile file must not make this read gigabytes into memory.
        return self.handle.read(min(span[1] - span[0], MAX_TEXT)).decode("utf-8", "replace")


def _tensor(reader: _Reader, span: tuple[int, int]) -> Tensor:
    name, dims = "", []
    for number, wire, value in reader.sub(span).fields():
        if number == _VALUE_NAME and wire == 2:
            name = reader.text(value)
        elif number == _VALUE_TYPE and wire == 2:
            for t_number, t_wire, t_value in reader.sub(value).fields():
                if t_number != _TYPE_TENSOR or t_wire != 2:
                    continue
                for s_number, s_wire, s_value in reader.sub(t_value).fields():
                    if s_number != _TENSOR_SHAPE or s_wire != 2:
                        continue
                    for d_number, d_wire, d_value in reader.sub(s_value).fields():
                        if d_number != _SHAPE_DIM or d_wire != 2:
                            continue
                        dim: int | str = "?"
                        for x_number, x_wire, x_value in reader.sub(d_value).fields():
                            if x_number == _DIM_VALUE and x_wire == 0:
                                dim = x_value
                            elif x_number == _DIM_PARAM and x_wire == 2:
                                dim = reader.text(x_value) or "?"
                        dims.append(dim)
    return Tensor(name, tuple(dims))


def read_header(path: str | os.PathLike[str]) -> OnnxHeader:
    """The inputs (weights left out), outputs, metadata and default-domain opset of an ONNX model file."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            model = _Reader(handle, 0, size)
            inputs: list[Tensor] = []
            outputs: list[Tensor] = []
            weights: set[str] = set()
            metadata: dict[str, str] = {}
            opset = 0
            for number, wire, value in model.fields():
                if number == _MODEL_GRAPH and wire == 2:
                    graph = model.sub(value)
                    for g_number, g_wire, g_value in graph.fields():
                        if g_wire != 2:
                            continue
                        if g_number == _GRAPH_INPUT:
                            inputs.append(_tensor(graph, g_value))
                        elif g_number == _GRAPH_OUTPUT:
                            outputs.append(_tensor(graph, g_value))
                        elif g_number == _GRAPH_INITIALIZER:
                            # TensorProto's name is field 8: an old exporter lists weights among the inputs.
                            for i_number, i_wire, i_value in graph.sub(g_value).fields():
                                if i_number == 8 and i_wire == 2:
                                    weights.add(graph.text(i_value))
                elif number == _MODEL_METADATA and wire == 2:
                    key = entry = ""
                    for e_number, e_wire, e_value in model.sub(value).fields():
                        if e_number == _ENTRY_KEY and e_wire == 2:
                            key = model.text(e_value)
                        elif e_number == _ENTRY_VALUE and e_wire == 2:
                            entry = model.text(e_value)
                    metadata[key] = entry
                elif number == _MODEL_OPSET and wire == 2:
                    domain, version = "", 0
                    for o_number, o_wire, o_value in model.sub(value).fields():
                        if o_number == _OPSET_DOMAIN and o_wire == 2:
                            domain = model.text(o_value)
                        elif o_number == _OPSET_VERSION and o_wire == 0:
                            version = o_value
                    if domain in ("", "ai.onnx"):
                        opset = version
    except OSError as exc:
        raise ModelError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ModelError(f"{path}: not an ONNX model ({exc} protobuf)") from None
    if not outputs:
        raise ModelError(f"{path}: not an ONNX model (no graph outputs found)")
    return OnnxHeader(tuple(t for t in inputs if t.name not in weights), tuple(outputs), metadata, opset)
