"""Reading a request's multipart form: streamed, bounded, in memory.

The body is refused with 413 as soon as its declared length (or, for a chunked upload, the bytes received so
far) passes the limit: it is never kept. The rest of it is read and thrown away (``drain``, up to a bound) before
the reply, so every client reads the 413 and its message: a server that answers and closes while the client is
still sending resets the connection, and some clients (Python's ``urllib``) report only that. Parts are kept in
memory (bounded by that limit, and by admission's memory budget, reserved before the body is read) and nothing is
written to disk, so a client that disconnects mid-upload leaves nothing behind. A client's file name is cleaned to
a plain label for messages and replies: it is never used as a path.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from .backend import Upload

MAX_PARTS = 128
DRAIN_MIN_BYTES = 64 * 1024 * 1024  # an over-limit body is read and discarded up to max(this, 2 × the limit)…
MAX_FIELD_BYTES = 64 * 1024
MAX_NAME_CHARS = 200
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


class UploadError(Exception):
    def __init__(self, message: str, status: int = 400, limit: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.limit = limit  # a 413's upload limit, in bytes


@dataclass
class Form:
    files: dict[str, list[Upload]] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)

    def uploads(self, name: str) -> list[Upload]:
        return self.files.get(name, [])


def clean_name(raw: str) -> str:
    """The last component of a client's file name, without control characters; "upload" when nothing is left."""
    name = _UNSAFE.sub("", raw.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if name in ("", ".", ".."):
        return "upload"
    return name[:MAX_NAME_CHARS]


def too_large(limit: int) -> UploadError:
    return UploadError(f"the upload is larger than the server's limit of {limit / 1024 / 1024:g} MB", 413, limit)


def declared_length(header: str | None) -> int | None:
    text = header.strip() if header is not None else ""
    return int(text) if text.isascii() and text.isdigit() else None


def check_length(header: str | None, limit: int) -> None:
    """413 from the declared Content-Length alone, before any of the body is read."""
    length = declared_length(header)
    if length is not None and length > limit:
        raise too_large(limit)


async def drain(body: AsyncIterator[bytes], limit: int) -> bool:
    """Read and discard the rest of a refused body; True if it ended within ``max(DRAIN_MIN_BYTES, 2 × limit)``
    bytes (…beyond that the connection is closed without reading more: a client sending that much is not waited
    for)."""
    bound = max(DRAIN_MIN_BYTES, 2 * limit)
    received = 0
    async for chunk in body:
        received += len(chunk)
        if received > bound:
            return False
    return True


async def read_form(content_type: str | None, body: AsyncIterator[bytes], limit: int) -> Form:
    """Parse a multipart (or URL-encoded, or empty) body received as ``body`` chunks."""
    kind, params = parse_options_header(content_type or "")
    if kind == b"application/x-www-form-urlencoded":
        data = await _read_all(body, limit)
        return Form(fields=dict(urllib.parse.parse_qsl(data.decode("utf-8", "replace"))))
    if kind != b"multipart/form-data":
        data = await _read_all(body, limit)
        if data.strip():
            raise UploadError("send the image as multipart/form-data (e.g. curl -F 'file=@photo.jpg')", 415)
        return Form()
    boundary = params.get(b"boundary")
    if not boundary:
        raise UploadError("multipart/form-data without a boundary")
    collector = _PartCollector()
    parser = MultipartParser(boundary, collector.callbacks())
    received = 0
    try:
        async for chunk in body:
            received += len(chunk)
            if received > limit:
                raise too_large(limit)
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        raise UploadError(f"the multipart body is malformed: {exc}") from None
    if not collector.finished:
        raise UploadError("the multipart body ended before its closing boundary")
    return collector.form


async def _read_all(body: AsyncIterator[bytes], limit: int) -> bytes:
    chunks: list[bytes] = []
    received = 0
    async for chunk in body:
        received += len(chunk)
        if received > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


class _PartCollector:
    def __init__(self) -> None:
        self.form = Form()
        self.finished = False
        self._parts = 0
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._data: list[bytes] = []
        self._size = 0

    def callbacks(self) -> Any:  # python_multipart's MultipartCallbacks (a TypedDict it defines for type checkers)
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._header_field.extend(data[start:end]),
            "on_header_value": lambda data, start, end: self._header_value.extend(data[start:end]),
            "on_header_end": self._header_end,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _part_begin(self) -> None:
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise UploadError(f"too many parts in the form (at most {MAX_PARTS})")
        self._headers, self._data, self._size = {}, [], 0

    def _header_end(self) -> None:
        self._headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def _is_file(self) -> bool:
        _kind, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        return b"filename" in params

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        self._size += end - start
        if self._size > MAX_FIELD_BYTES and not self._is_file():
            raise UploadError(f"a form field is longer than {MAX_FIELD_BYTES // 1024} KB")
        self._data.append(data[start:end])

    def _part_end(self) -> None:
        _kind, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = _text(params.get(b"name", b""))
        payload = b"".join(self._data)
        self._data = []
        if b"filename" in params:
            upload = Upload(clean_name(_text(params[b"filename"])), payload)
            self.form.files.setdefault(name, []).append(upload)
        else:
            self.form.fields[name] = payload.decode("utf-8", "replace")

    def _end(self) -> None:
        self.finished = True


def _text(raw: bytes) -> str:
    # Browsers send file names as raw UTF-8 inside the quoted header value.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
