"""``yolo-desktop detect``: a headless batch with a progress bar and a summary. Videos among the inputs are
handed to ``video/run.py`` (same detector, same output folder) after the photos."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tqdm import tqdm

from ..atomic import remove_leftovers
from ..export.writer import FORMATS, BackgroundWriter, BatchWriter
from ..inference.detector import Detector
from ..inference.engines.lanes import default_lanes
from ..inference.errors import ModelError
from ..inference.model_spec import input_size_of, model_fingerprint
from ..pipeline.inputs import UsageError, check_output_dir, collect_inputs
from ..pipeline.resume import BatchIdentity, PartStore, ResumableRun, ResumeRefused, done_videos, write_video_part
from ..pipeline.run import Job, Pipeline
from ..pipeline.sample_check import first_load_warning
from ..records import header
from ..results import BatchSummary, ImageResult
from ..settings import SettingsError
from ..video.detect import FrameRange
from ..video.footage import FootageRun, Setups, footage_record, in_time_order, intervals_csv
from ..video.lines import parse_count_line
from ..video.output import VideoOutputOptions, VideoOutputResult
from ..video.run import print_video_summary
from ..video.tracking import TrackingOptions
from ..video.zones import parse_zone
from .options import detector_choice

if TYPE_CHECKING:
    from ..cluster.coordinator import ClusterOptions
    from ..labels.importing import ProposalLabels

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _fail(message: str) -> int:
    print(f"yolo-desktop detect: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def run_detect(args: argparse.Namespace) -> int:
    try:
        choice = detector_choice(args)
        model, settings = choice.model, choice.settings
        frames, video_options = video_options_from(args)
        setups = setups_from(video_options, args)
        unknown = sorted(set(args.formats) - set(FORMATS))
        if unknown:
            raise UsageError(f"unknown format(s) {', '.join(unknown)} (available: {', '.join(FORMATS)})")
        out = Path(args.output)
        check_output_dir(out, args.paths)
        items, problems = collect_inputs(args.paths, recursive=args.recursive)
        identity = None
        if args.resume or args.cluster:
            identity = BatchIdentity.of(
                model_fingerprint(model),
                settings,
                input_size_of(model, settings.size),
                args.formats,
                not args.no_images,
                args.image_format,
            )
            if any(item.is_video for item in items):
                identity = identity.with_videos(footage_record(frames, video_options, setups))
    except (SettingsError, UsageError, ModelError, ValueError, OSError) as exc:
        return _fail(str(exc))
    videos = [item for item in items if item.is_video]
    items = [item for item in items if not item.is_video]
    if not items and not videos and not problems:
        return _fail(
            "no images or videos found in "
            + ", ".join(args.paths)
            + ("" if args.recursive else " (use --recursive to include subfolders)")
        )
    proposals = None
    if getattr(args, "save_labels", False):
        if args.cluster:
            return _fail("--save-labels saves labels where the photos are: run it without --cluster")
        from ..labels.importing import ProposalLabels
        from ..labels.problems import LabelsUnavailable

        try:
            proposals = ProposalLabels(args.paths)
        except LabelsUnavailable as exc:
            return _fail(f"--save-labels: {exc}")
    if args.cluster:  # photos in chunks, each video a job of its own (shared storage, as for photos)
        assert identity is not None
        from ..cluster.coordinator import ClusterError, run_cluster

        try:
            options = cluster_options_from(args)
            outcome = run_cluster(
                options,
                model,
                settings,
                identity,
                out,
                items,
                problems,
                _ProgressBar(args.quiet),
                in_time_order(videos, video_options.clock),
                footage_record(frames, video_options, setups),
            )
        except ClusterError as exc:
            return _fail(str(exc))
        except KeyboardInterrupt:
            print(
                "\ninterrupted: queued chunks stay queued and the workers keep going; run the same command with "
                "--resume to collect them and finish",
                file=sys.stderr,
            )
            return EXIT_INTERRUPTED
        cluster_videos = [VideoOutputResult(record) for record in outcome.videos]
        videos_failed = print_video_summary(cluster_videos, sys.stdout)
        failures = outcome.write_failures + _intervals(args, out, cluster_videos)
        print_summary(outcome.summary, failures, out, sys.stdout)
        return EXIT_OK if outcome.ok and not videos_failed and not failures else EXIT_SOME_FAILED
    resumable, all_items = None, items
    if args.resume:
        assert identity is not None
        try:
            resumable = ResumableRun(out, identity, args.chunk)
        except (ResumeRefused, OSError) as exc:
            return _fail(str(exc))
        items = resumable.todo(all_items)
        skipped = len(all_items) - len(items)
        if skipped:
            print(f"Resuming: {skipped} of {len(all_items)} images already done", file=sys.stderr)

    print(f"Loading {model.name}…", file=sys.stderr)
    try:
        detector = Detector.chosen(choice, log=lambda message: print(message, file=sys.stderr))
    except (ModelError, ValueError) as exc:
        return _fail(str(exc))
    warning = first_load_warning(detector)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    try:
        out.mkdir(parents=True, exist_ok=True)
        if resumable is None:
            PartStore(out).clear()  # parts of an earlier --resume run no longer describe OUT
        remove_leftovers(out)  # temp files of a run that was killed mid-write: never outputs
    except OSError as exc:
        return _fail(f"cannot create output folder {out}: {exc.strerror or exc}")

    writer = BackgroundWriter(
        BatchWriter(out, args.formats, images=not args.no_images, image_format=args.image_format, names=detector.names)
    )
    results: list[ImageResult] = [ImageResult(path=p.path, error=p.reason) for p in problems]
    part_info = {
        "engine": detector.engine.name,
        "engine_description": detector.engine_summary,
        "input_size": detector.input_size,
    }
    started = time.perf_counter()
    bar = tqdm(
        total=len(items),
        unit="img",
        file=sys.stderr,
        disable=True if args.quiet or not items else None,
        dynamic_ncols=True,
    )
    video_outcomes: list[VideoOutputResult] = []
    try:
        for done in Pipeline(detector, lanes=default_lanes()).run(Job.file(item.path, tag=item) for item in items):
            result = done.result
            writer.add(done.job.tag, result, done.image)
            if proposals is not None and result.ok:
                proposals.add(result.path, result.width, result.height, result.detections)
            results.append(replace(result, candidates=None))  # the kept candidates are only for re-filtering
            if resumable is not None:
                resumable.add(done.job.tag, results[-1], writer, part_info)
            bar.update(1)
            if not result.ok:
                bar.write(f"failed: {result.path}: {result.error}", file=sys.stderr)
        bar.close()
        footage = FootageRun(
            detector,
            out,
            video_options,
            frames,
            setups,
            args.quiet,
            done=done_videos(resumable.store) if resumable is not None else {},
            on_done=None
            if resumable is None
            else lambda item, outcome: write_video_part(resumable.store, item, outcome.record, outcome.failed),
        )
        video_outcomes = footage.process(in_time_order(videos, video_options.clock))
    except KeyboardInterrupt:
        bar.close()
        hint = "" if resumable is None else "; run the same command again (with --resume) to finish"
        print(
            f"\ninterrupted: files written so far are complete; detection files were not written{hint}", file=sys.stderr
        )
        if resumable is not None:
            resumable.flush(writer, part_info)  # what finished is kept (written once its files are)
        if proposals is not None:
            proposals.close()  # the labels saved so far are written
        return 130
    bar.close()
    seconds = time.perf_counter() - started
    order = None
    if resumable is not None:
        results = results[: len(problems)] + resumable.results(all_items, writer, part_info, detector.names)
        order = all_items
    report = writer.finish(
        results, *header(detector.info, detector.settings), seconds, order, videos=[v.record for v in video_outcomes]
    )
    summary = BatchSummary.of(results, seconds)
    videos_failed = print_video_summary(video_outcomes, sys.stdout)
    for used in sorted(setups.used):
        print(f"Zones and lines from {used}", file=sys.stdout)
    report.failed.extend(_intervals(args, out, video_outcomes))
    report.failed.extend(failure for outcome in video_outcomes for failure in outcome.failed)
    if proposals is not None:
        report.failed.extend(print_labels_summary(proposals, sys.stdout))
    print_summary(summary, report.failed, out, sys.stdout)
    print(f"Engine: {detector.engine_summary}", file=sys.stdout)
    return EXIT_OK if not summary.failed and not report.failed and not videos_failed else EXIT_SOME_FAILED


def print_labels_summary(proposals: ProposalLabels, stream: TextIO) -> list[tuple[str, str]]:
    """What --save-labels saved; returns the label files that could not be written (or were refused)."""
    where = ", ".join(str(path) for path in proposals.where)
    failed = [(problem.path, problem.reason) for problem in proposals.close()]
    saved = proposals.report
    print(f"Labels: {saved.imported} photos, {saved.boxes} boxes saved in {where} (to review)", file=stream)
    if saved.kept:
        print(f"  {len(saved.kept)} photos already had labels: kept as they were", file=stream)
    if proposals.nothing_found:
        print(f"  {proposals.nothing_found} photos with nothing found: left unlabelled", file=stream)
    return failed + [(problem.path, problem.reason) for problem in saved.problems]


def _intervals(args: argparse.Namespace, out: Path, outcomes: list[VideoOutputResult]) -> list[tuple[str, str]]:
    """With --interval: OUT/intervals.csv from every video's event log (said on stdout); its failed write."""
    if not getattr(args, "interval", None):
        return []
    try:
        table = intervals_csv(out, [v.record for v in outcomes], args.interval)
    except OSError as exc:
        return [(str(out / "intervals.csv"), exc.strerror or str(exc))]
    print(f"Counts per interval: {table or 'no event log to count'}", file=sys.stdout)
    return []


