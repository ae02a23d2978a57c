"""How close two runs' floats must be to be "the same", and comparisons of detections that respect it.

A runtime (onnxruntime, OpenVINO, LiteRT, TensorFlow, OpenCV) sums in an order that depends on the processor (AVX2
or AVX-512 kernels, how work is split between threads): the same model on the same input gives floats that differ
in their last bits from one processor to another (0.005 px on a box, 1e-6 on a score, seen). So a test never
compares a runtime's floats bit for bit with a value stored or computed elsewhere, and never below what matters:

- ``BOX_PX``: boxes whose coordinates all lie within 0.05 px of each other are the same box;
- ``SCORE``: scores within 1e-4 (score units, 0..1) are the same score.

A decision taken on such floats can flip within those tolerances: a box scoring within ``SCORE`` of the confidence
threshold; a box whose best class beats the runner-up by ``2 × SCORE`` or less (it may take the other class); two
boxes of one class whose scores are within ``2 × SCORE`` and that overlap beyond the NMS threshold (which one
survives); a pair whose IoU the box tolerance can move across the threshold; and whatever such a box would
suppress. ``undecided`` finds those candidates; ``assert_same_detections`` requires every other detection to match
one to one, in order, and lets only undecided ones differ.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from yolo_desktop.geometry import areas, clip, intersections
from yolo_desktop.results import Candidates

BOX_PX = 0.05  # pixels
SCORE = 1e-4  # score units (0..1)

KEPT, GONE, UNSURE = 0, 1, 2


def _grown(boxes: np.ndarray, by: float) -> np.ndarray:
    """(N, 4) x1y1x2y2 → every side moved outwards by ``by`` pixels (inwards if negative)."""
    return boxes + np.array([-by, -by, by, by])


def iou_bounds(a: np.ndarray, b: np.ndarray, slack: float = BOX_PX) -> tuple[np.ndarray, np.ndarray]:
    """(A, 4), (B, 4) px → ((A, B) lowest, (A, B) highest) IoU when every coordinate may move by ``slack`` px.
    IoU = I / (areaA + areaB − I) grows with I and shrinks with either area: bound I and the areas apart."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    inter_min = intersections(_grown(a, -slack), _grown(b, -slack))
    inter_max = intersections(_grown(a, slack), _grown(b, slack))
    small = areas(_grown(a, -slack))[:, None] + areas(_grown(b, -slack))[None, :]
    large = areas(_grown(a, slack))[:, None] + areas(_grown(b, slack))[None, :]
    low = np.divide(inter_min, large - inter_min, out=np.zeros_like(inter_min), where=large - inter_min > 0)
    high_den = small - inter_max
    high = np.divide(inter_max, high_den, out=np.ones_like(inter_max), where=high_den > 0)
    return low, np.minimum(high, 1.0)


def undecided(
    boxes: np.ndarray,
    scores: np.ndarray,
    class_ids: np.ndarray,
    conf: float,
    iou: float,
    nms: bool = True,
    size: tuple[float, float] | None = None,
    unsure: np.ndarray | None = None,
) -> np.ndarray:
    """Candidates (boxes (N, 4) px, scores (N,), class ids (N,), best first) → (N,) bool: whether this candidate's
    presence among the detections at ``conf`` / ``iou`` (per-class greedy NMS, as the product selects) can change
    when every box moves by up to ``BOX_PX`` and every score by up to ``SCORE``. ``size``: (width, height) of the
    photo the boxes are clipped to (a box clipped to less than ``BOX_PX`` across may vanish); ``unsure``: (N,) bool,
    candidates undecided for a reason of their own (a class that may flip)."""
    count = len(scores)
    status = np.full(count, GONE, np.int8)
    live = np.flatnonzero(scores >= conf - SCORE)  # below that, absent from either run
    status[live] = KEPT
    status[live[np.abs(scores[live] - conf) <= SCORE]] = UNSURE
    if unsure is not None:
        status[live[unsure[live]]] = UNSURE
    if size is not None and live.size:
        width, height = size
        clipped = clip(boxes[live].astype(np.float64), width, height)
        thin = np.minimum(clipped[:, 2] - clipped[:, 0], clipped[:, 3] - clipped[:, 1]) <= BOX_PX
        status[live[thin & (status[live] == KEPT)]] = UNSURE
    if not nms:
        return status == UNSURE
    for class_id in np.unique(class_ids[live]):
        members = live[class_ids[live] == class_id]  # best first
        low, high = iou_bounds(boxes[members], boxes[members])
        for k, j in enumerate(members):
            if status[j] == GONE:
                continue
            maybe = status[j] == UNSURE
            for m, i in enumerate(members):
                if m == k or high[m, k] <= iou:
                    continue  # never overlaps enough to suppress j
                above = scores[i] - scores[j] > 2 * SCORE  # ranked above j in any run
                tied = abs(scores[i] - scores[j]) <= 2 * SCORE  # either may come first
                if m > k and not tied:
                    break  # the rest rank below j
                if status[i] == GONE and m < k:
                    continue
                if m < k and status[i] == KEPT and above and low[m, k] > iou:
                    status[j], maybe = GONE, False  # suppressed in every run
                    break
                maybe = True
            if status[j] != GONE and maybe:
                status[j] = UNSURE
    return status == UNSURE


Rows = tuple[np.ndarray, np.ndarray, np.ndarray]  # boxes (N, 4) px, scores (N,), class ids (N,)


