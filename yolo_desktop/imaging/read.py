"""Image file → RGB uint8 array, the pixels the detector sees and the viewer shows.

Bytes are read by Python and decoded by ``cv2.imdecode`` (so non-ASCII paths work on Windows too).
Pillow only reads the header first (``header.py``): format, size (checked against the pixel cap before anything is
decoded), alpha, and the EXIF orientation, which is applied here for every format alike. Failures raise ``ImageError``
with a message that says what is wrong; batch code turns it into a failed ``ImageResult``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from .. import MAX_PIXELS
from .header import ImageError, check_cap, probe

JPEG_FORMATS = frozenset({"JPEG", "MPO"})  # MPO: multi-picture JPEG from some cameras; first picture decodes

# EXIF orientation → operations that bring the stored pixels upright (cv2 flip codes / rotations).
_ORIENT_OPS: dict[int, tuple[str, ...]] = {
    2: ("flip_h",),
    3: ("rot180",),
    4: ("flip_v",),
    5: ("transpose",),
    6: ("rot90cw",),
    7: ("transpose", "rot180"),
    8: ("rot90ccw",),
}


@dataclass(frozen=True)
class LoadedImage:
    path: str
    rgb: np.ndarray  # (H, W, 3) uint8, C-contiguous, upright; reduced by ``scale`` when decoded reduced
    width: int  # full-resolution upright size, pixels (what boxes are reported in)
    height: int
    format: str  # "JPEG", "PNG", ...
    scale: int = 1  # 1, 2, 4 or 8: the JPEG was decoded at 1/scale size


def read_bytes(path: str) -> bytes:
    if os.path.isdir(path):
        raise ImageError(path, "is a folder, not an image file")
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise ImageError(path, "file not found") from None
    except PermissionError:
        raise ImageError(path, "cannot read the file: permission denied") from None
    except OSError as exc:
        raise ImageError(path, f"cannot read the file: {exc.strerror or exc}") from None
    if not data:
        raise ImageError(path, "empty file (0 bytes)")
    return data


# The smallest side (pixels) a caller needs, or how to tell it from the upright full size (width, height).
ReduceTo = int | Callable[[int, int], int] | None


def load(path: str | os.PathLike[str], max_pixels: int = MAX_PIXELS, reduce_to: ReduceTo = None) -> LoadedImage:
    """Read and decode ``path`` upright as RGB.

    ``reduce_to``: the smallest side (pixels) the caller needs, or a function of the upright full size giving it
    (tiled detection needs more pixels of a larger photo). A JPEG at least twice that size is decoded at 1/2, 1/4
    or 1/8 scale by libjpeg itself, which is several times faster and lighter than decoding it whole.
    """
    path = os.fspath(path)
    return decode(read_bytes(path), path, max_pixels, reduce_to)


def load_bytes(data: bytes, name: str, max_pixels: int = MAX_PIXELS, reduce_to: ReduceTo = None) -> LoadedImage:
    """Decode an image held in memory (an HTTP upload); ``name`` is what messages and results call it."""
    if not data:
        raise ImageError(name, "empty file (0 bytes)")
    return decode(data, name, max_pixels, reduce_to)


def decode(data: bytes, name: str, max_pixels: int = MAX_PIXELS, reduce_to: ReduceTo = None) -> LoadedImage:
    """Encoded bytes → upright RGB; the pixel cap is checked from the header before decoding. Pillow (header)
    and OpenCV (pixels) read the same bytes object, without copying it."""
    header = probe(name, data, max_pixels)
    scale = 1
    if header is not None and header.format in JPEG_FORMATS and reduce_to:
        if callable(reduce_to):
            needed = reduce_to(*header.upright_size)
        else:
            needed = reduce_to
        scale = _jpeg_reduction(min(header.width, header.height), needed)
    flags = {
        1: cv2.IMREAD_COLOR,
        2: cv2.IMREAD_REDUCED_COLOR_2,
        4: cv2.IMREAD_REDUCED_COLOR_4,
        8: cv2.IMREAD_REDUCED_COLOR_8,
    }[scale]
    if header is not None and header.has_alpha:
        flags = cv2.IMREAD_UNCHANGED
    # Orientation comes from the header for every format, so OpenCV must not apply it a second time.
    decoded = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flags | cv2.IMREAD_IGNORE_ORIENTATION)
    if decoded is None or decoded.size == 0:
        if header is None:
            raise ImageError(name, "not a supported image (unrecognized content: damaged, or not an image)")
        raise ImageError(name, f"{header.format} data is damaged or truncated and could not be decoded")
    rgb = _to_rgb8(decoded)
    orientation = header.orientation if header is not None else 1
    rgb = np.ascontiguousarray(apply_orientation(rgb, orientation))
    if header is not None:
        width, height = header.upright_size
    else:
        height, width = rgb.shape[:2]
        check_cap(name, width, height, max_pixels)  # formats Pillow does not know: checked after decoding
    return LoadedImage(
        path=name,
        rgb=rgb,
        width=width,
        height=height,
        format=header.format if header is not None else "unknown",
        scale=scale,
    )


def from_frame(rgb: np.ndarray, name: str) -> LoadedImage:
    """A decoded video frame (H, W, 3) uint8 RGB as a loaded image."""
    height, width = rgb.shape[:2]
    return LoadedImage(path=name, rgb=rgb, width=width, height=height, format="frame")


def _jpeg_reduction(short_side: int, needed: int) -> int:
    scale = 1
    while scale < 8 and short_side // (scale * 2) >= needed:
        scale *= 2
    return scale


def _to_rgb8(decoded: np.ndarray) -> np.ndarray:
    """Any OpenCV decode (gray, BGR, BGRA; 8/16-bit or float) → RGB uint8; alpha composited on white."""
    image = decoded
    if image.dtype == np.uint16:
        image = (image.astype(np.uint32) * 255 + 32767) // 65535
    elif image.dtype in (np.float32, np.float64):
        image = np.clip(image, 0.0, 1.0) * 255.0 + 0.5
    image = image.astype(np.uint8, copy=False)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    channels = image.shape[2]
    if channels == 1:
        return cv2.cvtColor(image[:, :, 0], cv2.COLOR_GRAY2RGB)
    if channels == 2:  # gray + alpha
        gray, alpha = image[:, :, 0], image[:, :, 1]
        image, channels = np.dstack([gray, gray, gray, alpha]), 4
    if channels == 4:
        # Transparent areas usually hide arbitrary colour (often black); show them as white, like a viewer would.
        alpha = image[:, :, 3:4].astype(np.float32) * (1.0 / 255.0)
        blended = image[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
        image = (blended + 0.5).astype(np.uint8)
    return cv2.cvtColor(image[:, :, :3], cv2.COLOR_BGR2RGB)


def apply_orientation(image: np.ndarray, orientation: int) -> np.ndarray:
    for op in _ORIENT_OPS.get(orientation, ()):
        if op == "flip_h":
            image = cv2.flip(image, 1)
        elif op == "flip_v":
            image = cv2.flip(image, 0)
        elif op == "rot180":
            image = cv2.rotate(image, cv2.ROTATE_180)
        elif op == "rot90cw":
            image = cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
        elif op == "rot90ccw":
            image = cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
        elif op == "transpose":
            image = cv2.transpose(image)
    return image