def cluster_options_from(args: argparse.Namespace) -> ClusterOptions:
    """--cluster/--queue/--chunk/--path-map/--resume/--redis-wait and the outputs' flags, for the coordinator."""
    from ..cluster.coordinator import ClusterOptions

    return ClusterOptions(
        url=args.cluster,
        queue=args.queue,
        chunk=args.chunk,
        path_map=tuple(args.path_map),
        resume=args.resume,
        redis_wait=args.redis_wait,
        formats=tuple(args.formats),
        images=not args.no_images,
        image_format=args.image_format,
    )


class _ProgressBar:
    """A cluster batch's progress as a tqdm bar on stderr (none with --quiet); its messages always shown."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar: tqdm | None = None

    def start(self, total: int) -> None:
        self.bar = tqdm(
            total=total, unit="img", file=sys.stderr, disable=True if self.quiet else None, dynamic_ncols=True
        )

    def update(self, done: int) -> None:
        if self.bar is not None:
            self.bar.n = done
            self.bar.refresh()

    def say(self, message: str) -> None:
        tqdm.write(message, file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def video_options_from(args: argparse.Namespace) -> tuple[FrameRange, VideoOutputOptions]:
    """--stride/--start/--end (the frames processed), --video-format, --no-images, --formats (what is written),
    --no-track/--min-track-frames/--count-line (tracking), --zone/--zone-anchor/--min-dwell, --clock,
    --snapshots, --heatmap (footage analysis)."""
    frames = FrameRange(getattr(args, "stride", 1), getattr(args, "start", 0.0), getattr(args, "end", None))
    lines = tuple(parse_count_line(text, number) for number, text in enumerate(getattr(args, "count_line", []), 1))
    zones = tuple(parse_zone(text, number) for number, text in enumerate(getattr(args, "zone", []), 1))
    if getattr(args, "no_track", False):
        if lines or zones:
            flag = "--count-line" if lines else "--zone"
            raise UsageError(f"{flag} counts tracked objects: it cannot be used with --no-track")
        tracking = None
    else:
        tracking = TrackingOptions(
            min_frames=getattr(args, "min_track_frames", 3),
            lines=lines,
            zones=zones,
            anchor=getattr(args, "zone_anchor", "auto"),
            min_dwell=getattr(args, "min_dwell", 1.0),
        )
    return frames, VideoOutputOptions(
        video=not args.no_images,
        video_format=getattr(args, "video_format", "mp4"),
        jsonl="json" in args.formats,
        csv="csv" in args.formats,
        tracking=tracking,
        clock=getattr(args, "clock", "auto"),
        snapshots=getattr(args, "snapshots", False),
        heatmap=getattr(args, "heatmap", False),
    )


def setups_from(options: VideoOutputOptions, args: argparse.Namespace) -> Setups:
    """The command line's zones and lines for every clip, else those saved with each clip's folder."""
    tracking = options.tracking
    if tracking is None:
        return Setups(use_saved=False)
    return Setups(tracking.zones, tracking.lines, use_saved=not getattr(args, "no_saved_zones", False))


def print_summary(summary: BatchSummary, write_failures: list[tuple[str, str]], out: Path, stream: TextIO) -> None:
    rate = summary.succeeded / summary.seconds if summary.seconds > 0 else 0.0
    if summary.images:  # none when only videos were given (their summary comes first)
        print(
            f"{summary.succeeded} of {summary.images} images processed in {summary.seconds:.1f} s "
            f"({rate:.1f} images/s), {summary.detections} detections",
            file=stream,
        )
    if summary.counts:
        width = max(len(label) for label in summary.counts)
        for label, count in summary.counts.items():
            print(f"  {label:<{width}}  {count}", file=stream)
    if summary.failed:
        print(f"{len(summary.failed)} failed:", file=stream)
        for path, reason in summary.failed:
            print(f"  {path}: {reason}", file=stream)
    if write_failures:
        print(f"{len(write_failures)} output file(s) could not be written:", file=stream)
        for path, reason in write_failures:
            print(f"  {path}: {reason}", file=stream)
    print(f"Results in {out}", file=stream)