def _box_ids(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Boxes (A, 4), (B, 4) → an id per box, equal for bit-identical boxes. The same box comes out of every decode
    of one output with the very same coordinates (the same arithmetic on the same row)."""
    _, ids = np.unique(np.concatenate([a, b]).reshape(-1, 4), axis=0, return_inverse=True)
    ids = ids.reshape(-1)
    return ids[: len(a)], ids[len(a) :]


def close_rivals(candidates: Candidates, rival: Candidates, least_conf: float) -> Rows:
    """``rival``: the same boxes decoded with another class each (their 2nd, 3rd, … best) → those scoring within
    ``2 × SCORE`` of their box's best: classes another processor may pick instead. Only where that could matter:
    for boxes at or above ``least_conf`` (the lowest confidence threshold compared) − ``SCORE``."""
    rival_boxes = rival.boxes[rival.scores >= least_conf - 3 * SCORE]  # ≥ best − 2 × SCORE ≥ conf − 3 × SCORE
    rival_scores = rival.scores[rival.scores >= least_conf - 3 * SCORE]
    rival_classes = rival.class_ids[rival.scores >= least_conf - 3 * SCORE]
    mine, theirs = _box_ids(candidates.boxes, rival_boxes)
    best = np.full(len(mine) + len(theirs), np.inf)
    best[mine] = candidates.scores
    close = rival_scores >= best[theirs] - 2 * SCORE
    return rival_boxes[close], rival_scores[close], rival_classes[close]


def undecided_rows(
    candidates: Candidates, conf: float, iou: float, width: int, height: int, rivals: Sequence[Rows] = ()
) -> np.ndarray:
    """A photo's kept candidates → (M, 6) rows (x1, y1, x2, y2 px clipped to the photo, score, class) of those
    ``undecided`` at ``conf`` / ``iou``, as ``assert_same_detections`` takes them. ``rivals``: where a decoder keeps
    one class per box (its best), the ``close_rivals`` of its boxes: such a box may take either class, so every
    version of it is undecided, and so is whatever any of them might suppress."""
    boxes, scores, class_ids = candidates.boxes, candidates.scores, candidates.class_ids
    unsure = np.zeros(len(scores), bool)
    for rival_boxes, rival_scores, rival_classes in rivals:
        mine, theirs = _box_ids(candidates.boxes, rival_boxes)
        unsure[: len(candidates.scores)] |= np.isin(mine, theirs)
        boxes = np.concatenate([boxes, rival_boxes])
        scores = np.concatenate([scores, rival_scores])
        class_ids = np.concatenate([class_ids, rival_classes])
        unsure = np.concatenate([unsure, np.ones(len(rival_scores), bool)])
    order = np.argsort(-scores, kind="stable")  # best first, as ``undecided`` takes them
    boxes, scores, class_ids, unsure = boxes[order], scores[order], class_ids[order], unsure[order]
    fragile = undecided(boxes, scores, class_ids, conf, iou, candidates.nms, (width, height), unsure)
    return np.column_stack([clip(boxes[fragile], width, height), scores[fragile], class_ids[fragile]])


def same_as_any(row: np.ndarray, rows: np.ndarray) -> bool:
    """Whether a detection row (x1, y1, x2, y2 px, score, class) is the same detection as one of ``rows``."""
    return bool(_same(row, rows).any())


def _same(row: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """A detection row (x1, y1, x2, y2, score, class) against (N, 6) rows → (N,) bool: the same detection."""
    return (
        (rows[:, 5] == row[5])
        & (np.abs(rows[:, :4] - row[:4]).max(axis=1) <= BOX_PX)
        & (np.abs(rows[:, 4] - row[4]) <= SCORE)
    )


def assert_same_detections(ours: np.ndarray, theirs: np.ndarray, unsure: np.ndarray, what: object = "") -> int:
    """Detections as (N, 6) rows (x1, y1, x2, y2 px, score, class), best first, from two runs of the same
    selection; ``unsure``: (M, 6) rows of the candidates whose presence is undecided (``undecided``). Every
    detection of either run matches one of the other's (same class, box within ``BOX_PX``, score within
    ``SCORE``), one to one and in the same order up to scores within ``2 × SCORE``, unless it is undecided.
    Returns how many of ``theirs`` were decided, so matched of necessity (a caller can require most of them)."""
    free = np.ones(len(ours), bool)
    pairs: list[tuple[int, int]] = []
    for t, row in enumerate(theirs):
        found = np.flatnonzero(free & _same(row, ours))
        if found.size:
            free[found[0]] = False
            pairs.append((int(found[0]), t))
        else:
            assert same_as_any(row, unsure), f"{what}: theirs {row.tolist()} is missing from ours"
    for o in np.flatnonzero(free):
        assert same_as_any(ours[o], unsure), f"{what}: ours {ours[o].tolist()} is not in theirs"
    if pairs:
        order = np.array(sorted(pairs))  # by our rank: their ranks must follow, but for near ties
        later = order[:, 1][None, :] < order[:, 1][:, None]  # [a, b]: b ranks after a here, before a there
        swapped = np.triu(later, 1)
        gaps = np.abs(theirs[order[:, 1], 4][:, None] - theirs[order[:, 1], 4][None, :])
        assert (gaps[swapped] <= 2 * SCORE).all(), f"{what}: the order differs beyond near ties"
    return sum(not same_as_any(row, unsure) for row in theirs)
