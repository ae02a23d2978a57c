"""Merge a cluster batch's part files into exactly the outputs a local ``detect`` writes.

Workers already wrote the per-image files (annotated images, YOLO .txt, VOC .xml) into OUT; the batch-wide files
(detections.json, detections.csv, coco.json, data.yaml) are written here, by the same ``BatchWriter``, from the
parts' full-precision results in input order, with the same header (``records.header``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..export.writer import BatchWriter, ExportReport
from ..inference.model_spec import ModelFiles, ModelInfo
from ..pipeline.inputs import InputFile, InputProblem
from ..pipeline.resume import image_key
from ..records import header, result_from_dict
from ..results import ImageResult
from ..settings import DetectorSettings


def merge_parts(
    out: Path,
    items: Sequence[InputFile],
    problems: Sequence[InputProblem],
    records: Mapping[str, Mapping[str, Any]],
    unfinished: Mapping[str, str],
    model: ModelFiles,
    names: Sequence[str],
    settings: DetectorSettings,
    outputs: Mapping[str, Any],
    seconds: float,
    videos: Sequence[Mapping[str, Any]] = (),
) -> tuple[list[ImageResult], ExportReport]:
    """``records``: part records by image key; ``unfinished``: image key → why it has no result (a chunk that
    failed on every try); ``videos``: the videos' records (their files are the workers'). Returns the results in
    input order and the writer's report (write failures included)."""
    writer = BatchWriter(
        out, outputs["formats"], images=outputs["images"], image_format=outputs["image_format"], names=names
    )
    results = [ImageResult(path=p.path, error=p.reason) for p in problems]
    engine, description, input_size = None, None, settings.size
    for item in items:
        key = image_key(item)
        record = records.get(key)
        if record is None or record.get("path") != item.path:
            reason = unfinished.get(key, "not processed (its chunk did not finish)")
            results.append(ImageResult(path=item.path, error=reason))
            continue
        result = result_from_dict(record, names)
        engine, input_size = record.get("engine") or engine, record.get("input_size") or input_size
        description = record.get("engine_description") or description
        writer.record(item, result)
        writer.report.failed.extend((path, reason) for path, reason in record.get("write_failures", ()))
        results.append(result)
    info = ModelInfo(
        name=model.name,
        input_size=input_size or 0,
        names=tuple(names),
        precision=settings.precision,
        resize=settings.resize,
        engine=engine or "unknown",
        engine_description=description or "",
        files=model,
    )
    report = writer.finish(results, *header(info, settings), seconds, videos=videos)
    return results, report
