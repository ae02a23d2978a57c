"""Image loading: every format and pixel layout the app claims, and a named error for everything broken."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from tests.conftest import read_rgb
from tests.support import processes
from yolo_desktop.imaging.read import ImageError, apply_orientation, load


@pytest.fixture(scope="module")
def photo(data_dir) -> np.ndarray:
    return read_rgb(data_dir / "motorcycle_left.png")  # 741 × 500, not square: rotations show


def save(path: Path, image: Image.Image, **kwargs) -> Path:
    image.save(path, **kwargs)
    return path


def close(a: np.ndarray, b: np.ndarray, tolerance: float) -> bool:
    return a.shape == b.shape and np.abs(a.astype(int) - b.astype(int)).mean() <= tolerance


@pytest.mark.parametrize(
    "fmt, suffix, tolerance",
    [("PNG", ".png", 0), ("JPEG", ".jpg", 3), ("BMP", ".bmp", 0), ("TIFF", ".tif", 0), ("WEBP", ".webp", 4)],
)
def test_formats(tmp_path, photo, fmt, suffix, tolerance):
    options = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    path = save(tmp_path / f"photo{suffix}", Image.fromarray(photo), format=fmt, **options)
    loaded = load(path)
    assert (loaded.width, loaded.height) == (741, 500) and loaded.rgb.dtype == np.uint8
    assert close(loaded.rgb, photo, tolerance)


def test_gif_first_frame(tmp_path, photo):
    frames = [Image.fromarray(photo).convert("P"), Image.fromarray(255 - photo).convert("P")]
    path = tmp_path / "animated.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    assert close(load(path).rgb, np.asarray(frames[0].convert("RGB")), 0)


def test_gray_palette_16bit_rgba_cmyk(tmp_path, photo):
    gray = Image.fromarray(photo).convert("L")
    assert close(load(save(tmp_path / "gray.png", gray)).rgb, np.asarray(gray.convert("RGB")), 0)
    palette = Image.fromarray(photo).convert("P")
    assert close(load(save(tmp_path / "palette.png", palette)).rgb, np.asarray(palette.convert("RGB")), 0)
    # 16-bit: 257·v scales 8-bit v to the full 16-bit range; it must come back as v.
    deep = tmp_path / "deep.png"
    cv2.imwrite(str(deep), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR).astype(np.uint16) * 257)
    assert close(load(deep).rgb, photo, 0)
    # RGBA: half-transparent pixels blend with white, opaque ones are unchanged.
    alpha = np.full(photo.shape[:2], 255, np.uint8)
    alpha[:, :100] = 0
    rgba = save(tmp_path / "alpha.png", Image.fromarray(np.dstack([photo, alpha])))
    loaded = load(rgba).rgb
    assert np.all(loaded[:, :100] == 255) and np.array_equal(loaded[:, 100:], photo[:, 100:])
    cmyk = Image.fromarray(photo).convert("CMYK")
    path = save(tmp_path / "cmyk.jpg", cmyk, quality=95)
    assert close(load(path).rgb, np.asarray(Image.open(path).convert("RGB")), 3)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillow(tmp_path, photo, orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = save(tmp_path / f"o{orientation}.jpg", Image.fromarray(photo), quality=95, exif=exif.tobytes())
    expected = np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))
    loaded = load(path)
    assert (loaded.height, loaded.width) == expected.shape[:2]
    assert close(loaded.rgb, expected, 0.5)
    assert np.array_equal(apply_orientation(np.asarray(Image.open(path).convert("RGB")), orientation), loaded.rgb)


def test_non_ascii_path(tmp_path, photo):
    folder = tmp_path / "фото 写真"
    folder.mkdir()
    path = save(folder / "café ☕.jpg", Image.fromarray(photo))
    assert load(path).width == 741


def test_reduced_jpeg_decode(tmp_path, photo):
    big = cv2.resize(photo, (741 * 4, 500 * 4), interpolation=cv2.INTER_CUBIC)
    path = save(tmp_path / "big.jpg", Image.fromarray(big), quality=92)
    loaded = load(path, reduce_to=416)
    assert loaded.scale == 4 and (loaded.width, loaded.height) == (2964, 2000)
    assert loaded.rgb.shape == (500, 741, 3)
    assert load(path).scale == 1


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IEND", b"")
    )


def _jpeg_bytes(photo: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _png_bytes(photo: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, format="PNG")
    return buffer.getvalue()


BAD_FILES = [
    ("empty.jpg", lambda p: b"", "empty file"),
    ("notes.jpg", lambda p: b"shopping list: milk, eggs\n" * 20, "not a supported image"),
    ("cut.jpg", lambda p: _jpeg_bytes(p)[: len(_jpeg_bytes(p)) // 2], "JPEG data is damaged or truncated"),
    ("cut.png", lambda p: _png_bytes(p)[: len(_png_bytes(p)) // 2], "PNG data is damaged or truncated"),
    ("huge.png", lambda p: _png_header_only(50_000, 50_000), "2500 MP is above the 100 MP limit"),
    ("zero.png", lambda p: _png_header_only(0, 10), "not a supported image"),
]


@pytest.mark.parametrize("name, make, words", BAD_FILES)
def test_bad_files_give_named_errors(tmp_path, photo, name, make, words):
    path = tmp_path / name
    path.write_bytes(make(photo))
    with pytest.raises(ImageError) as error:
        load(path)
    assert words in error.value.reason
    assert str(path) in str(error.value)


def test_missing_and_folder(tmp_path):
    with pytest.raises(ImageError, match="file not found"):
        load(tmp_path / "nope.jpg")
    (tmp_path / "x.jpg").mkdir()
    with pytest.raises(ImageError, match="is a folder"):
        load(tmp_path / "x.jpg")


def _png_bomb(width: int, height: int) -> bytes:
    """A real decompression bomb: valid all-zero pixel data (a few hundred KB that inflate to width×height×3
    bytes), with an EXIF chunk *after* the pixels — where Pillow's getexif() has to decode the image to reach it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    squash = zlib.compressobj(9)
    row = b"\x00" * (1 + 3 * width)
    idat = b"".join(squash.compress(row) for _ in range(height)) + squash.flush()
    exif = Image.Exif()
    exif[0x0112] = 6
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", idat)
        + chunk(b"eXIf", exif.tobytes()[6:])
        + chunk(b"IEND", b"")
    )


