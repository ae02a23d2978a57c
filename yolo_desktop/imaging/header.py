"""What an image file's header says — format, size, alpha, EXIF orientation — read by Pillow without decoding a
pixel. ``read.py`` checks the pixel cap from it before decoding; labels (``labels/``) take a photo's upright size
from it, so a folder of 10,000 photos is measured without decoding any. Pillow only: no OpenCV here.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import IO

from PIL import Image, UnidentifiedImageError

from .. import MAX_PIXELS

# The pixel cap is enforced from the header (``check_cap``) as soon as Pillow has read the size and before
# anything else is read or decoded; Pillow's own, fuzzier guard (a warning, then an error at twice its limit)
# would only duplicate it with a different message. OpenCV's limit (package __init__) is the second guard.
Image.MAX_IMAGE_PIXELS = None

_ORIENTATION_TAG = 0x0112


class ImageError(Exception):
    """An input that cannot be used; ``reason`` is shown to the user next to the file name."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class Header:
    format: str
    width: int  # stored (before orientation)
    height: int
    has_alpha: bool
    orientation: int  # EXIF 1..8

    @property
    def turned(self) -> bool:
        """Orientations 5–8 swap width and height."""
        return self.orientation in (5, 6, 7, 8)

    @property
    def upright_size(self) -> tuple[int, int]:
        """(width, height) of the photo as shown: what boxes are measured in."""
        return (self.height, self.width) if self.turned else (self.width, self.height)


def probe(name: str, data: bytes, max_pixels: int = MAX_PIXELS) -> Header | None:
    """Header facts of encoded bytes; None when Pillow does not know the format."""
    return _probe(name, io.BytesIO(data), max_pixels)


def probe_file(path: str | os.PathLike[str], max_pixels: int = MAX_PIXELS) -> Header:
    """Header facts of a file, reading only as far as its header (a few KB for a JPEG or PNG)."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as stream:
            header = _probe(name, stream, max_pixels)
    except FileNotFoundError:
        raise ImageError(name, "file not found") from None
    except IsADirectoryError:
        raise ImageError(name, "is a folder, not an image file") from None
    except OSError as exc:
        raise ImageError(name, f"cannot read the file: {exc.strerror or exc}") from None
    if header is None:
        raise ImageError(name, "not a supported image (unrecognized content: damaged, or not an image)")
    return header


def _probe(name: str, stream: IO[bytes], max_pixels: int) -> Header | None:
    """The pixel cap is checked as soon as the size is known, before anything else is read: Pillow's ``getexif()``
    loads a whole PNG when its EXIF chunk follows the pixel data, which for a decompression bomb meant gigabytes."""
    try:
        with Image.open(stream) as image:
            width, height = image.size
            check_cap(name, width, height, max_pixels)
            has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
            fmt = image.format or "unknown"
            return Header(fmt, width, height, has_alpha, _orientation(image, stream))
    except UnidentifiedImageError:
        return None
    except ImageError:
        raise
    except Exception as exc:  # Pillow raises many types for damaged headers
        raise ImageError(name, f"damaged image header ({exc})") from None


def check_cap(name: str, width: int, height: int, max_pixels: int) -> None:
    pixels = width * height
    if pixels > max_pixels:
        raise ImageError(name, f"{width}×{height} = {pixels / 1e6:.0f} MP is above the {max_pixels / 1e6:.0f} MP limit")
    if width == 0 or height == 0:
        raise ImageError(name, "the image has no pixels (0 width or height)")


def _orientation(image: Image.Image, stream: IO[bytes]) -> int:
    """EXIF orientation (1..8) without decoding pixels; 1 when absent or unreadable."""
    try:
        if image.format == "PNG" and "exif" not in image.info:
            # Pillow would decode the whole image to reach an eXIf chunk after the pixel data: walk the chunks.
            raw = _png_exif_chunk(stream)
            if raw is None:
                return 1
            exif = Image.Exif()
            exif.load(raw)
        else:
            exif = image.getexif()
        value = int(exif.get(_ORIENTATION_TAG, 1))
        return value if value in range(1, 9) else 1
    except Exception:  # a damaged EXIF block should not stop an otherwise fine image
        return 1


def _png_exif_chunk(stream: IO[bytes]) -> bytes | None:
    """The payload of a PNG's eXIf chunk, found by seeking from chunk header to chunk header (no inflating)."""
    offset = 8  # PNG signature
    while True:
        stream.seek(offset)
        head = stream.read(8)
        if len(head) < 8:
            return None
        length, kind = int.from_bytes(head[:4], "big"), head[4:]
        if kind == b"eXIf":
            return stream.read(length)
        if kind == b"IEND":
            return None
        offset += 12 + length  # length, type, data, CRC
