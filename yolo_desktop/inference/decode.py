"""YOLO head outputs → scored candidate boxes → per-class NMS → detections.

Decoding follows AlexeyAB's yolo layer (yolo_layer.c: forward_yolo_layer, get_yolo_box): for cell (col, row) of a
G_h × G_w grid, anchor (a_w, a_h) in network pixels and the head's scale_x_y s,
x = (col + σ(tx)·s − (s − 1)/2) / G_w · W, y likewise, w = a_w · e^tw, h = a_h · e^th; a box scores
σ(objectness) · σ(class logit) for each class. With new_coords=1 the head's conv is already logistic-activated, so
every σ above is the stored value itself, and w = a_w · (2·tw)², h = a_h · (2·th)². Everything above a low floor is
kept as ``Candidates`` so any threshold, NMS IoU or class filter can be applied again later and give exactly what a
fresh run gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..geometry import clip, empty
from ..results import Candidates, Detections, ImageResult
from ..settings import MAX_CANDIDATES, DetectorSettings
from .nms import keep as nms_keep

if TYPE_CHECKING:
    from .letterbox import Letterbox

# e^30 ≈ 1e13 pixels is already absurd; clipping only stops float32 overflow on untrained weights.
_MAX_LOG_SCALE = 30.0


@dataclass(frozen=True)
class HeadSpec:
    anchors: np.ndarray  # (A, 2) anchor width, height in network-input pixels
    classes: int
    scale_x_y: float = 1.0
    new_coords: bool = False  # outputs already logistic; sizes (2t)²·anchor


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _identity(x: np.ndarray) -> np.ndarray:
    return x


def decode_heads(
    outputs: Sequence[np.ndarray], heads: Sequence[HeadSpec], input_width: int, input_height: int, floor: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw head tensors (1, G_h, G_w, A·(5+C)) → (boxes (N, 4) x1y1x2y2 network px, scores (N,), class ids (N,))."""
    all_boxes, all_scores, all_classes = [], [], []
    for raw, head in zip(outputs, heads):
        _, grid_h, grid_w, channels = raw.shape
        anchors = len(head.anchors)
        cells = raw.reshape(grid_h, grid_w, anchors, channels // anchors).astype(np.float32, copy=False)
        squash = _identity if head.new_coords else _sigmoid
        objectness = squash(cells[..., 4])
        # A class score never exceeds its box's objectness, so boxes below the floor can be dropped first.
        rows, cols, anchor_ids = np.nonzero(objectness >= floor)
        if rows.size == 0:
            continue
        picked = cells[rows, cols, anchor_ids]  # (K, 5 + C)
        scores = objectness[rows, cols, anchor_ids][:, None] * squash(picked[:, 5:])  # (K, C)
        box_ids, class_ids = np.nonzero(scores >= floor)
        if box_ids.size == 0:
            continue
        s = np.float32(head.scale_x_y)
        offset = squash(picked[:, 0:2]) * s - (s - 1) / 2  # (K, 2) position inside the cell, in cells
        cx = (cols + offset[:, 0]) / grid_w * input_width
        cy = (rows + offset[:, 1]) / grid_h * input_height
        if head.new_coords:
            scale = (2 * picked[:, 2:4]) ** 2
        else:
            scale = np.exp(np.minimum(picked[:, 2:4], _MAX_LOG_SCALE))
        w = scale[:, 0] * head.anchors[anchor_ids, 0]
        h = scale[:, 1] * head.anchors[anchor_ids, 1]
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        all_boxes.append(boxes[box_ids])
        all_scores.append(scores[box_ids, class_ids])
        all_classes.append(class_ids)
    if not all_boxes:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int32)
    return (
        np.concatenate(all_boxes).astype(np.float32),
        np.concatenate(all_scores).astype(np.float32),
        np.concatenate(all_classes).astype(np.int32),
    )


class Decoder(Protocol):
    """A model family's raw outputs → (boxes (N, 4) x1y1x2y2 in network pixels, scores (N,), class ids (N,)) for
    every candidate scoring at least ``floor``; ``nms``: whether selection runs NMS over them."""

    @property
    def nms(self) -> bool: ...

    def __call__(
        self, outputs: Sequence[np.ndarray], width: int, height: int, floor: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...


@dataclass(frozen=True)
class DarknetDecoder:
    heads: tuple[HeadSpec, ...]
    nms: bool = True

    def __call__(
        self, outputs: Sequence[np.ndarray], width: int, height: int, floor: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return decode_heads(outputs, self.heads, width, height, floor)


def make_candidates(outputs: Sequence[np.ndarray], decoder: Decoder, box: Letterbox, floor: float) -> Candidates:
    boxes, scores, class_ids = decoder(outputs, box.target_width, box.target_height, floor)
    # Highest score first, ties broken by decode order, so selection is deterministic.
    order = np.argsort(-scores, kind="stable")[:MAX_CANDIDATES]
    return Candidates(box.to_original(boxes[order]), scores[order], class_ids[order], floor, decoder.nms)


def combine(parts: Sequence[tuple[Candidates, int, int]], floor: float, nms: bool = True) -> Candidates:
    """A tiled photo's candidates: each run's (``Candidates`` in its own pixels, x and y of its top-left corner in
    the photo) → one set in photo pixels, highest score first (ties in run order), each marked with its run's index
    in ``parts`` (``Candidates.sources``)."""
    boxes = np.concatenate([c.boxes + np.array([x, y, x, y], np.float32) for c, x, y in parts]).reshape(-1, 4)
    scores = np.concatenate([c.scores for c, _x, _y in parts])
    class_ids = np.concatenate([c.class_ids for c, _x, _y in parts])
    sources = np.concatenate([np.full(len(c), k, np.int16) for k, (c, _x, _y) in enumerate(parts)])
    order = np.argsort(-scores, kind="stable")[:MAX_CANDIDATES]
    return Candidates(boxes[order], scores[order], class_ids[order], floor, nms, sources=sources[order])


def select(
    candidates: Candidates, settings: DetectorSettings, names: Sequence[str], width: int, height: int
) -> Detections:
    """Apply the score threshold, class filter and per-class NMS (and for a tiled photo the merge across tiles);
    clip to the image, drop boxes entirely outside it; best first, at most ``max_detections``."""
    if settings.conf < candidates.floor:
        raise ValueError(f"confidence {settings.conf} is below the kept floor {candidates.floor}")
    keep = candidates.scores >= settings.conf
    if settings.classes is not None:
        allowed = np.array([name in settings.classes for name in names], dtype=bool)
        keep &= allowed[candidates.class_ids]
    indices = np.flatnonzero(keep)
    if indices.size == 0:
        return Detections.empty(names)
    sources = candidates.sources[indices] if candidates.sources is not None else None
    kept = indices[
        nms_keep(
            candidates.boxes[indices],
            candidates.scores[indices],
            candidates.class_ids[indices],
            sources,
            settings.iou,
            candidates.nms,
        )
    ]
    boxes = clip(candidates.boxes[kept], width, height)  # (K, 4) float32
    shown = np.flatnonzero(~empty(boxes))[: settings.max_detections]
    return Detections(boxes[shown], candidates.scores[kept[shown]], candidates.class_ids[kept[shown]], tuple(names))


def refilter(result: ImageResult, settings: DetectorSettings, names: Sequence[str]) -> ImageResult:
    """Re-apply thresholds and class filter to a finished result from its kept candidates (no network)."""
    if result.candidates is None:
        return result
    detections = select(result.candidates, settings, names, result.width, result.height)
    return replace(result, detections=detections)
