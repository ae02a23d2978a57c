"""The palette written out in ``palette.py`` is the greedy CIELAB choice it says it is (recomputed with OpenCV)."""

from __future__ import annotations

import colorsys

import cv2
import numpy as np

from yolo_desktop.imaging.palette import PALETTE, class_color


def greedy_cielab_palette(count: int = 80) -> tuple[tuple[int, int, int], ...]:
    hues = np.arange(36) / 36.0
    candidates = np.array(
        [colorsys.hsv_to_rgb(h, s, v) for h in hues for s in (0.6, 0.8, 0.95) for v in (0.8, 1.0)], dtype=np.float32
    )
    lab = cv2.cvtColor(candidates.reshape(1, -1, 3), cv2.COLOR_RGB2Lab).reshape(-1, 3)
    chosen = [3]  # hue 0, saturation 0.8, value 1.0: red for class 0
    nearest = np.linalg.norm(lab - lab[chosen[0]], axis=1)
    while len(chosen) < count:
        pick = int(np.argmax(nearest))
        chosen.append(pick)
        nearest = np.minimum(nearest, np.linalg.norm(lab - lab[pick], axis=1))
    rgb = np.round(candidates[chosen] * 255).astype(int)
    return tuple((int(r), int(g), int(b)) for r, g, b in rgb)


def test_palette_is_the_greedy_cielab_choice():
    assert greedy_cielab_palette() == PALETTE


def test_colours_repeat_only_after_the_palette():
    assert len(set(PALETTE)) == len(PALETTE) == 80
    assert class_color(80) == class_color(0) and class_color(81) == class_color(1)
