"""Video throughput: ``yolo-desktop detect clip.mp4`` (annotated video + per-frame files) vs a naive OpenCV loop,
same clips, same run, interleaved.

The clips: 720p and 1080p, 30 fps, mp4v, made from real sample photos (three photos side by side, upscaled, rolled
a few pixels more every frame so every frame differs), cached between runs. The naive loop is what a script
would do: ``VideoCapture.read``, OpenCV DNN (the Darknet importer, same YOLOv3-tiny at 416), NMS, draw,
``VideoWriter.write`` (mp4v) — one frame after another. Ours: ``video.run.process_video`` (what ``detect`` runs
per video) with the model already loaded, in the accurate (float32) and fast (int8) precisions. Reported: frames/s
of each, median and spread (min–max) of ``--runs`` runs, and the ratio of the medians (goal ≥ 1.5×).

Tracking (on in ``detect`` by default, so "ours" includes it) gets its own columns: the tracker's time per frame
(``Tracker.update`` on each frame's detections, replayed ``--runs`` times, median) against the accurate loop's frame
time from the same run (goal ≤ 5 % at 720p); the window's re-tracking per frame (``StoreTracks``: the frame's
detections from the kept candidates, then the tracker — what a new threshold costs); the bytes it keeps per frame
next to the candidates' (``FrameStore.nbytes``); and the tracker alone with 30 objects per frame (a busy street).

Footage analysis (zones, dwell, events) gets its own: the tracker with two zones and a counting line against the
plain tracker on the same frames (the events' cost, goal < 2 % of the frame's time), and on the real clips
(``tests/support/footage.py``: ``make .cache/footage/bikes.mp4``) ``detect`` with a zone and a line at strides 1–4:
how many times faster than real time, and how far the counts (distinct objects per class, events per kind, place
and class) are from stride 1's.

    .venv/bin/python bench/bench_video.py [--frames 120] [--runs 3] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from yolo_desktop.inference.detector import Detector  # noqa: E402
from yolo_desktop.models.installed import find_model  # noqa: E402
from yolo_desktop.pipeline.inputs import InputFile  # noqa: E402
from yolo_desktop.results import Detection, Detections  # noqa: E402
from yolo_desktop.settings import DetectorSettings  # noqa: E402
from yolo_desktop.video.detect import FrameRange, VideoDetection  # noqa: E402
from yolo_desktop.video.frame_store import FrameStore  # noqa: E402
from yolo_desktop.video.lines import CountLine  # noqa: E402
from yolo_desktop.video.output import VideoOutputOptions  # noqa: E402
from yolo_desktop.video.retrack import StoreTracks  # noqa: E402
from yolo_desktop.video.run import process_video  # noqa: E402
from yolo_desktop.video.tracking import Tracker, TrackingOptions  # noqa: E402
from yolo_desktop.video.zones import Zone  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
import doc_tables  # noqa: E402

from tests.support.footage import clip as footage_clip  # noqa: E402

SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}
LOOPS = {
    "naive": "naive OpenCV loop (read, DNN, draw, write)",
    "accurate": "`detect`, accurate",
    "fast": "`detect`, fast",
}
PHOTOS = ("motorcycle_left.png", "coffee.png", "camera.png")


def make_clip(path: Path, size: tuple[int, int], frames: int, fps: float = 30.0) -> Path:
    """Real photos side by side at ``size``, rolled 4 px more each frame (kept between runs)."""
    if path.is_file() and int(cv2.VideoCapture(str(path)).get(cv2.CAP_PROP_FRAME_COUNT)) == frames:
        return path
    import skimage

    data = Path(skimage.__file__).parent / "data"
    width, height = size
    tiles = [cv2.imread(str(data / name), cv2.IMREAD_COLOR) for name in PHOTOS]
    tile_w = width // len(tiles)
    canvas = np.hstack([cv2.resize(t, (tile_w, height), interpolation=cv2.INTER_CUBIC) for t in tiles])
    canvas = cv2.resize(canvas, (width, height))
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (width, height))
    for i in range(frames):
        writer.write(np.roll(canvas, 4 * i, axis=1))
    writer.release()
    return path


class NaiveLoop:
    """Read, OpenCV DNN, NMS, draw, write — sequentially, as a tutorial script does."""

    def __init__(self, cfg: Path, weights: Path, size: int = 416) -> None:
        self.net = cv2.dnn.readNetFromDarknet(str(cfg), str(weights))
        self.layers = self.net.getUnconnectedOutLayersNames()
        self.size = size

    def run(self, clip: Path, out: Path) -> tuple[int, float]:
        start = time.perf_counter()
        capture = cv2.VideoCapture(str(clip))
        fps = capture.get(cv2.CAP_PROP_FPS)
        width, height = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        writer = cv2.VideoWriter(str(out), cv2.VideoWriter.fourcc(*"mp4v"), fps, (width, height))
        frames = 0
        while True:
            ok, image = capture.read()
            if not ok:
                break
            blob = cv2.dnn.blobFromImage(image, 1 / 255.0, (self.size, self.size), swapRB=True, crop=False)
            self.net.setInput(blob)
            rows = np.concatenate(self.net.forward(self.layers))
            scores = rows[:, 5:].max(axis=1)
            keep = scores >= 0.25
            boxes = [
                [int((cx - bw / 2) * width), int((cy - bh / 2) * height), int(bw * width), int(bh * height)]
                for cx, cy, bw, bh in rows[keep, :4]
            ]
            classes = rows[keep, 5:].argmax(axis=1)
            for i in np.asarray(cv2.dnn.NMSBoxes(boxes, scores[keep].tolist(), 0.25, 0.45)).reshape(-1):
                x, y, bw, bh = boxes[i]
                cv2.rectangle(image, (x, y), (x + bw, y + bh), (0, 0, 255), 3)
                label = f"{classes[i]} {scores[keep][i]:.2f}"
                cv2.putText(image, label, (x, max(20, y - 6)), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 255), 2)
            writer.write(image)
            frames += 1
        writer.release()
        capture.release()
        return frames, time.perf_counter() - start


def ours(detector: Detector, clip: Path, out: Path) -> tuple[int, float]:
    outcome = process_video(detector, InputFile(str(clip), "", clip.stem), out, VideoOutputOptions(), quiet=True)
    assert outcome.error is None and not outcome.failed, (outcome.error, outcome.failed)
    return outcome.record["frames_read"], outcome.seconds


def tracking_costs(detector: Detector, clip: Path, runs: int) -> dict[str, float]:
    """Per frame of ``clip``: the tracker's median time (µs) over its detections, the window's re-tracking time
    (µs), the ids' bytes kept for re-tracking, the candidates' bytes, and detections per frame."""
    detection = VideoDetection(detector, str(clip), keep_pixels=False)
    info = detection.info
    store = FrameStore(info.name, info.width, info.height, info.fps, detector.names)
    frames = []
    for found in detection:
        frames.append((found.frame.index, found.frame.time, found.result.detections))
        assert found.result.candidates is not None
        store.append(found.frame.index, found.frame.time, found.result.candidates)
    store.finish()
    lines = (clip_line(info.width, info.height),)
    zones = clip_zones(info.width, info.height)
    track_s, events_s, retrack_s, kept = [], [], [], 0
    for _ in range(runs):
        for options, times in ((TrackingOptions(lines=lines), track_s), (TrackingOptions(zones=zones), events_s)):
            tracker = Tracker(replace_lines(options, lines))
            start = time.perf_counter()
            for index, seconds, detections in frames:
                tracker.update(index, seconds, detections)
            times.append((time.perf_counter() - start) / len(frames))
        tracks = StoreTracks(store, DetectorSettings(), TrackingOptions(lines=lines))
        start = time.perf_counter()
        tracks.advance()
        retrack_s.append((time.perf_counter() - start) / len(frames))
        kept = tracks.nbytes
    return {
        "events_us": (statistics.median(events_s) - statistics.median(track_s)) * 1e6,
        "track_us": statistics.median(track_s) * 1e6,
        "track_us_min": min(track_s) * 1e6,
        "track_us_max": max(track_s) * 1e6,
        "retrack_us": statistics.median(retrack_s) * 1e6,
        "ids_bytes_per_frame": kept / len(frames),
        "candidate_bytes_per_frame": store.nbytes / len(frames),
        "detections_per_frame": sum(len(d) for _i, _t, d in frames) / len(frames),
    }


def clip_line(width: int, height: int) -> CountLine:
    return CountLine(width / 2, 0, width / 2, height, "middle")


def clip_zones(width: int, height: int) -> tuple[Zone, ...]:
    """The right half, and a concave zone over the lower left (an L): two zones every frame's objects are tested
    against."""
    right = Zone(((width / 2, 0), (width, 0), (width, height), (width / 2, height)), "right")
    w, h = width / 2, height
    ell = Zone(((0, h / 2), (w / 3, h / 2), (w / 3, 3 * h / 4), (w, 3 * h / 4), (w, h), (0, h)), "ell")
    return (right, ell)


def replace_lines(options: TrackingOptions, lines: tuple[CountLine, ...]) -> TrackingOptions:
    return replace(options, lines=lines)


def footage_runs(detector: Detector, clip: Path, runs: int, strides: tuple[int, ...] = (1, 2, 3, 4)) -> list[dict]:
    """``detect`` on a real clip with a zone (the right half) and a line (the middle), annotated mp4 written, at
    each stride: × real time (median, min–max of ``runs``) and the counts' distance from stride 1's (the sum of
    the differences over every class count and event count, over their sum at stride 1) — with the default
    ``--min-track-frames 3`` (processed frames: 3 × stride frames of video) and with it scaled to the stride
    (``ceil(3 / stride)``: about the same time in view)."""
    capture = cv2.VideoCapture(str(clip))
    width, height = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    fps, frame_count = capture.get(cv2.CAP_PROP_FPS), int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    capture.release()
    tracking = TrackingOptions(lines=(clip_line(width, height),), zones=clip_zones(width, height)[:1])
    item = InputFile(str(clip), "", clip.stem)

    def run(stride: int, min_frames: int) -> tuple[float, dict]:
        options = VideoOutputOptions(tracking=replace(tracking, min_frames=min_frames), clock="none")
        with tempfile.TemporaryDirectory() as tmp:
            outcome = process_video(detector, item, Path(tmp), options, quiet=True, frames=FrameRange(stride))
        assert outcome.error is None and not outcome.failed, (outcome.error, outcome.failed)
        return frame_count / fps / outcome.seconds, footage_counts(outcome.record)

    run(1, 3)  # warm-up: the engine's first runs, the encoder
    rows, reference = [], None
    for stride in strides:
        speeds, counts = [], {}
        for _run in range(runs):
            speed, counts = run(stride, 3)
            speeds.append(speed)
        reference = reference or counts
        scaled = run(stride, max(1, math.ceil(3 / stride)))[1] if stride > 1 else counts
        rows.append(
            {
                "clip": f"{clip.name} ({width}×{height}, {fps:g} fps, {frame_count} frames)",
                "stride": stride,
                **{f"x_realtime_{k}": v for k, v in summary(speeds).items()},
                "objects": sum(v for k, v in counts.items() if k[0] == "objects"),
                "events": sum(v for k, v in counts.items() if k[0] == "event"),
                "distance": distance(counts, reference),
                "distance_scaled": distance(scaled, reference),
            }
        )
    return rows


def distance(counts: dict, reference: dict) -> float:
    """The counts' differences from the reference's, summed, over the reference's sum."""
    keys = set(reference) | set(counts)
    return sum(abs(counts.get(k, 0) - reference.get(k, 0)) for k in keys) / max(1, sum(reference.values()))


