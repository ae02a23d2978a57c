"""Annotated images and zip archives for replies. CPU work: routes run these on worker threads, never on the
event loop and never on the inference thread."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from typing import Any

from ..export.images import annotated_jpeg_bytes, full_size
from ..imaging.read import LoadedImage, load_bytes
from ..results import ImageResult

ZIP_IMAGE_SUFFIX = ".jpg"


def annotated_jpeg(data: bytes, name: str, result: ImageResult, seen: LoadedImage | None = None) -> bytes:
    """The upload with its boxes and labels drawn, as a JPEG of the upright image's full size."""
    return annotated_jpeg_bytes(full_size(seen, lambda: load_bytes(data, name)), result)


def unique_names(names: Sequence[str], suffix: str) -> list[str]:
    """Archive member names: each upload's stem + ``suffix``, never two alike (case-insensitively)."""
    taken: set[str] = set()
    out = []
    for name in names:
        stem = name.rsplit(".", 1)[0] or "upload"
        candidate, n = stem + suffix, 2
        while candidate.casefold() in taken:
            candidate, n = f"{stem}-{n}{suffix}", n + 1
        taken.add(candidate.casefold())
        out.append(candidate)
    return out


def zip_archive(items: Sequence[tuple[str, bytes | None]], document: dict[str, Any]) -> bytes:
    """``detections.json`` and one annotated JPEG per readable upload (``None`` images are left out)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:  # JPEGs do not compress
        archive.writestr(
            "detections.json", json.dumps(document, indent=2, ensure_ascii=False) + "\n", zipfile.ZIP_DEFLATED
        )
        for member, jpeg in items:
            if jpeg is not None:
                archive.writestr(member, jpeg)
    return buffer.getvalue()
