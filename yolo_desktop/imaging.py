"""Image file → RGB uint8 array, the pixels the detector sees and the viewer shows.

Bytes are read with ``np.fromfile`` and decoded by ``cv2.imdecode`` (so non-ASCII paths work on Windows too).
Pillow only reads the header first: format, size (checked against the pixel cap before anything is decoded),
alpha, and the EXIF orientation, which is applied here for every format alike. Failures raise ``ImageError``
with a message that says what is wrong; batch code turns it into a failed ``ImageResult``.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from . import MAX_PIXELS

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".bmp", ".dib", ".tif", ".tiff", ".webp", ".gif"}
)
JPEG_FORMATS = frozenset({"JPEG", "MPO"})  # MPO: multi-picture JPEG from some cameras; first picture decodes

# The pixel cap is enforced below from the header; Pillow's own bomb check would only duplicate it.
Image.MAX_IMAGE_PIXELS = None

_ORIENTATION_TAG = 0x0112
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


class ImageError(Exception):
    """An input that cannot be used; ``reason`` is shown to the user next to the file name."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class LoadedImage:
    path: str
    rgb: np.ndarray  # (H, W, 3) uint8, C-contiguous, upright; reduced by ``scale`` when decoded reduced
    width: int  # full-resolution upright size, pixels (what boxes are reported in)
    height: int
    format: str  # "JPEG", "PNG", ...
    scale: int = 1  # 1, 2, 4 or 8: the JPEG was decoded at 1/scale size


@dataclass(frozen=True)
class _Header:
    format: str
    width: int  # stored (before orientation)
    height: int
    has_alpha: bool
    orientation: int


def read_bytes(path: str) -> np.ndarray:
    if os.path.isdir(path):
        raise ImageError(path, "is a folder, not an image file")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except FileNotFoundError:
        raise ImageError(path, "file not found") from None
    except PermissionError:
        raise ImageError(path, "cannot read the file: permission denied") from None
    except OSError as exc:
        raise ImageError(path, f"cannot read the file: {exc.strerror or exc}") from None
    if data.size == 0:
        raise ImageError(path, "empty file (0 bytes)")
    return data


def _probe(path: str, data: np.ndarray) -> _Header | None:
    """Header facts from Pillow without decoding pixels; None when Pillow does not know the format."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
            try:
                orientation = int(image.getexif().get(_ORIENTATION_TAG, 1))
            except Exception:  # a damaged EXIF block should not stop an otherwise fine image
                orientation = 1
            return _Header(image.format or "unknown", width, height, has_alpha, orientation)
    except UnidentifiedImageError:
        return None
    except Exception as exc:  # Pillow raises many types for damaged headers
        raise ImageError(path, f"damaged image header ({exc})") from None


def load(path: str | os.PathLike[str], max_pixels: int = MAX_PIXELS, reduce_to: int | None = None) -> LoadedImage:
    """Read and decode ``path`` upright as RGB.

    ``reduce_to``: the smallest side (pixels) the caller needs. A JPEG at least twice that size is decoded at
    1/2, 1/4 or 1/8 scale by libjpeg itself, which is several times faster and lighter than decoding it whole.
    """
    path = os.fspath(path)
    data = read_bytes(path)
    header = _probe(path, data)
    if header is not None:
        pixels = header.width * header.height
        if pixels > max_pixels:
            raise ImageError(
                path,
                f"{header.width}×{header.height} = {pixels / 1e6:.0f} MP is above the {max_pixels / 1e6:.0f} MP limit",
            )
        if header.width == 0 or header.height == 0:
            raise ImageError(path, "the image has no pixels (0 width or height)")
    scale = 1
    if header is not None and header.format in JPEG_FORMATS and reduce_to:
        scale = _jpeg_reduction(min(header.width, header.height), reduce_to)
    flags = {
        1: cv2.IMREAD_COLOR,
        2: cv2.IMREAD_REDUCED_COLOR_2,
        4: cv2.IMREAD_REDUCED_COLOR_4,
        8: cv2.IMREAD_REDUCED_COLOR_8,
    }[scale]
    if header is not None and header.has_alpha:
        flags = cv2.IMREAD_UNCHANGED
    # Orientation comes from the header for every format, so OpenCV must not apply it a second time.
    decoded = cv2.imdecode(data, flags | cv2.IMREAD_IGNORE_ORIENTATION)
    if decoded is None or decoded.size == 0:
        if header is None:
            raise ImageError(path, "not a supported image (unrecognized content: damaged, or not an image)")
        raise ImageError(path, f"{header.format} data is damaged or truncated and could not be decoded")
    rgb = _to_rgb8(decoded)
    orientation = header.orientation if header is not None else 1
    rgb = np.ascontiguousarray(apply_orientation(rgb, orientation))
    if header is not None:
        width, height = (header.height, header.width) if orientation in (5, 6, 7, 8) else (header.width, header.height)
    else:
        height, width = rgb.shape[:2]
        if width * height > max_pixels:  # formats Pillow does not know: check after decoding
            raise ImageError(path, f"{width}×{height} is above the {max_pixels / 1e6:.0f} MP limit")
    return LoadedImage(
        path=path,
        rgb=rgb,
        width=width,
        height=height,
        format=header.format if header is not None else "unknown",
        scale=scale,
    )


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


def is_image_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS
