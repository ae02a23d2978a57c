"""Resize an image into the network input with its aspect ratio kept, and map boxes back exactly.

Each model family has its own way, reproduced to the pixel so its detections are the ones its makers get:
- Darknet: scaled to fit (integer arithmetic of letterbox_image), centred, filled with gray 0.5; NHWC RGB in [0, 1].
- Ultralytics (YOLOv8, YOLO11, YOLO26) and YOLOv5: sides rounded (``round(w · r)``), centred with the odd pixel
  right/bottom (``round(d ± 0.1)``), filled with 114; NCHW RGB divided by 255. Boxes go back with each side's own
  gain and the rounded padding (Ultralytics) or one gain and the unrounded padding (YOLOv5), as their code does.
- YOLOX: sides truncated, the image in the top-left corner, filled with 114; NCHW BGR in 0..255; boxes / r.
The transform is kept so boxes found in network pixels return to original-image pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..settings import DEFAULT_RESIZE

PAD_VALUE = 0.5  # Darknet's gray, in [0, 1] input units


@dataclass(frozen=True)
class LetterboxStyle:
    name: str  # "darknet" | "ultralytics" | "yolov5" | "yolox"
    pad: float  # fill value in input units
    divide: float  # input = pixel / divide (255: [0, 1]; 1: 0..255)
    bgr: bool  # channel order of the input (OpenCV's BGR for YOLOX)
    channels_first: bool  # NCHW (ONNX exports) or NHWC (our Darknet conversion)


DARKNET = LetterboxStyle("darknet", PAD_VALUE, 255.0, bgr=False, channels_first=False)
ULTRALYTICS = LetterboxStyle("ultralytics", 114 / 255, 255.0, bgr=False, channels_first=True)
YOLOV5 = LetterboxStyle("yolov5", 114 / 255, 255.0, bgr=False, channels_first=True)
YOLOX = LetterboxStyle("yolox", 114.0, 1.0, bgr=True, channels_first=True)
STYLES = {style.name: style for style in (DARKNET, ULTRALYTICS, YOLOV5, YOLOX)}


@dataclass(frozen=True)
class Letterbox:
    """How an image of ``source`` size was placed inside the network input of ``target`` size (pixels), and the
    map back: original = (network − offset) / gain, per axis."""

    source_width: int
    source_height: int
    target_width: int
    target_height: int
    scaled_width: int
    scaled_height: int
    pad_x: int  # left padding, network pixels
    pad_y: int  # top padding, network pixels
    gain_x: float = 0.0  # 0: scaled / source (Darknet, Ultralytics); set where a family maps back otherwise
    gain_y: float = 0.0
    offset_x: float | None = None  # None: pad_x
    offset_y: float | None = None

    @classmethod
    def fit(cls, width: int, height: int, target_width: int, target_height: int, style: str = "darknet") -> Letterbox:
        if style == "darknet":
            # Same integer arithmetic as Darknet's letterbox_image: the longer side fills the input.
            if target_width * height < target_height * width:
                scaled_w, scaled_h = target_width, max(1, (height * target_width) // width)
            else:
                scaled_w, scaled_h = max(1, (width * target_height) // height), target_height
            pad = ((target_width - scaled_w) // 2, (target_height - scaled_h) // 2)
            return cls(width, height, target_width, target_height, scaled_w, scaled_h, *pad)
        r = min(target_height / height, target_width / width)
        if style == "yolox":
            scaled_w, scaled_h = max(1, int(width * r)), max(1, int(height * r))
            return cls(width, height, target_width, target_height, scaled_w, scaled_h, 0, 0, r, r, 0.0, 0.0)
        scaled_w, scaled_h = max(1, round(width * r)), max(1, round(height * r))
        dw, dh = (target_width - scaled_w) / 2, (target_height - scaled_h) / 2
        pad_x, pad_y = round(dw - 0.1), round(dh - 0.1)
        if style == "yolov5":
            return cls(
                width, height, target_width, target_height, scaled_w, scaled_h, pad_x, pad_y,
                r, r, (target_width - width * r) / 2, (target_height - height * r) / 2,
            )  # fmt: skip
        if style != "ultralytics":
            raise ValueError(f"unknown letterbox style {style!r} (available: {', '.join(STYLES)})")
        return cls(width, height, target_width, target_height, scaled_w, scaled_h, pad_x, pad_y)

    def _map(self) -> tuple[float, float, float, float]:
        gx = self.gain_x or self.scaled_width / self.source_width
        gy = self.gain_y or self.scaled_height / self.source_height
        ox = self.pad_x if self.offset_x is None else self.offset_x
        oy = self.pad_y if self.offset_y is None else self.offset_y
        return gx, gy, ox, oy

    def to_original(self, boxes: np.ndarray) -> np.ndarray:
        """(N, 4) x1, y1, x2, y2 in network pixels → original-image pixels (float32, not clipped)."""
        gx, gy, ox, oy = self._map()
        out = np.empty_like(boxes, dtype=np.float32)
        out[:, 0::2] = (boxes[:, 0::2] - ox) / gx
        out[:, 1::2] = (boxes[:, 1::2] - oy) / gy
        return out

    def to_network(self, boxes: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_original` (used by tests and by drawing in network space)."""
        gx, gy, ox, oy = self._map()
        out = np.empty_like(boxes, dtype=np.float32)
        out[:, 0::2] = boxes[:, 0::2] * gx + ox
        out[:, 1::2] = boxes[:, 1::2] * gy + oy
        return out


