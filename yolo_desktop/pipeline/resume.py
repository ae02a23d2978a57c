"""Resumable batches: part files under ``OUT/.parts/``, shared by local ``detect --resume`` and the cluster.

A part file records the results of one finished chunk of images (full-precision boxes, so merged outputs are
byte-identical to a run that never stopped). It is written atomically, and only after that chunk's per-image files
(annotated images, YOLO .txt, VOC .xml) are on disk, so a part always means "these images are done". ``batch.json``
beside them records what produced them — the model's sha256s, the settings, the outputs asked for — and a run with
anything different refuses to resume instead of mixing two batches in one output.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import records
from ..atomic import write_text
from ..export.writer import BackgroundWriter
from ..results import ImageResult
from ..settings import DEFAULTS, DetectorSettings
from .inputs import InputFile, UsageError

PARTS_DIR = ".parts"
MANIFEST = "batch.json"
PART_SUFFIX = ".part.json"
FORMAT_VERSION = 1
DEFAULT_CHUNK = 256


class ResumeRefused(UsageError):
    """``--resume`` asked for, but the parts in OUT were made with another model, settings or outputs."""


@dataclass(frozen=True)
class BatchIdentity:
    """Everything that changes a batch's outputs. Two runs with equal identities may share part files."""

    model: Mapping[str, str]  # model_fingerprint
    settings: Mapping[str, Any]  # records.settings_record with the input size
    outputs: Mapping[str, Any]  # formats, annotated images, image format

    @classmethod
    def of(
        cls,
        fingerprint: Mapping[str, str],
        settings: DetectorSettings,
        input_size: int,
        formats: Sequence[str],
        images: bool,
        image_format: str,
    ) -> BatchIdentity:
        return cls(
            model=dict(fingerprint),
            settings=records.settings_record(settings, size=input_size),
            outputs={"formats": sorted(formats), "images": images, "image_format": image_format},
        )

    def with_videos(self, video: Mapping[str, Any]) -> BatchIdentity:
        """This identity for a batch with videos: their options (frames, tracking, zones…) are part of it."""
        return BatchIdentity(self.model, self.settings, {**self.outputs, "video": dict(video)})

    def record(self) -> dict[str, Any]:
        return {"version": FORMAT_VERSION, "model": dict(self.model), "settings": dict(self.settings), **self.outputs}

    @property
    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.record(), sort_keys=True).encode()).hexdigest()

    def differences(self, other: Mapping[str, Any]) -> list[str]:
        """What differs from a stored ``record()``, worded for the user (empty when they match)."""
        mine = self.record()
        found = []
        for key in ("weights_sha256", "cfg_sha256", "names_sha256"):
            theirs = other.get("model", {}).get(key)
            if theirs != mine["model"][key]:
                what = key.split("_")[0]
                found.append(f"model {what} sha256 {str(theirs)[:12]}… → {mine['model'][key][:12]}…")
        # A setting a batch.json does not hold was its default (written before the setting existed): tiles off.
        defaults = records.settings_record(DEFAULTS)
        theirs_settings = {**defaults, **other.get("settings", {})}
        for key, value in mine["settings"].items():
            if theirs_settings.get(key) != value:
                found.append(f"{key} {theirs_settings.get(key)!r} → {value!r}")
        for key in ("formats", "images", "image_format", "version", "video"):
            if other.get(key) != mine.get(key):
                found.append(f"{key} {other.get(key)!r} → {mine.get(key)!r}")
        return found


def image_key(item: InputFile) -> str:
    """An image's identity within a batch: its output name without suffix (unique by construction)."""
    return item.relative_output("")


def result_record(item: InputFile, result: ImageResult, write_failures: Sequence[tuple[str, str]] = ()) -> dict:
    """One image in a part file: its key, the exact result (``records.result_to_dict``) and its failed writes."""
    return {
        "key": image_key(item),
        **records.result_to_dict(result),
        "write_failures": [list(f) for f in write_failures],
    }


def chunks(items: Sequence[InputFile], size: int) -> list[Sequence[InputFile]]:
    size = max(1, size)
    return [items[start : start + size] for start in range(0, len(items), size)]


class PartStore:
    """The part files of one output folder."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.folder = self.out / PARTS_DIR

    @property
    def manifest_path(self) -> Path:
        return self.folder / MANIFEST

    def part_path(self, chunk_id: str) -> Path:
        return self.folder / f"{chunk_id}{PART_SUFFIX}"

    def start(self, identity: BatchIdentity, resume: bool) -> dict[str, dict]:
        """Begin (or, with ``resume``, continue) a batch; returns the finished images' records by key.
        Refuses (``ResumeRefused``) to resume parts made by another model, settings or outputs."""
        if resume and self.manifest_path.is_file():
            try:
                stored = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ResumeRefused(f"{self.manifest_path} cannot be read ({exc}); run without --resume") from None
            differences = identity.differences(stored)
            if differences:
                raise ResumeRefused(
                    f"cannot resume: {self.folder} holds a batch made with other settings "
                    f"({'; '.join(differences)}). Run with the original model and options, or without --resume "
                    f"to start over"
                )
            return self.finished()
        self.clear()
        write_text(self.manifest_path, json.dumps(identity.record(), indent=1, sort_keys=True) + "\n")
        return {}

    def clear(self) -> None:
        if self.folder.is_dir():
            shutil.rmtree(self.folder)

    def write(self, chunk_id: str, records: Sequence[Mapping[str, Any]], info: Mapping[str, Any]) -> Path:
        path = self.part_path(chunk_id)
        document = {"version": FORMAT_VERSION, "chunk": chunk_id, **info, "images": list(records)}
        write_text(path, json.dumps(document, ensure_ascii=False) + "\n")
        return path

    def read(self, chunk_id: str) -> dict[str, Any] | None:
        try:
            return json.loads(self.part_path(chunk_id).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def parts(self) -> Iterable[dict[str, Any]]:
        if not self.folder.is_dir():
            return
        for path in sorted(self.folder.glob(f"*{PART_SUFFIX}")):
            try:
                yield json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # unreadable: its images count as not done and are processed again

    def records(self) -> dict[str, dict]:
        """Every image recorded in a part, by key, with the engine and input size of its part."""
        found: dict[str, dict] = {}
        for part in self.parts():
            for record in part.get("images", ()):
                found[record["key"]] = {
                    **record,
                    **{key: part.get(key) for key in ("engine", "engine_description", "input_size")},
                }
        return found

    def finished(self) -> dict[str, dict]:
        """Records of every image done without a failed write (an image with a failed output file is not done:
        resuming writes it again)."""
        return {key: record for key, record in self.records().items() if not record.get("write_failures")}


def video_part_id(item: InputFile) -> str:
    """A video's part name, from its output name and path (the same video in the same batch: the same part)."""
    digest = hashlib.sha256(f"{image_key(item)}\0{item.path}".encode()).hexdigest()
    return f"video-{digest[:16]}"


