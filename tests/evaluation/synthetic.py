"""Detections made up from real labels (the COCO sample's official boxes), deterministic by seed: found objects
with their boxes moved (IoU spread over 0.5…0.95), some of the wrong class, duplicates, misses, boxes on nothing,
detections on crowd regions, equal scores, and one photo with more than COCO's 100 detections of a class. Scores
are rounded to 2 decimals so ties are common (their order is part of what must match pycocotools)."""

from __future__ import annotations

import numpy as np

from yolo_desktop.evaluation.inputs import EvalPhoto


def made_up(photos: list[EvalPhoto], classes: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per photo: boxes (D, 4) x1, y1, x2, y2 pixels, scores (D,), classes (D,) as indexes into the labels."""
    rng = np.random.default_rng(seed)
    out = []
    for i, photo in enumerate(photos):
        boxes, scores, ids = [], [], []
        truth = photo.truth
        for box, c, crowd in zip(truth.boxes, truth.classes, truth.crowd):
            if crowd:
                if rng.random() < 0.7:  # a detection inside the crowd region: ignored, not wrong
                    x1, y1, x2, y2 = box
                    w, h = x2 - x1, y2 - y1
                    boxes.append([x1 + 0.1 * w, y1 + 0.1 * h, x1 + 0.4 * w, y1 + 0.6 * h])
                    scores.append(rng.random())
                    ids.append(c)
                continue
            if rng.random() < 0.15:
                continue  # missed
            size = np.array([box[2] - box[0], box[3] - box[1]] * 2)
            for _copy in range(2 if rng.random() < 0.2 else 1):  # sometimes a duplicate
                moved = box + rng.normal(0, 0.07, 4) * size
                wrong = rng.random() < 0.1
                boxes.append(moved)
                scores.append(rng.random())
                ids.append(int(rng.integers(classes)) if wrong else c)
        for _fp in range(int(rng.integers(0, 5))):  # boxes on nothing in particular
            x, y = rng.random(2) * [photo.width * 0.8, photo.height * 0.8]
            boxes.append([x, y, x + rng.random() * photo.width * 0.2 + 4, y + rng.random() * photo.height * 0.2 + 4])
            scores.append(rng.random() * 0.6)
            ids.append(
                int(truth.classes[0]) if len(truth.classes) and rng.random() < 0.5 else int(rng.integers(classes))
            )
        if i == 3:  # more than 100 detections of one class: COCO counts each photo's and class's best 100
            for _k in range(120):
                x, y = rng.random(2) * [photo.width - 30, photo.height - 30]
                boxes.append([x, y, x + 25, y + 25])
                scores.append(rng.random())
                ids.append(int(truth.classes[0]))
        out.append(
            (
                np.asarray(boxes, np.float64).reshape(-1, 4),
                np.round(np.asarray(scores, np.float64), 2) + 0.001,  # + 0.001: no score 0
                np.asarray(ids, np.int64),
            )
        )
    return out
