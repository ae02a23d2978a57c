"""Annotated image files, encoded in memory and written atomically."""

from __future__ import annotations

import os
from collections.abc import Callable

import cv2
import numpy as np

from ..atomic import write_bytes
from ..imaging.annotate import draw_detections
from ..imaging.read import LoadedImage
from ..results import ImageResult

JPEG_QUALITY = 92


def encode_image(rgb: np.ndarray, fmt: str) -> bytes:
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY] if fmt == "jpg" else [cv2.IMWRITE_PNG_COMPRESSION, 3]
    ok, encoded = cv2.imencode("." + fmt, bgr, params)
    if not ok:
        raise OSError(f"OpenCV could not encode a {fmt} image")
    return encoded.tobytes()


def write_annotated(path: str | os.PathLike[str], rgb: np.ndarray, result: ImageResult) -> None:
    fmt = os.path.splitext(str(path))[1].lstrip(".").lower()
    write_bytes(path, encode_image(draw_detections(rgb, result.detections), "jpg" if fmt == "jpeg" else fmt))


def full_size(seen: LoadedImage | None, reload: Callable[[], LoadedImage]) -> np.ndarray:
    """The upright pixels at full size, to draw on: the decode detection saw when it was full size, else a fresh
    one (``reload``; large JPEGs are decoded reduced for detection)."""
    return seen.rgb if seen is not None and seen.scale == 1 else reload().rgb


def annotated_jpeg_bytes(rgb: np.ndarray, result: ImageResult) -> bytes:
    return encode_image(draw_detections(rgb, result.detections), "jpg")