def write_video_part(
    store: PartStore, item: InputFile, record: Mapping[str, Any], write_failures: Sequence[tuple[str, str]]
) -> Path:
    """A finished video: its ``detections.json`` record, written once its files are (so "part exists" means
    "done"; one with a failed write is done again on resume)."""
    document = {"version": FORMAT_VERSION, "video": dict(record), "write_failures": [list(f) for f in write_failures]}
    path = store.part_path(video_part_id(item))
    write_text(path, json.dumps(document, ensure_ascii=False) + "\n")
    return path


def done_videos(store: PartStore) -> dict[str, dict]:
    """The records of the videos an earlier run finished without a failed write, by path."""
    found = {}
    for part in store.parts():
        record = part.get("video")
        if isinstance(record, dict) and not part.get("write_failures"):
            found[record["path"]] = record
    return found


def is_done(item: InputFile, done: Mapping[str, Mapping[str, Any]], name: str | None = None) -> bool:
    """Whether ``item`` (reported as ``name``, default its path) is among the finished records."""
    record = done.get(image_key(item))
    return record is not None and record.get("path") == (name if name is not None else item.path)


def failures_of(item: InputFile, out: Path, failures: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The output files of ``item`` among a writer's failures (its files are ``OUT/<rel_dir>/<stem>.<ext>``)."""
    prefix = str(item.output_path(out, "")) + "."
    return [(path, reason) for path, reason in failures if path.startswith(prefix)]


def merged_results(
    items: Sequence[InputFile],
    done: Mapping[str, Mapping[str, Any]],
    fresh: Mapping[str, ImageResult],
    names: Sequence[str],
) -> list[tuple[InputFile, ImageResult | None]]:
    """Every item in input order with its result: from this run (``fresh``) or a part (``done``, its detections
    named by the model's ``names``); None if neither has it (not processed)."""
    merged: list[tuple[InputFile, ImageResult | None]] = []
    for item in items:
        key = image_key(item)
        if key in fresh:
            merged.append((item, fresh[key]))
        elif key in done:
            merged.append((item, records.result_from_dict(done[key], names)))
        else:
            merged.append((item, None))
    return merged


def chunk_id(prefix: str, items: Sequence[InputFile]) -> str:
    """A chunk's name, derived from its images: the same images give the same name (idempotent re-enqueueing)."""
    digest = hashlib.sha256("\n".join(image_key(item) + "\0" + item.path for item in items).encode()).hexdigest()
    return f"{prefix}-{digest[:16]}"


class ResumableRun:
    """Local ``detect --resume``: skips images finished by an earlier run, and records each chunk of new results
    in a part file once the chunk's per-image files are written (on the writer's thread, after them)."""

    def __init__(self, out: Path, identity: BatchIdentity, chunk: int = DEFAULT_CHUNK) -> None:
        self.out = Path(out)
        self.store = PartStore(self.out)
        self.done = self.store.start(identity, resume=True)
        self.chunk = max(1, chunk)
        self.fresh: dict[str, ImageResult] = {}
        self._pending: list[tuple[InputFile, ImageResult]] = []

    def todo(self, items: Sequence[InputFile]) -> list[InputFile]:
        return [item for item in items if not is_done(item, self.done)]

    def add(self, item: InputFile, result: ImageResult, writer: BackgroundWriter, info: Mapping[str, Any]) -> None:
        self.fresh[image_key(item)] = result
        self._pending.append((item, result))
        if len(self._pending) >= self.chunk:
            self.flush(writer, info)

    def flush(self, writer: BackgroundWriter, info: Mapping[str, Any]) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        name = chunk_id("local", [item for item, _ in batch])

        def write_part() -> None:
            failed = writer.writer.report.failed
            records = [result_record(item, result, failures_of(item, self.out, failed)) for item, result in batch]
            self.store.write(name, records, info)

        writer.call(write_part, str(self.store.part_path(name)))

    def results(
        self, items: Sequence[InputFile], writer: BackgroundWriter, info: Mapping[str, Any], names: Sequence[str]
    ) -> list[ImageResult]:
        """Every image's result in input order (this run's and the earlier ones'); earlier ones are counted in the
        batch-wide files. Call after the last ``add``: writes the last part."""
        self.flush(writer, info)
        merged = []
        for item, result in merged_results(items, self.done, self.fresh, names):
            if result is None:
                continue  # not reached (interrupted): not part of the outputs
            if image_key(item) not in self.fresh:
                writer.writer.record(item, result)
            merged.append(result)
        return merged
