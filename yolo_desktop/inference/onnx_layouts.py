"""ONNX detection models as their makers export them: which layout an output is, how its input is made, and how
its raw output becomes scored candidate boxes.

Recognised (input ``[1, 3, H, W]``, one output):
- ``anchor-free`` ``[1, 4 + C, N]``: Ultralytics YOLOv8 / YOLO11 / YOLOv5u / YOLO26 (one-to-many head): cx, cy, w, h
  in input pixels, then C class scores (sigmoid applied); no objectness.
- ``objectness`` ``[1, N, 5 + C]``, N = 3 anchors × cells: YOLOv5 (ultralytics/yolov5): cx, cy, w, h in input pixels,
  objectness, C class scores (all sigmoid applied); a box scores objectness × class.
- ``yolox`` ``[1, N, 5 + C]``, N = cells of strides 8, 16, 32, no metadata: YOLOX exported raw
  (decode_in_inference off): x, y offsets in cells, log w, log h, objectness, C class scores (sigmoid applied).
- ``end2end`` ``[1, K, 6]`` with ``end2end`` metadata: YOLO26/YOLOv10 NMS-free: x1, y1, x2, y2, score, class.
Every box keeps its best class (as Ultralytics, YOLOv5 and YOLOX do), so candidates are one per box; the
end-to-end layout's rows are final (no NMS after them).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ModelError
from .letterbox import ULTRALYTICS, YOLOV5, YOLOX, LetterboxStyle
from .onnx_meta import OnnxHeader, Tensor

YOLOX_STRIDES = (8, 16, 32)
YOLOV5_ANCHORS = 3
DEFAULT_SIZE = 640  # Ultralytics' default, for an export whose input size is dynamic and unstated
MAX_LITERAL = 1 << 16  # metadata values parsed as Python literals: longer ones (80 names take ~1 KB) are ignored
_MAX_LOG_SCALE = 30.0  # e^30 px is already absurd; only stops float32 overflow on untrained weights

EXPECTED = (
    "expected an input [1, 3, H, W] and one output: [1, 4+C, N] (Ultralytics YOLOv8/YOLO11), [1, N, 5+C] "
    "(YOLOv5 with objectness, or YOLOX), or [1, K, 6] with end2end metadata (YOLO26/YOLOv10)"
)


@dataclass(frozen=True)
class OnnxLayout:
    kind: str  # "anchor-free" | "objectness" | "yolox" | "end2end"
    input_name: str
    output_name: str
    width: int
    height: int
    classes: int
    names: tuple[str, ...] | None  # from the metadata (Ultralytics, YOLOv5); None: a names file must give them
    style: LetterboxStyle

    @property
    def nms(self) -> bool:
        """Whether candidates go through NMS (an end-to-end model's rows are already its detections)."""
        return self.kind != "end2end"

    @property
    def family(self) -> str:
        return {"anchor-free": "ultralytics", "objectness": "yolov5", "yolox": "yolox", "end2end": "ultralytics-e2e"}[
            self.kind
        ]


def _cells(width: int, height: int, strides: tuple[int, ...] = YOLOX_STRIDES) -> int:
    return sum((height // s) * (width // s) for s in strides)


def metadata_names(metadata: dict[str, str]) -> tuple[str, ...] | None:
    """Class names from Ultralytics' ``names`` metadata ({0: 'person', ...}, a Python literal), if any."""
    text = metadata.get("names")
    if not text or len(text) > MAX_LITERAL:
        return None
    try:
        value = ast.literal_eval(text)
    except Exception:  # any malformed or hostile literal (MemoryError, RecursionError…): no names from it
        return None
    if isinstance(value, dict):
        try:
            return tuple(str(value[i]) for i in range(len(value)))
        except KeyError:
            return None
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return None


def _input_size(tensor: Tensor, metadata: dict[str, str]) -> tuple[int, int]:
    height, width = tensor.shape[2], tensor.shape[3]
    if isinstance(height, int) and isinstance(width, int) and height > 0 and width > 0:
        return width, height
    try:  # a dynamic input: the size it was exported for, else Ultralytics' default
        text = metadata.get("imgsz", "")
        size: Any = ast.literal_eval(text) if len(text) <= MAX_LITERAL else None
        h, w = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
        if 32 <= h <= 8192 and 32 <= w <= 8192:
            return w, h
    except Exception:  # malformed metadata: the default below
        pass
    return DEFAULT_SIZE, DEFAULT_SIZE


def _shapes(header: OnnxHeader) -> str:
    def one(t: Tensor) -> str:
        return f"{t.name} [{', '.join(str(d) for d in t.shape)}]"

    return f"inputs {', '.join(one(t) for t in header.inputs)}; outputs {', '.join(one(t) for t in header.outputs)}"


def identify(header: OnnxHeader, path: str) -> OnnxLayout:
    """The layout of an exported detector, or ``ModelError`` naming the shapes it has and the ones expected."""

    def refuse(why: str) -> ModelError:
        return ModelError(f"{path}: {why}: it has {_shapes(header)}; {EXPECTED}")

    if header.metadata.get("task", "detect") != "detect":
        raise refuse(f"a {header.metadata['task']} model, not a detection model")
    if len(header.inputs) != 1 or len(header.outputs) != 1:
        raise refuse("not one input and one output")
    image, out = header.inputs[0], header.outputs[0]
    if len(image.shape) != 4 or image.shape[1] != 3:
        raise refuse("the input is not an image batch [1, 3, H, W]")
    width, height = _input_size(image, header.metadata)
    names = metadata_names(header.metadata)
    if len(out.shape) != 3 or not all(isinstance(d, int) for d in out.shape[1:]):
        raise refuse("the output is not [1, rows, columns] with fixed sizes")
    rows, columns = int(out.shape[1]), int(out.shape[2])
    end2end = header.metadata.get("end2end", "").strip().lower() == "true"

    def layout(kind: str, classes: int, style: LetterboxStyle) -> OnnxLayout:
        if names is not None and len(names) != classes:
            raise refuse(f"its metadata names {len(names)} classes but the output has {classes}")
        return OnnxLayout(kind, image.name, out.name, width, height, classes, names, style)

    cells = _cells(width, height)
    if columns == 6 and (end2end or rows not in (cells, YOLOV5_ANCHORS * cells)):
        return layout("end2end", len(names) if names else 0, ULTRALYTICS)
    if rows < columns and rows > 4:  # [1, 4 + C, N]: channels first, fewer of them than boxes
        return layout("anchor-free", rows - 4, ULTRALYTICS)
    if columns > 5 and rows > columns:  # [1, N, 5 + C]
        classes = columns - 5
        if rows == YOLOV5_ANCHORS * cells or "stride" in header.metadata:
            return layout("objectness", classes, YOLOV5)
        if rows == cells:
            return layout("yolox", classes, YOLOX)
        raise refuse(
            f"{rows} rows fit neither YOLOv5 ({YOLOV5_ANCHORS * cells} at {width}×{height}) nor YOLOX ({cells})"
        )
    raise refuse("an output layout this app does not know")


def _yolox_grid(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, 2) cell x, y and (N, 1) stride of every row, row-major per level, as YOLOX's demo_postprocess."""
    grids, strides = [], []
    for stride in YOLOX_STRIDES:
        h, w = height // stride, width // stride
        ys, xs = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
        grids.append(np.stack((xs, ys), axis=2).reshape(-1, 2))
        strides.append(np.full((h * w, 1), stride))
    return np.concatenate(grids).astype(np.float32), np.concatenate(strides).astype(np.float32)


def decode_onnx(
    layout: OnnxLayout, output: np.ndarray, floor: float, classes: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw output → (boxes (K, 4) x1y1x2y2 in input pixels, scores (K,), class ids (K,)) scoring ≥ ``floor``,
    one per box (its best class), in output order. float32 throughout, as the exporters compute. ``classes``: how
    many the model's names give (an end-to-end output's class column is a number: one outside them is dropped)."""
    out = np.asarray(output, dtype=np.float32).reshape(output.shape[-2:])
    if layout.kind == "end2end":
        column = out[:, 5]
        valid = np.isfinite(out).all(axis=1) & (column >= 0) & (column == np.floor(column))
        if classes:
            valid &= column < classes
        rows = out[valid & (out[:, 4] >= floor)]
        return rows[:, :4].copy(), rows[:, 4].copy(), rows[:, 5].astype(np.int32)
    if layout.kind == "anchor-free":
        table = out.T  # (N, 4 + C)
        class_scores = table[:, 4:]
        xywh = table[:, :4]
    else:
        table = out  # (N, 5 + C)
        objectness = table[:, 4:5]
        keep_rows = np.flatnonzero(objectness[:, 0] >= floor)  # a score never exceeds its box's objectness
        table, objectness = table[keep_rows], objectness[keep_rows]
        class_scores = table[:, 5:] * objectness  # YOLOv5: objectness × class (float32), then the best class
        xywh = table[:, :4]
        if layout.kind == "yolox":
            grid, stride = _yolox_grid(layout.width, layout.height)
            grid, stride = grid[keep_rows], stride[keep_rows]
            xy = (xywh[:, :2] + grid) * stride
            wh = np.exp(np.minimum(xywh[:, 2:4], _MAX_LOG_SCALE)) * stride
            xywh = np.concatenate([xy, wh], axis=1)
    class_ids = np.argmax(class_scores, axis=1).astype(np.int32)
    scores = class_scores[np.arange(len(class_ids)), class_ids]
    keep = np.flatnonzero(scores >= floor)
    xy, half = xywh[keep, :2], xywh[keep, 2:4] / 2
    boxes = np.concatenate([xy - half, xy + half], axis=1).astype(np.float32)
    return boxes, scores[keep].astype(np.float32), class_ids[keep]


@dataclass(frozen=True)
class OnnxDecoder:
    """``decode.Decoder`` for an ONNX export (its one output)."""

    layout: OnnxLayout
    classes: int = 0  # the model's class count (its names), which an end-to-end output's class column must respect

    @property
    def nms(self) -> bool:
        return self.layout.nms

    def __call__(
        self, outputs: Sequence[np.ndarray], width: int, height: int, floor: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return decode_onnx(self.layout, outputs[0], floor, self.classes)
