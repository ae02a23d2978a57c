"""The report's plots as PNG: precision–recall curves per class, the confusion matrix (with "background"), and the
scores of right and wrong detections. Drawn by matplotlib on its Agg canvas (no pyplot: no global state, no GUI
backend), imported only when a plot is drawn: the window starts without it, and the standalone app leaves it out
(``available`` says so; the report's numbers do not need it).

Drawing holds the interpreter lock in matplotlib's C code for up to ~100 ms at a time, so the window draws in a
child process (``render_all`` on a ``PlotData``: plain values, and this module imports nothing heavy)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..atomic import write_bytes

if TYPE_CHECKING:
    from .scoring import Scores

PLOTS = {"pr_curves": "Precision–recall", "confusion": "Confusion matrix", "scores": "Scores: right vs wrong"}
MOST_CLASSES = 12  # curves and matrix rows beyond this many classes are unreadable: the most labelled ones shown
NOT_BUNDLED = (
    "plots need matplotlib, which the standalone app leaves out (a pip install of YOLO Desktop draws them); every "
    "number is in the report"
)


@dataclass(frozen=True)
class PlotData:
    """What the plots of one model's scores show (``scoring.Scores``, less what they do not)."""

    label: str
    conf: float
    map50: float | None
    names: tuple[str, ...]
    objects: tuple[int, ...]
    predictable: tuple[bool, ...]
    ap50: tuple[float | None, ...]
    curves: np.ndarray  # (C, 101) precision at recall 0 … 1
    confusion: np.ndarray  # (C + 1, C + 1)
    true_scores: np.ndarray
    false_scores: np.ndarray
    best_conf: float | None

    @classmethod
    def of(cls, scores: Scores) -> PlotData:
        rows = scores.classes
        return cls(
            scores.label, scores.conf, scores.map50, tuple(c.name for c in rows), tuple(c.objects for c in rows),
            tuple(c.predictable for c in rows), tuple(c.ap50 for c in rows), scores.curves, scores.confusion,
            scores.true_scores, scores.false_scores, None if scores.best is None else scores.best.conf,
        )  # fmt: skip


def available() -> str | None:
    """None when plots can be drawn, else why not (for the window and the command line to show)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return NOT_BUNDLED
    return None


def render(data: PlotData, kind: str, dpi: int = 100) -> bytes:
    """One plot of one model's scores, PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.8), dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    {"pr_curves": _pr_curves, "confusion": _confusion, "scores": _scores}[kind](axes, data)
    axes.set_title(f"{PLOTS[kind]} — {data.label}", fontsize=10)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def render_all(data: Sequence[PlotData | None]) -> list[dict[str, bytes]]:
    """Every plot of each model ({} for None): {kind: PNG}."""
    return [{} if d is None else {kind: render(d, kind) for kind in PLOTS} for d in data]


def save_plots(out: Path, stem: str, scores: Scores) -> dict[str, str]:
    """Every plot of one model as ``OUT/<stem>-<kind>.png``; returns {kind: file name}."""
    names = {}
    data = PlotData.of(scores)
    for kind in PLOTS:
        name = f"{stem}-{kind.replace('_', '-')}.png"
        write_bytes(out / name, render(data, kind))
        names[kind] = name
    return names


def _most_labelled(data: PlotData) -> list[int]:
    objects = np.array(data.objects)
    order = np.argsort(-objects, kind="stable")
    return [int(c) for c in order[:MOST_CLASSES] if objects[c] and data.predictable[c]]


def _pr_curves(axes: Any, scores: PlotData) -> None:
    recall = np.linspace(0, 1, scores.curves.shape[1])
    for c in _most_labelled(scores):
        ap = scores.ap50[c] or 0.0
        axes.plot(recall, scores.curves[c], linewidth=1, label=f"{scores.names[c]} ({ap * 100:.1f})")
    counted = ~np.isnan(scores.curves[:, 0])
    if counted.any():
        mean = scores.curves[counted].mean(axis=0)
        axes.plot(recall, mean, color="black", linewidth=2.5, label=f"all classes ({(scores.map50 or 0) * 100:.1f})")
    axes.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02))
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="lower left", title="AP@0.5", title_fontsize=7)


def _confusion(axes: Any, scores: PlotData) -> None:
    matrix = scores.confusion
    names = [*scores.names, "background"]
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


def _scores(axes: Any, scores: PlotData) -> None:
    bins = np.linspace(0, 1, 41)
    axes.hist(scores.true_scores, bins=bins, alpha=0.6, color="tab:green", label=f"right ({len(scores.true_scores)})")
    axes.hist(scores.false_scores, bins=bins, alpha=0.6, color="tab:red", label=f"wrong ({len(scores.false_scores)})")
    axes.axvline(scores.conf, color="black", linestyle="--", linewidth=1, label=f"threshold {scores.conf:g}")
    if scores.best_conf is not None:
        axes.axvline(scores.best_conf, color="tab:blue", linewidth=1, label=f"best F1 {scores.best_conf:.3f}")
    axes.set(xlabel="score", ylabel="detections", yscale="log")
    axes.legend(fontsize=7)
