"""Everything the window's Evaluate panel shows about one evaluation, computed off the GUI thread: each run's
scores at its threshold, the report's document (the very ``report.json`` the command line writes), the errors,
the "Review next" ranking and the plots (PNG bytes; none when matplotlib is not there)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import Error
from .inputs import Inputs
from .plots import PlotData, available, render_all
from .report import model_entry, report_document
from .review_next import Ranked, rank
from .run import ModelRun
from .scoring import ModelScore, Scores


@dataclass(frozen=True)
class Outcome:
    inputs: Inputs
    runs: tuple[ModelRun, ...]
    scored: tuple[ModelScore | None, ...]  # None: the run detected nothing
    scores: tuple[Scores | None, ...]
    document: dict[str, Any]
    plots: tuple[dict[str, bytes], ...]  # per run: {kind: PNG}
    no_plots: str | None  # why there are none
    ranked: tuple[Ranked, ...]

    @property
    def errors(self) -> list[tuple[int, Error]]:
        """(run, error) of every run, best score first."""
        every = [(i, e) for i, s in enumerate(self.scores) if s is not None for e in s.errors]
        every.sort(key=lambda pair: -pair[1].score)
        return every


def outcome_of(
    inputs: Inputs,
    runs: Sequence[ModelRun],
    scored: Sequence[ModelScore | None],
    confs: Sequence[float],
    reviewed_only: bool = False,
    draw: Callable[[list[PlotData | None]], list[dict[str, bytes]]] = render_all,
) -> Outcome:
    """``confs``: each run's threshold (the counts, errors and ranking are taken there); ``draw`` the plots (the
    window: in a child process)."""
    scores = [None if s is None else s.scores(conf) for s, conf in zip(scored, confs)]
    no_plots = available()
    plots = [{} for _s in scores] if no_plots else draw([None if s is None else PlotData.of(s) for s in scores])
    photos = [photo.rel for photo in inputs.photos]
    document = report_document(inputs, reviewed_only, [model_entry(run, s, photos, {}) for run, s in zip(runs, scores)])
    ranked = rank(
        inputs.photos,
        [(m, conf, s.errors) for m, conf, s in zip(scored, confs, scores) if m is not None and s is not None],
    )
    return Outcome(inputs, tuple(runs), tuple(scored), tuple(scores), document, tuple(plots), no_plots, tuple(ranked))