def footage_counts(record: dict) -> dict[tuple, int]:
    """Distinct objects per class, and events per place, class and measure (direction, entered, left, visits)."""
    counts: dict[tuple, int] = {("objects", label): n for label, n in record["distinct_objects"].items()}
    for line in record["lines"]:
        for label, directions in line["crossings"].items():
            counts.update({("event", line["name"], label, d): n for d, n in directions.items()})
    for zone in record["zones"]:
        for label, measures in zone["counts"].items():
            counts.update({("event", zone["name"], label, m): n for m, n in measures.items() if m != "inside"})
    return counts


def busy_street_us(runs: int, objects: int = 30, frames: int = 300) -> float:
    """The tracker alone, ``objects`` people walking across a 1280×720 frame at 30 fps: median µs per frame."""
    rng = np.random.default_rng(0)
    start_x, y = rng.uniform(0, 1200, objects), rng.uniform(0, 600, objects)
    speed = rng.uniform(-8, 8, objects)
    scenes = [
        Detections.from_rows(
            Detection(0, "person", 0.9, float(x), float(top), float(x) + 40, float(top) + 100)
            for x, top in zip((start_x + k * speed) % 1240, y)
        )
        for k in range(frames)
    ]
    times = []
    for _ in range(runs):
        tracker = Tracker(TrackingOptions(lines=(clip_line(1280, 720),)))
        start = time.perf_counter()
        for k, detections in enumerate(scenes):
            tracker.update(k, k / 30, detections)
        times.append((time.perf_counter() - start) / frames)
    return statistics.median(times) * 1e6


