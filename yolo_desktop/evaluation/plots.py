"""The report's plots as PNG: precision–recall curves per class, the confusion matrix (with "background"), and the
scores of right and wrong detections. Drawn by matplotlib on its Agg canvas (no pyplot: no global state, no GUI
backend, safe off the main thread), imported only when a plot is drawn: the window starts without it, and the
standalone app leaves it out (``available`` says so; the report's numbers do not need it)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import write_bytes
from .scoring import Scores

PLOTS = {"pr_curves": "Precision–recall", "confusion": "Confusion matrix", "scores": "Scores: right vs wrong"}
MOST_CLASSES = 12  # curves and matrix rows beyond this many classes are unreadable: the most labelled ones shown
NOT_BUNDLED = (
    "plots need matplotlib, which the standalone app leaves out (a pip install of YOLO Desktop draws them); every "
    "number is in the report"
)


def available() -> str | None:
    """None when plots can be drawn, else why not (for the window and the command line to show)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return NOT_BUNDLED
    return None


def render(scores: Scores, kind: str, dpi: int = 100) -> bytes:
    """One plot of one model's scores, PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.8), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    {"pr_curves": _pr_curves, "confusion": _confusion, "scores": _scores}[kind](axes, scores)
    axes.set_title(f"{PLOTS[kind]} — {scores.label}", fontsize=10)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def save_plots(out: Path, stem: str, scores: Scores) -> dict[str, str]:
    """Every plot of one model as ``OUT/<stem>-<kind>.png``; returns {kind: file name}."""
    names = {}
    for kind in PLOTS:
        name = f"{stem}-{kind.replace('_', '-')}.png"
        write_bytes(out / name, render(scores, kind))
        names[kind] = name
    return names


def _most_labelled(scores: Scores) -> list[int]:
    objects = np.array([c.objects for c in scores.classes])
    order = np.argsort(-objects, kind="stable")
    return [int(c) for c in order[:MOST_CLASSES] if objects[c] and scores.classes[c].predictable]


def _pr_curves(axes: Any, scores: Scores) -> None:
    recall = np.linspace(0, 1, scores.curves.shape[1])
    for c in _most_labelled(scores):
        row = scores.classes[c]
        axes.plot(recall, scores.curves[c], linewidth=1, label=f"{row.name} ({(row.ap50 or 0) * 100:.1f})")
    counted = ~np.isnan(scores.curves[:, 0])
    if counted.any():
        mean = scores.curves[counted].mean(axis=0)
        axes.plot(recall, mean, color="black", linewidth=2.5, label=f"all classes ({(scores.map50 or 0) * 100:.1f})")
    axes.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02))
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="lower left", title="AP@0.5", title_fontsize=7)


def _confusion(axes: Any, scores: Scores) -> None:
    matrix = scores.confusion
    names = [c.name for c in scores.classes] + ["background"]
    # The classes with any count, the most labelled first (background last), at most MOST_CLASSES of them.
    used = np.flatnonzero(matrix[:-1].sum(axis=1) + matrix[:, :-1].sum(axis=0))
    used = used[np.argsort(-matrix[used].sum(axis=1), kind="stable")][:MOST_CLASSES]
    keep = [*used.tolist(), len(names) - 1]
    shown = matrix[np.ix_(keep, keep)]
    axes.imshow(shown, cmap="Blues")
    for (row, column), value in np.ndenumerate(shown):
        if value:
            light = value > shown.max() / 2
            axes.text(
                column, row, str(value), ha="center", va="center", fontsize=7, color="white" if light else "black"
            )
    labels = [names[k] for k in keep]
    axes.set_xticks(range(len(keep)), labels, rotation=60, ha="right", fontsize=7)
    axes.set_yticks(range(len(keep)), labels, fontsize=7)
    axes.set(xlabel=f"found (score ≥ {scores.conf:g})", ylabel="labelled")


def _scores(axes: Any, scores: Scores) -> None:
    bins = np.linspace(0, 1, 41)
    axes.hist(scores.true_scores, bins=bins, alpha=0.6, color="tab:green", label=f"right ({len(scores.true_scores)})")
    axes.hist(scores.false_scores, bins=bins, alpha=0.6, color="tab:red", label=f"wrong ({len(scores.false_scores)})")
    axes.axvline(scores.conf, color="black", linestyle="--", linewidth=1, label=f"threshold {scores.conf:g}")
    if scores.best is not None:
        axes.axvline(scores.best.conf, color="tab:blue", linewidth=1, label=f"best F1 {scores.best.conf:.3f}")
    axes.set(xlabel="score", ylabel="detections", yscale="log")
    axes.legend(fontsize=7)
