"""Letterbox geometry and its exact inverse."""

from __future__ import annotations

import numpy as np
import pytest

from yolo_desktop.inference.letterbox import PAD_VALUE, Letterbox, letterbox


@pytest.mark.parametrize(
    "width, height, size",
    [(600, 400, 416), (400, 600, 416), (512, 512, 320), (5472, 3648, 608), (37, 1000, 416), (1, 1, 32)],
)
def test_fit_keeps_aspect_and_centres(width, height, size):
    box = Letterbox.fit(width, height, size, size)
    assert max(box.scaled_width, box.scaled_height) == size
    assert (
        abs(box.scaled_width / box.scaled_height - width / height) < 2 / min(box.scaled_width, box.scaled_height) + 1e-9
    )
    assert box.pad_x == (size - box.scaled_width) // 2 and box.pad_y == (size - box.scaled_height) // 2


def test_image_lands_in_the_middle_with_gray_padding():
    image = np.zeros((200, 400, 3), np.uint8)
    image[:, :, 0] = 255
    batch, box = letterbox(image, 416, 416)
    assert batch.shape == (1, 416, 416, 3) and batch.dtype == np.float32
    assert (box.scaled_width, box.scaled_height, box.pad_x, box.pad_y) == (416, 208, 0, 104)
    assert np.all(batch[0, :104] == PAD_VALUE) and np.all(batch[0, 312:] == PAD_VALUE)
    assert np.allclose(batch[0, 104:312, :, 0], 1.0) and np.allclose(batch[0, 104:312, :, 1:], 0.0)


def test_inverse_is_exact():
    box = Letterbox.fit(1234, 567, 608, 608)
    boxes = np.array([[10.5, 20.25, 300.0, 400.0], [0, 0, 1234, 567]], np.float32)
    back = box.to_original(box.to_network(boxes))
    assert np.allclose(back, boxes, atol=1e-3)
    # The image's own corners map onto the scaled region's corners.
    corners = box.to_network(np.array([[0, 0, 1234, 567]], np.float32))[0]
    assert np.allclose(
        corners, [box.pad_x, box.pad_y, box.pad_x + box.scaled_width, box.pad_y + box.scaled_height], atol=1e-3
    )


def test_reduced_decode_maps_to_full_size():
    """A JPEG decoded at 1/4 scale must give boxes in full-size pixels."""
    reduced = np.zeros((100, 150, 3), np.uint8)
    _, box = letterbox(reduced, 416, 416, source_size=(600, 400))
    assert (box.source_width, box.source_height) == (600, 400)
    assert box == Letterbox.fit(600, 400, 416, 416)
