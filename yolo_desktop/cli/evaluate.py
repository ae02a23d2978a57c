"""``yolo-desktop evaluate SRC [LABELS] --model A [--model B:tiles=640,size=608 …] -o OUT``: models scored against
the user's own labels (any format ``labels`` reads), side by side.

A ``--model`` is a name with, after a colon, its own settings where they differ from the shared flags
(``yolov4-tiny:tiles=640,size=608,precision=fast,conf=0.4``): each is parsed by the very flags of ``detect``, so
``tiles=auto`` means what ``--tiles auto`` means. What does not match (photos without labels, labels without a
photo, unreadable labels, a model whose classes match none of the labels') is counted and printed before anything
runs; ``--mismatched stop`` (the default) stops there, ``--mismatched evaluate`` evaluates what matches.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from ..evaluation.classes import ClassMap, class_lines
from ..evaluation.inputs import inputs_of
from ..evaluation.report import build_report, score_runs, table, write_report
from ..evaluation.run import ModelRun, run_or_fail
from ..inference.errors import ModelError
from ..inference.model_spec import DetectorChoice, class_names
from ..labels.dataset import read_labels
from ..labels.problems import LabelsUnavailable
from ..settings import SettingsError
from .options import NETWORK, TILES, add_detector_arguments, detector_choice

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
SPEC_FLAGS = (*NETWORK, *TILES, "conf")  # what a --model NAME:key=value may set for that model alone
STOP, EVALUATE = "stop", "evaluate"


def _spec_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="--model NAME:", add_help=False, exit_on_error=False)
    add_detector_arguments(parser, SPEC_FLAGS)
    return parser


def model_choices(args: argparse.Namespace) -> list[tuple[str, DetectorChoice]]:
    """(label, choice) per ``--model`` (or the one model the other flags name). Raises ``SettingsError`` or
    ``ModelError`` for a spec that cannot be used."""
    specs = args.model or [None]
    parser = _spec_parser()
    chosen: list[tuple[str, DetectorChoice]] = []
    for spec in specs:
        name, _, rest = (spec or "").partition(":")
        tokens = []
        for part in filter(None, (p.strip() for p in rest.split(","))):
            key, equals, value = part.partition("=")
            key = key.strip().replace("_", "-")
            if not equals or key.replace("-", "_") not in SPEC_FLAGS:
                keys = ", ".join(flag.replace("_", "-") for flag in SPEC_FLAGS)
                raise SettingsError(f"--model {spec}: '{part}' is not KEY=VALUE with KEY one of {keys}")
            tokens += [f"--{key}", value.strip()]
        given = argparse.Namespace(**{**vars(args), "model": name or None})
        try:
            extra = parser.parse_known_args(tokens, namespace=given)[1]
        except argparse.ArgumentError as exc:
            raise SettingsError(f"--model {spec}: {exc}") from None
        if extra:
            raise SettingsError(f"--model {spec}: cannot read {' '.join(extra)}")
        choice = detector_choice(given)
        label = spec or choice.model.name
        if label in (known for known, _ in chosen):
            raise SettingsError(f"--model {spec} is given twice")
        chosen.append((label, choice))
    return chosen


def run_evaluate(args: argparse.Namespace) -> int:
    def fail(message: str, code: int = EXIT_USAGE) -> int:
        print(f"yolo-desktop evaluate: error: {message}", file=sys.stderr)
        return code

    legacy = args.annotations is not None  # `evaluate IMAGES INSTANCES_JSON`, as before: what the file lists
    if legacy and args.labels:
        return fail("give the labels once: as LABELS or with --labels")
    try:
        labels = read_labels(args.src, args.labels or args.annotations)
        inputs = inputs_of(labels, reviewed_only=args.reviewed_only)
        choices = model_choices(args)
        class_maps = [ClassMap.of(inputs.names, class_names(choice.model)) for _label, choice in choices]
    except (LabelsUnavailable, SettingsError, ModelError, ValueError) as exc:
        return fail(str(exc))
    print(f"labels: {inputs.where} ({inputs.format}): {len(inputs.photos)} labelled photo(s), "
          f"{len(inputs.names)} class(es)", file=sys.stderr)  # fmt: skip
    lines = inputs.lines()
    matching_nothing = [label for (label, _c), classes in zip(choices, class_maps) if not classes.predictable.any()]
    for (label, _choice), classes in zip(choices, class_maps):
        lines += class_lines(label, classes)
    for line in lines:
        print(f"  {line}", file=sys.stderr)
    mismatched = inputs.mismatched + len(matching_nothing)
    on_mismatch = args.mismatched or (EVALUATE if legacy else STOP)
    if mismatched and on_mismatch == STOP:
        return fail(
            f"{mismatched} mismatch(es) above; nothing was run. To evaluate the {len(inputs.photos)} photo(s) that "
            f"match, add --mismatched evaluate"
        )
    if not inputs.photos:
        return fail("nothing to evaluate: no labelled photo", EXIT_FAILED)
    runs = []
    for (label, choice), classes in zip(choices, class_maps):
        if not classes.predictable.any():
            runs.append(ModelRun(label, choice, found=[None] * len(inputs.photos), failure="no class in common"))
            continue
        with tqdm(total=len(inputs.photos), unit="photo", desc=label, file=sys.stderr, dynamic_ncols=True) as bar:
            run = run_or_fail(
                label,
                choice,
                inputs.photos,
                on_photo=lambda _i, _result: bar.update(1),
                log=lambda message: print(message, file=sys.stderr),
            )
        for index, reason in run.errors:
            print(f"{label}: failed: {inputs.photos[index].path}: {reason}", file=sys.stderr)
        if run.failure:
            print(f"{label}: could not run: {run.failure}", file=sys.stderr)
        runs.append(run)
    out = Path(args.output) if args.output else None
    document, no_plots = build_report(inputs, runs, score_runs(inputs, runs), args.reviewed_only, out)
    print("\n".join(table(document)))
    if out is not None:
        write_report(out, document)
        print(f"report: {out / 'report.json'}, {out / 'report.csv'}" + (f" (no plots: {no_plots})" if no_plots else ""))
    if not any(run.done for run in runs):
        return EXIT_FAILED
    return EXIT_FAILED if any(run.errors or run.failure for run in runs) else EXIT_OK
