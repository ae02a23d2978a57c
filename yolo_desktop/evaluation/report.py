"""An evaluation's report: ``report.json`` (every model's numbers, see ``docs/evaluation.md``), ``report.csv`` (one
row per model and class) and the printed table. Fractions are 0..1 in the files (rounded to 1e-6) and percentages
in the table; null where a number does not exist (no labelled objects, nothing found, a class the model cannot
predict). Written to temp files and moved into place."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..atomic import write_text
from .inputs import Inputs
from .plots import available, save_plots
from .run import ModelRun
from .scoring import ModelScore, Scores
from .thresholds import Counts

REPORT_VERSION = 1
CSV_COLUMNS = (
    "model", "class", "objects", "predictable", "ap50", "ap50_95", "precision", "recall", "true_positives",
    "false_positives", "missed", "best_conf",
)  # fmt: skip


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def _counts(counts: Counts) -> dict[str, Any]:
    return {
        "true_positives": counts.true,
        "false_positives": counts.false,
        "missed": counts.missed,
        "precision": _round(counts.precision),
        "recall": _round(counts.recall),
        "f1": _round(counts.f1),
    }


def model_entry(run: ModelRun, scores: Scores | None, photos: Sequence[str], plots: dict[str, str]) -> dict[str, Any]:
    settings = run.choice.settings
    entry: dict[str, Any] = {
        "label": run.label,
        "model": run.choice.model.name,
        "engine": run.engine or None,
        "settings": {
            "size": run.input_size or settings.size,
            "precision": settings.precision,
            "tiles": settings.tiles,
            "tile_overlap": settings.tile_overlap,
            "resize": settings.resize,
            "conf": settings.conf,
            "iou": settings.iou,
        },
        "failure": run.failure or None,
        "photos_detected": run.done,
        "errors": [{"photo": photos[i], "reason": reason} for i, reason in run.errors],
    }
    if scores is None:
        return entry
    speed = scores.speed
    entry.update(
        {
            "map50": _round(scores.map50),
            "map50_95": _round(scores.map50_95),
            "at_conf": {"conf": scores.conf, **_counts(scores.counts)},
            "best_f1": None if scores.best is None else {"conf": scores.best.conf, **_counts(scores.best.counts)},
            "speed": None
            if speed is None
            else {
                "median_ms": round(speed.median_ms, 3),
                "p10_ms": round(speed.low_ms, 3),
                "p90_ms": round(speed.high_ms, 3),
                "photos": speed.photos,
                "engine": speed.engine,
            },
            "classes": [
                {
                    "name": c.name,
                    "objects": c.objects,
                    "predictable": c.predictable,
                    "ap50": _round(c.ap50),
                    "ap50_95": _round(c.ap50_95),
                    **_counts(c.counts),
                    "best_conf": c.best_conf,
                }
                for c in scores.classes
            ],
            "model_only_classes": dict(scores.model_only),
            "labels_only_classes": list(scores.labels_only),
            "renamed_classes": dict(scores.renamed),
            "confusion": {
                "classes": [*(c.name for c in scores.classes), "background"],
                "matrix": scores.confusion.tolist(),  # rows: the labelled class; columns: the class found
            },
            "plots": plots,
        }
    )
    return entry


def report_document(inputs: Inputs, reviewed_only: bool, models: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "version": REPORT_VERSION,
        "labels": {
            "where": inputs.where,
            "format": inputs.format,
            "classes": list(inputs.names),
            "photos": len(inputs.photos),
            "reviewed_only": reviewed_only,
            "crowd_regions": inputs.crowd,
            "left_out": {
                "photos_without_labels": list(inputs.unlabelled),
                "labels_without_photo": [str(p) for p in inputs.without_photo],
                "label_problems": [str(p) for p in inputs.unreadable],
                "not_reviewed": len(inputs.not_reviewed),
            },
        },
        "metric": {
            "ap": "COCO: 101-point interpolated, IoU 0.50:0.05:0.95, 100 detections per photo and class, every area",
            "counts_iou": 0.5,
        },
        "models": models,
    }


def csv_text(models: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for model in models:
        for c in model.get("classes", []):
            writer.writerow(
                [model["label"], c["name"], c["objects"], c["predictable"]]
                + ["" if c[key] is None else c[key] for key in CSV_COLUMNS[4:]]
            )
    return out.getvalue()


def write_report(out: Path, document: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "report.json", json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    write_text(out / "report.csv", csv_text(document["models"]))


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}"


def table(document: dict[str, Any]) -> list[str]:
    """The printed summary: one line per model (numbered), then per class AP@0.5 side by side (classes with labelled
    objects) and, for two models, the second's gain in points."""
    models = document["models"]
    width = max([len(m["label"]) for m in models] + [10])
    lines = [
        f"#  {'model':<{width}} {'photos':>6} {'errors':>6} {'mAP@.5':>7} {'mAP@.5:.95':>10} {'P':>5} {'R':>5} "
        f"{'best conf':>9} {'ms/photo (p10–p90)':>20}  engine"
    ]
    for n, m in enumerate(models, start=1):
        if "map50" not in m:
            lines.append(f"{n:<2} {m['label']:<{width}} failed: {m['failure'] or 'nothing detected'}")
            continue
        at, best, speed = m["at_conf"], m["best_f1"], m["speed"]
        ms = "—" if speed is None else f"{speed['median_ms']:.1f} ({speed['p10_ms']:.1f}–{speed['p90_ms']:.1f})"
        lines.append(
            f"{n:<2} {m['label']:<{width}} {m['photos_detected']:>6} {len(m['errors']):>6} {_percent(m['map50']):>7} "
            f"{_percent(m['map50_95']):>10} {_percent(at['precision']):>5} {_percent(at['recall']):>5} "
            f"{'—' if best is None else format(best['conf'], '.3f'):>9} {ms:>20}  {m['engine']}"
        )
    scored = [(n, m) for n, m in enumerate(models, start=1) if "map50" in m]
    if not scored:
        return lines
    two = len(scored) == 2
    lines += ["", f"{'AP@0.5 per class':<20} {'objects':>7} " + " ".join(f"{'#' + str(n):>8}" for n, _m in scored)
              + (f" {'gain':>6}" if two else "")]  # fmt: skip
    for k, c in enumerate(scored[0][1]["classes"]):
        if not c["objects"]:
            continue
        rows = [m["classes"][k] for _n, m in scored]
        cells = [f"{_percent(row['ap50']) if row['predictable'] else 'cannot':>8}" for row in rows]
        if two:
            gain = None if None in (rows[0]["ap50"], rows[1]["ap50"]) else rows[1]["ap50"] - rows[0]["ap50"]
            cells.append("" if gain is None else f"{gain * 100:+6.1f}")
        lines.append(f"{c['name'][:20]:<20} {c['objects']:>7} " + " ".join(cells))
    for n, m in scored:
        if m["model_only_classes"]:
            found = ", ".join(f"{name} ({count})" for name, count in m["model_only_classes"].items() if count)
            lines.append(f"#{n}: {len(m['model_only_classes'])} class(es) the labels lack"
                         + (f"; found at the threshold: {found}" if found else ""))  # fmt: skip
    return lines


