"""The output names of a converted (.tflite) model's signature, read from the file with the flatbuffers runtime.

OpenVINO's TFLite reader names a model's outputs after their tensors ("StatefulPartitionedCall:0"), not after the
signature keys the converter was given ("yolo_16"). The signature in the file maps one to the other. Field numbers
are those of LiteRT's schema.fbs (a versioned, append-only format): Model.subgraphs = 2, Model.signature_defs = 7;
SignatureDef.outputs = 1, .signature_key = 2, .subgraph_index = 4; TensorMap.name = 0, .tensor_index = 1;
SubGraph.tensors = 0; Tensor.name = 3.
"""

from __future__ import annotations

from pathlib import Path

from flatbuffers import encode, number_types
from flatbuffers.table import Table


def _offset(table: Table, field: int) -> int:
    return table.Offset(4 + 2 * field)  # a vtable holds its size, the table's size, then one u16 per field


def _tables(table: Table, field: int) -> list[Table]:
    offset = _offset(table, field)
    if not offset:
        return []
    start = table.Vector(offset)
    return [Table(table.Bytes, table.Indirect(start + 4 * i)) for i in range(table.VectorLen(offset))]


def _string(table: Table, field: int) -> str:
    offset = _offset(table, field)
    return table.String(offset + table.Pos).decode("utf-8") if offset else ""


def _uint32(table: Table, field: int) -> int:
    offset = _offset(table, field)
    return table.Get(number_types.Uint32Flags, offset + table.Pos) if offset else 0


def signature_outputs(path: str | Path, signature: str = "serving_default") -> dict[str, str]:
    """{signature output name: tensor name} of ``signature`` in the .tflite file at ``path``."""
    data = bytearray(Path(path).read_bytes())
    if data[4:8] != b"TFL3":
        raise ValueError(f"{path}: not a TensorFlow Lite model")
    model = Table(data, encode.Get(number_types.UOffsetTFlags.packer_type, data, 0))
    subgraphs = _tables(model, 2)
    for definition in _tables(model, 7):
        if _string(definition, 2) != signature:
            continue
        tensors = _tables(subgraphs[_uint32(definition, 4)], 0)
        return {_string(entry, 0): _string(tensors[_uint32(entry, 1)], 3) for entry in _tables(definition, 1)}
    raise ValueError(f"{path}: has no signature {signature!r}")