BOMB_CHILD = """
import json, resource, sys, time
from yolo_desktop.imaging.read import ImageError, load
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
report = []
for path in sys.argv[1:]:
    start = time.perf_counter()
    try:
        load(path)
        reason = None
    except ImageError as exc:
        reason = exc.reason
    report.append({"seconds": time.perf_counter() - start, "reason": reason})
grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps({"files": report, "grown_mb": grown_mb}))
"""


def test_decompression_bombs_are_refused_before_any_pixel_is_decoded(tmp_path):
    """Header-only PNGs claiming 30000² and 40000² pixels, and a real 12000² bomb with its EXIF after the pixels:
    each refused from the header, in well under 50 ms, and the process's peak memory grows < 50 MB (a fresh
    process, so the peak is this work's own). Pillow's getexif() used to decode them first: ~2 s and gigabytes."""
    import json
    import sys

    files = {
        "claims 30000.png": _png_header_only(30_000, 30_000),
        "claims 40000.png": _png_header_only(40_000, 40_000),
        "bomb 12000.png": _png_bomb(12_000, 12_000),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    assert (tmp_path / "bomb 12000.png").stat().st_size < 2_000_000
    done = processes.run(
        [sys.executable, "-c", BOMB_CHILD, *(str(tmp_path / n) for n in files)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    reasons = [f["reason"] for f in report["files"]]
    assert reasons == [
        "30000×30000 = 900 MP is above the 100 MP limit",
        "40000×40000 = 1600 MP is above the 100 MP limit",
        "12000×12000 = 144 MP is above the 100 MP limit",
    ]
    assert max(f["seconds"] for f in report["files"]) < 0.05, report
    assert report["grown_mb"] < 50, report


def test_png_exif_after_the_pixels_is_still_honoured(tmp_path, photo):
    """Orientation from an eXIf chunk that follows the pixel data, read without decoding first."""
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, format="PNG")
    data = buffer.getvalue()
    exif = Image.Exif()
    exif[0x0112] = 6
    raw = exif.tobytes()[6:]  # without the "Exif\0\0" prefix, as PNG stores it
    chunk = struct.pack(">I", len(raw)) + b"eXIf" + raw + struct.pack(">I", zlib.crc32(b"eXIf" + raw) & 0xFFFFFFFF)
    end = data.rindex(b"IEND") - 4
    (tmp_path / "late exif.png").write_bytes(data[:end] + chunk + data[end:])
    loaded = load(tmp_path / "late exif.png")
    assert (loaded.width, loaded.height) == (photo.shape[0], photo.shape[1])  # rotated by 90°
    assert np.array_equal(loaded.rgb, apply_orientation(photo, 6))