def letterbox(
    image: np.ndarray,
    target_width: int,
    target_height: int,
    source_size: tuple[int, int] | None = None,
    resize: str = DEFAULT_RESIZE,
    style: LetterboxStyle = DARKNET,
) -> tuple[np.ndarray, Letterbox]:
    """RGB uint8 (H, W, 3) → network input float32: (1, H, W, 3) for Darknet, (1, 3, H, W) for ONNX exports
    (see the module's docstring for each ``style``).

    ``source_size`` (width, height) is the size the boxes must map back to when ``image`` was decoded at reduced
    scale; the letterbox geometry is then computed for the full size, so results do not depend on the decode path.
    ``resize``: "area" (cv2.INTER_AREA when shrinking) or "bilinear" (cv2.INTER_LINEAR, as Darknet, OpenCV DNN,
    Ultralytics and YOLOX resize); enlarging is bilinear either way.
    """
    import cv2  # here, not at the top: the geometry and the styles are read where OpenCV is not loaded (model_spec)

    height, width = image.shape[:2]
    full_w, full_h = source_size if source_size else (width, height)
    box = Letterbox.fit(full_w, full_h, target_width, target_height, style.name)
    shrinking = box.scaled_width < width or box.scaled_height < height
    # INTER_AREA averages the pixels a large photo drops when shrinking (no aliasing); bilinear when enlarging.
    interpolation = cv2.INTER_AREA if shrinking and resize == "area" else cv2.INTER_LINEAR
    if (width, height) != (box.scaled_width, box.scaled_height):
        image = cv2.resize(image, (box.scaled_width, box.scaled_height), interpolation=interpolation)
    if style.bgr:
        image = image[..., ::-1]
    if not style.channels_first:
        batch = np.full((1, target_height, target_width, 3), style.pad, dtype=np.float32)
        region = batch[0, box.pad_y : box.pad_y + box.scaled_height, box.pad_x : box.pad_x + box.scaled_width]
        np.multiply(image, np.float32(1.0 / style.divide), out=region, casting="unsafe")
        return batch, box
    # The exporters fill uint8 with 114 and then convert (and divide): the same float32 values, bit for bit.
    canvas = np.full((target_height, target_width, 3), round(style.pad * style.divide), dtype=np.uint8)
    canvas[box.pad_y : box.pad_y + box.scaled_height, box.pad_x : box.pad_x + box.scaled_width] = image
    batch = np.empty((1, 3, target_height, target_width), dtype=np.float32)
    np.divide(canvas.transpose(2, 0, 1), np.float32(style.divide), out=batch[0], casting="unsafe")
    return batch, box
