"""Resize an image into the network input with its aspect ratio kept, and map boxes back exactly.

Darknet letterboxes: the image is scaled to fit, centred, and the rest filled with gray 0.5. The transform is
kept so boxes found in network pixels return to original-image pixels with the exact inverse of the forward map.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PAD_VALUE = 0.5  # Darknet's gray, in [0, 1] input units


@dataclass(frozen=True)
class Letterbox:
    """How an image of ``source`` size was placed inside the network input of ``target`` size (pixels)."""

    source_width: int
    source_height: int
    target_width: int
    target_height: int
    scaled_width: int
    scaled_height: int
    pad_x: int  # left padding, network pixels
    pad_y: int  # top padding, network pixels

    @classmethod
    def fit(cls, width: int, height: int, target_width: int, target_height: int) -> Letterbox:
        # Same integer arithmetic as Darknet's letterbox_image: the longer side fills the input.
        if target_width * height < target_height * width:
            scaled_w, scaled_h = target_width, max(1, (height * target_width) // width)
        else:
            scaled_w, scaled_h = max(1, (width * target_height) // height), target_height
        return cls(
            width,
            height,
            target_width,
            target_height,
            scaled_w,
            scaled_h,
            (target_width - scaled_w) // 2,
            (target_height - scaled_h) // 2,
        )

    def to_original(self, boxes: np.ndarray) -> np.ndarray:
        """(N, 4) x1, y1, x2, y2 in network pixels → original-image pixels (float32, not clipped)."""
        sx = self.scaled_width / self.source_width
        sy = self.scaled_height / self.source_height
        out = np.empty_like(boxes, dtype=np.float32)
        out[:, 0::2] = (boxes[:, 0::2] - self.pad_x) / sx
        out[:, 1::2] = (boxes[:, 1::2] - self.pad_y) / sy
        return out

    def to_network(self, boxes: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_original` (used by tests and by drawing in network space)."""
        sx = self.scaled_width / self.source_width
        sy = self.scaled_height / self.source_height
        out = np.empty_like(boxes, dtype=np.float32)
        out[:, 0::2] = boxes[:, 0::2] * sx + self.pad_x
        out[:, 1::2] = boxes[:, 1::2] * sy + self.pad_y
        return out


def letterbox(
    image: np.ndarray,
    target_width: int,
    target_height: int,
    source_size: tuple[int, int] | None = None,
    resize: str = "area",
) -> tuple[np.ndarray, Letterbox]:
    """RGB uint8 (H, W, 3) → network input (1, target_height, target_width, 3) float32 in [0, 1].

    ``source_size`` (width, height) is the size the boxes must map back to when ``image`` was decoded at reduced
    scale; the letterbox geometry is then computed for the full size, so results do not depend on the decode path.
    ``resize``: "area" (cv2.INTER_AREA when shrinking) or "bilinear" (cv2.INTER_LINEAR, as Darknet and OpenCV DNN
    resize); enlarging is bilinear either way.
    """
    height, width = image.shape[:2]
    full_w, full_h = source_size if source_size else (width, height)
    box = Letterbox.fit(full_w, full_h, target_width, target_height)
    shrinking = box.scaled_width < width or box.scaled_height < height
    # INTER_AREA averages the pixels a large photo drops when shrinking (no aliasing); bilinear when enlarging.
    interpolation = cv2.INTER_AREA if shrinking and resize == "area" else cv2.INTER_LINEAR
    if (width, height) != (box.scaled_width, box.scaled_height):
        image = cv2.resize(image, (box.scaled_width, box.scaled_height), interpolation=interpolation)
    batch = np.full((1, target_height, target_width, 3), PAD_VALUE, dtype=np.float32)
    region = batch[0, box.pad_y : box.pad_y + box.scaled_height, box.pad_x : box.pad_x + box.scaled_width]
    np.multiply(image, np.float32(1.0 / 255.0), out=region, casting="unsafe")
    return batch, box
