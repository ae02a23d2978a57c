"""``yolo-desktop dataset stats|export|import``: a folder's labels counted, written as a training set (which also
converts between YOLO, COCO and VOC), or imported into the folder's own labels for the window to review. Parsing
and messages only: ``labels/`` does the work."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..labels.dataset import LabelSet

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def add_dataset_commands(commands: Any) -> None:
    dataset = commands.add_parser("dataset", help="labelled photos: counts and problems, or export as a training set")
    actions = dataset.add_subparsers(dest="dataset_command", metavar="ACTION", required=True)
    labels_help = (
        "the labels, when not where their format puts them: a folder of .txt or .xml, or a COCO / "
        "detections.json file (default: found in SRC)"
    )
    stats = actions.add_parser(
        "stats",
        help="photos, boxes per class, labelled/reviewed counts and every problem found",
        description="Read SRC's labels (YOLO txt, Pascal VOC, COCO JSON or detections.json, found automatically) "
        "and print the photos, boxes per class, photos per state and each problem with its file and line.",
    )
    stats.add_argument("source", metavar="SRC", help="a folder of photos, or a dataset root")
    stats.add_argument("--labels", metavar="FILE_OR_DIR", help=labels_help)
    export = actions.add_parser(
        "export",
        help="write SRC's labelled photos as a YOLO, COCO or VOC training set (also a converter)",
        description="Read SRC's labels (any supported format) and write a training set under OUT: photos copied "
        "(or hard-linked), never moved; a deterministic split; boxes per class per split reported.",
    )
    export.add_argument("source", metavar="SRC", help="a folder of photos, or a dataset root")
    export.add_argument("-o", "--output", required=True, metavar="OUT", help="a new or empty folder")
    export.add_argument("--format", required=True, choices=("yolo", "coco", "voc"), help="the training set's format")
    export.add_argument("--labels", metavar="FILE_OR_DIR", help=labels_help)
    export.add_argument(
        "--split", default="0.8,0.2", metavar="TRAIN,VAL[,TEST]", help="ratios adding up to 1 (default 0.8,0.2)"
    )
    export.add_argument("--seed", type=int, default=0, metavar="N", help="the split's seed (default 0)")
    export.add_argument("--reviewed-only", action="store_true", help="only photos marked reviewed in the window")
    export.add_argument("--link", action="store_true", help="hard-link photos instead of copying them")
    imports = actions.add_parser(
        "import",
        help="copy labels from VOC, COCO or detections.json into SRC's own labels, for the window to review",
        description="Read labels (any supported format, found in SRC or named by --labels) and save them as SRC's "
        "own YOLO labels, where the window edits them (labels/ next to images/, or .txt beside each photo). A "
        "photo that already has labels keeps them.",
    )
    imports.add_argument("source", metavar="SRC", help="the folder of photos whose labels to fill")
    imports.add_argument("--labels", metavar="FILE_OR_DIR", help=labels_help)


def run_dataset_command(args: argparse.Namespace) -> int:
    from ..labels.dataset import read_labels
    from ..labels.problems import LabelsUnavailable
    from ..pipeline.inputs import UsageError

    command = f"yolo-desktop dataset {args.dataset_command}"
    try:
        labels = read_labels(args.source, args.labels)
        if args.dataset_command == "stats":
            return _stats(labels)
        if args.dataset_command == "import":
            return _import(labels, args.source)
        return _export(labels, args)
    except (LabelsUnavailable, UsageError) as exc:
        print(f"{command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _stats(labels: LabelSet) -> int:
    from ..labels.stats import label_stats

    stats = label_stats(labels)
    print(f"{labels.format} labels in {labels.where}")
    print(f"photos      {stats.photos}")
    for state, count in stats.states.items():
        print(f"  {state:<12}{count}")
    print(f"  background (labelled, no objects) {stats.background}")
    print(f"boxes       {sum(stats.boxes.values())} in {len(stats.boxes)} classes")
    for name, count in stats.boxes.items():
        print(f"  {count:>8}  {name}")
    return _problems(labels)


def _export(labels: LabelSet, args: argparse.Namespace) -> int:
    from ..labels.training_set import ExportOptions, export_training_set, parse_split

    options = ExportOptions(args.format, parse_split(args.split), args.seed, args.reviewed_only, args.link)
    report = export_training_set(labels, args.output, options)
    splits = list(report.photos)
    print(f"{args.format} training set in {report.out} from {labels.format} labels in {labels.where}")
    print(f"{'':<24}" + "".join(f"{name:>8}" for name in splits))
    print(f"{'photos':<24}" + "".join(f"{report.photos[name]:>8}" for name in splits))
    for class_name in labels.names:
        counts = [report.boxes[name][class_name] for name in splits]
        if any(counts):
            print(f"{class_name[:23]:<24}" + "".join(f"{count:>8}" for count in counts))
    for reason, count in report.left_out.items():
        print(f"left out: {count} photos ({reason})")
    if report.copied_not_linked:
        print(f"{report.copied_not_linked} photos copied: hard links cannot cross to OUT's disk")
    for path, reason in report.failed:
        print(f"could not write {path}: {reason}", file=sys.stderr)
    code = _problems(labels)
    return EXIT_PROBLEMS if report.failed else code


def _import(labels: LabelSet, source: str) -> int:
    from ..labels.importing import import_label_set
    from ..labels.store import open_labels

    with open_labels(source) as store:
        report = import_label_set(store, labels)
        failures = store.flush()
        where = store.place.labels
    print(f"{report.imported} photos, {report.boxes} boxes imported from {labels.format} labels in {labels.where}")
    print(f"saved in {where}")
    if report.kept:
        print(f"{len(report.kept)} photos already had labels there: kept as they were")
    if report.outside:
        print(f"{len(report.outside)} labelled photos are not under {source}: left out (first: {report.outside[0]})")
    for note in labels.notes:
        print(f"note: {note}")
    for problem in [*report.problems, *failures]:
        print(f"problem: {problem}", file=sys.stderr)
    return EXIT_PROBLEMS if report.problems or failures else EXIT_OK


def _problems(labels: LabelSet) -> int:
    for note in labels.notes:
        print(f"note: {note}")
    for problem in labels.problems:
        print(f"problem: {problem}", file=sys.stderr)
    if labels.problems:
        print(f"{len(labels.problems)} problems: those photos were left as they are", file=sys.stderr)
    return EXIT_PROBLEMS if labels.problems else EXIT_OK