def model_scores(inputs: Inputs, runs: Sequence[ModelRun]) -> list[ModelScore | None]:
    """Each run matched against the labels; None for a run that detected nothing (failed, or cancelled)."""
    truths = [photo.truth for photo in inputs.photos]
    return [ModelScore(run, inputs.names, truths) if run.done else None for run in runs]


def score_runs(inputs: Inputs, runs: Sequence[ModelRun]) -> list[Scores | None]:
    """Each run's scores at its own threshold (its settings' ``conf``)."""
    return [
        None if score is None else score.scores(run.choice.settings.conf)
        for run, score in zip(runs, model_scores(inputs, runs))
    ]


def build_report(
    inputs: Inputs, runs: Sequence[ModelRun], scores: Sequence[Scores | None], reviewed_only: bool, out: Path | None
) -> tuple[dict[str, Any], str | None]:
    """The report's document; with ``out``, its plots saved there too. Returns it and why plots are missing (None:
    drawn, or not asked for)."""
    missing = available() if out is not None else None
    photos = [photo.rel for photo in inputs.photos]
    models = []
    for i, (run, score) in enumerate(zip(runs, scores)):
        plots = save_plots(out, f"{i + 1}-{_slug(run.label)}", score) if score and out and not missing else {}
        models.append(model_entry(run, score, photos, plots))
    return report_document(inputs, reviewed_only, models), missing


def _slug(label: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-." else "-" for ch in label).strip("-") or "model"