def summary(rates: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(rates), 2), "min": round(min(rates), 2), "max": round(max(rates), 2)}


def footage_section(detector: Detector, runs: int, write_docs: bool) -> list[dict]:
    """The real clips' rows: printed, and written to docs/benchmarks.md with --write-docs."""
    footage = []
    for name in ("bigbuckbunny.mp4", "bikes.mp4"):
        real = footage_clip(name)
        if real is None:
            print(f"\n{name}: not fetched (make .cache/footage/bikes.mp4); footage rows skipped")
            continue
        footage += footage_runs(detector, real, runs)
    if footage:
        footage_lines = [
            f"| real clip | stride | × real time, median of {runs} (min–max) | distinct objects | events "
            "| counts vs stride 1 | with --min-track-frames ⌈3 / stride⌉ |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *(
                f"| {f['clip']} | {f['stride']} | {f['x_realtime_median']:.1f} ({f['x_realtime_min']:.1f}–"
                f"{f['x_realtime_max']:.1f}) | {f['objects']} | {f['events']} | {100 * f['distance']:.0f} % | "
                f"{100 * f['distance_scaled']:.0f} % |"
                for f in footage
            ),
        ]
        print("\nFootage analysis on real clips (a zone and a line; annotated mp4 written; accurate)\n")
        print("\n".join(footage_lines))
        if write_docs:
            doc_tables.write("footage-bench", footage_lines)
    return footage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--footage-only", action="store_true", help="only the real clips' rows (and the tracker's)")
    doc_tables.add_option(parser)
    args = parser.parse_args()
    cache = Path(os.environ.get("YOLO_DESKTOP_BENCH_CACHE", Path.home() / ".cache" / "yolo-desktop-bench"))
    model = find_model("yolov3-tiny")
    naive = NaiveLoop(model.cfg, model.weights)
    detectors = {p: Detector(model, DetectorSettings(precision=p)) for p in ("accurate", "fast")}
    if args.footage_only:
        footage_section(detectors["accurate"], args.runs, args.write_docs)
        return
    clips = {n: make_clip(cache / f"video-{n}-{args.frames}.mp4", SIZES[n], args.frames) for n in args.sizes}
    rates: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for clip in clips.values():  # warm-up: caches, converted models, OpenCV DNN's first run, encoders
            ours(detectors["fast"], clip, Path(tmp) / "warm")
            naive.run(clip, Path(tmp) / "warm" / "naive.mp4")
        for run in range(args.runs):
            for name, clip in clips.items():
                for label in ("naive", "accurate", "fast"):
                    out = Path(tmp) / f"{label}-{name}-{run}"
                    out.mkdir()
                    if label == "naive":
                        frames, seconds = naive.run(clip, out / "naive.mp4")
                    else:
                        frames, seconds = ours(detectors[label], clip, out)
                    assert frames == args.frames, (label, name, frames)
                    rates.setdefault((name, label), []).append(frames / seconds)
                    print(f"run {run + 1} {name} {label}: {frames / seconds:.2f} frames/s", flush=True)
    rows = []
    for name in clips:
        base = statistics.median(rates[(name, "naive")])
        for label in ("naive", "accurate", "fast"):
            stats = summary(rates[(name, label)])
            rows.append({"clip": name, "loop": label, **stats, "vs_naive": round(stats["median"] / base, 2)})
    print(f"\n{args.frames} frames per clip, {args.runs} runs, annotated mp4 written by both\n")
    lines = [
        f"| clip ({args.frames} frames, 30 fps) | loop | frames/s, median of {args.runs} (min–max) | × naive |",
        "|---|---|---:|---:|",
        *(
            f"| {row['clip']} | {LOOPS[row['loop']]} | {row['median']:.1f} ({row['min']:.1f}–{row['max']:.1f}) | "
            f"{row['vs_naive']:.2f} |"
            for row in rows
        ),
    ]
    print("\n".join(lines))
    if args.write_docs:
        doc_tables.write("video-bench", lines)
    tracking = []
    for name, clip in clips.items():
        costs = tracking_costs(detectors["accurate"], clip, args.runs)
        frame_ms = 1000 / statistics.median(rates[(name, "accurate")])
        tracking.append({"clip": name, **costs, "frame_ms": frame_ms, "share": costs["track_us"] / 1000 / frame_ms})
    busy = busy_street_us(args.runs)
    print("\nTracking (accurate loop's frame time; re-tracking = the window after a new threshold)\n")
    track_lines = [
        "| clip | detections/frame | tracker µs/frame, median (min–max) | frame ms | tracker share | re-track µs/frame "
        "| ids bytes/frame | candidates bytes/frame | zones + events µs/frame | their share |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {t['clip']} | {t['detections_per_frame']:.1f} | {t['track_us']:.0f} ({t['track_us_min']:.0f}–"
            f"{t['track_us_max']:.0f}) | {t['frame_ms']:.1f} | {100 * t['share']:.2f} % | {t['retrack_us']:.0f} | "
            f"{t['ids_bytes_per_frame']:.0f} | {t['candidate_bytes_per_frame']:.0f} | {t['events_us']:.0f} | "
            f"{100 * t['events_us'] / 1000 / t['frame_ms']:.2f} % |"
            for t in tracking
        ),
        "",
        f"Tracker alone, 30 objects per frame: {busy:.0f} µs/frame.",
    ]
    print("\n".join(track_lines))
    if args.write_docs:
        doc_tables.write("tracking-bench", track_lines)
    footage = footage_section(detectors["accurate"], args.runs, args.write_docs)
    results = REPO / "bench" / "results"
    results.mkdir(exist_ok=True)
    document = {"frames": args.frames, "rows": rows, "tracking": tracking, "tracker_30_objects_us": busy}
    document["footage"] = footage
    (results / "video.json").write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
