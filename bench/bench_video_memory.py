"""Video memory: (1) what the window keeps per processed frame to re-threshold a whole video (``FrameStore``), per
hour of video; (2) the command line's memory over a long video (it must stay flat).

(1) Frames are detected for real (YOLOv3-tiny, 416, accurate) and appended to a ``FrameStore``; reported: candidates
and bytes per frame, MB per hour at 25 and 30 fps (every frame processed), with the video floor (0.05) and with the
photos' (0.005), and against keeping one ``ImageResult`` with its ``Candidates`` per frame (tracemalloc; Python
objects included, which ``FrameStore.nbytes`` has none of beyond a few fixed ones). Two workloads: the
benchmark's 720p clip (three photos side by side) and the labelled COCO photos in ../shared/data (busy scenes, as
frames of a street video would be).

(2) ``process_video`` (what ``detect`` runs) on a long 640×360 clip made from real photos, RSS sampled every
0.25 s; reported: RSS after 10 %, 50 % and 100 % of the frames.

    .venv/bin/python bench/bench_video_memory.py [--store-frames 300] [--long-frames 1800] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import tracemalloc
from dataclasses import replace
from pathlib import Path

import cv2
import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import doc_tables  # noqa: E402
from bench_video import make_clip  # noqa: E402

from yolo_desktop.imaging.read import load  # noqa: E402
from yolo_desktop.inference.detector import Detector  # noqa: E402
from yolo_desktop.models.installed import find_model  # noqa: E402
from yolo_desktop.pipeline.inputs import InputFile  # noqa: E402
from yolo_desktop.pipeline.run import Job, Pipeline  # noqa: E402
from yolo_desktop.results import Candidates  # noqa: E402
from yolo_desktop.settings import CANDIDATE_FLOOR  # noqa: E402
from yolo_desktop.video.frame_store import VIDEO_CANDIDATE_FLOOR, FrameStore  # noqa: E402
from yolo_desktop.video.output import VideoOutputOptions  # noqa: E402
from yolo_desktop.video.run import process_video  # noqa: E402

COCO = REPO.parent / "shared" / "data" / "coco-train-sample" / "images"
MB = 1024 * 1024


def rss() -> int:
    return psutil.Process().memory_info().rss


def clip_frames(path: Path, limit: int):
    capture = cv2.VideoCapture(str(path))
    for _ in range(limit):
        ok, bgr = capture.read()
        if not ok:
            break
        yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    capture.release()


def store_workload(detector: Detector, name: str, frames) -> dict[str, float]:
    results = [done.result for done in Pipeline(detector).run(Job.video_frame(rgb, name) for rgb in frames)]
    row: dict[str, float] = {"frames": len(results)}
    for label, floor in (("video floor", VIDEO_CANDIDATE_FLOOR), ("photo floor", CANDIDATE_FLOOR)):
        store = FrameStore(name, results[0].width, results[0].height, 30.0, detector.names, floor=floor)
        for index, result in enumerate(results):
            assert result.candidates is not None
            store.append(index, index / 30.0, result.candidates)
        store.finish()
        per_frame = store.nbytes / len(results)
        kept = sum(int((r.candidates.scores >= floor).sum()) for r in results if r.candidates is not None)
        row[f"{label} {floor}: candidates/frame"] = round(kept / len(results), 1)
        row[f"{label} {floor}: bytes/frame"] = round(per_frame, 1)
        row[f"{label} {floor}: MB/hour at 30 fps"] = round(per_frame * 30 * 3600 / MB, 1)
        row[f"{label} {floor}: MB/hour at 25 fps"] = round(per_frame * 25 * 3600 / MB, 1)
    # The naive alternative: one ImageResult with its Candidates (all from 0.005) kept per frame.
    tracemalloc.start()
    kept_results = [
        replace(r, candidates=Candidates(r.candidates.boxes, r.candidates.scores, r.candidates.class_ids, 0.005))
        for r in results
        if r.candidates is not None
    ]
    naive_bytes, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept_results
    row["ImageResult per frame: bytes/frame"] = round(naive_bytes / len(results), 1)
    row["ImageResult per frame: MB/hour at 30 fps"] = round(naive_bytes / len(results) * 30 * 3600 / MB, 1)
    return row


def long_video(detector: Detector, clip: Path, frames: int) -> dict[str, float]:
    """RSS sampled every 0.25 s while ``detect`` runs one long video (frames go at a steady rate, so a share of
    the run's time is that share of its frames)."""
    samples: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.25):
            samples.append(rss())

    thread = threading.Thread(target=sample, daemon=True)
    with tempfile.TemporaryDirectory() as tmp:
        thread.start()
        try:
            outcome = process_video(
                detector, InputFile(str(clip), "", "long"), Path(tmp), VideoOutputOptions(), quiet=True
            )
        finally:
            stop.set()
            thread.join()
    assert outcome.error is None, outcome.error

    def at(fraction: float) -> float:
        return round(samples[min(len(samples) - 1, int(len(samples) * fraction))] / MB, 1)

    return {
        "frames": frames,
        "rss_mb_at_10pct": at(0.1),
        "rss_mb_at_50pct": at(0.5),
        "rss_mb_at_100pct": at(1.0),
        "frames_per_s": round(frames / outcome.seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store-frames", type=int, default=300)
    parser.add_argument("--long-frames", type=int, default=1800)
    doc_tables.add_option(parser)
    args = parser.parse_args()
    cache = Path(os.environ.get("YOLO_DESKTOP_BENCH_CACHE", Path.home() / ".cache" / "yolo-desktop-bench"))
    detector = Detector(find_model("yolov3-tiny"))
    report: dict[str, dict[str, float]] = {}
    clip = make_clip(cache / f"video-720p-{args.store_frames}.mp4", (1280, 720), args.store_frames)
    report["store: 720p clip"] = store_workload(detector, "720p", clip_frames(clip, args.store_frames))
    print("store: 720p clip", report["store: 720p clip"], flush=True)
    photos = sorted(COCO.glob("*.jpg"))[: args.store_frames]
    if photos:
        report["store: COCO photos"] = store_workload(detector, "coco", (load(p).rgb for p in photos))
        print("store: COCO photos", report["store: COCO photos"], flush=True)
    long_clip = make_clip(cache / f"video-360p-{args.long_frames}.mp4", (640, 360), args.long_frames)
    report["detect: long video"] = long_video(detector, long_clip, args.long_frames)
    print("detect: long video", report["detect: long video"], flush=True)
    lines = memory_table(report)
    print("\n" + "\n".join(lines))
    if args.write_docs:
        doc_tables.write("video-memory", lines)
    results = REPO / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "video_memory.json").write_text(json.dumps(report, indent=2) + "\n")


def memory_table(report: dict[str, dict[str, float]]) -> list[str]:
    lines = [
        "| frames | floor | candidates / frame | bytes / frame | MB per hour at 30 fps | at 25 fps |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, what in (
        ("store: 720p clip", "720p clip (3 photos side by side)"),
        ("store: COCO photos", "COCO photos"),
    ):
        row = report.get(name)
        if row is None:
            continue
        frames = f"{what} ({row['frames']:.0f} frames)"
        for label, floor, used in (
            ("video floor", VIDEO_CANDIDATE_FLOOR, " (used)"),
            ("photo floor", CANDIDATE_FLOOR, ""),
        ):
            key = f"{label} {floor}"
            lines.append(
                f"| {frames} | {floor}{used} | {row[key + ': candidates/frame']} | {row[key + ': bytes/frame']} | "
                f"{row[key + ': MB/hour at 30 fps']} | {row[key + ': MB/hour at 25 fps']} |"
            )
        lines.append(
            f"| {frames} | one `ImageResult` + `Candidates` per frame (tracemalloc) | | "
            f"{row['ImageResult per frame: bytes/frame']} | {row['ImageResult per frame: MB/hour at 30 fps']} | |"
        )
    long = report["detect: long video"]
    lines += [
        "",
        f"`detect` on a {long['frames']:.0f}-frame 640×360 clip: RSS {long['rss_mb_at_10pct']} MB after 10 %, "
        f"{long['rss_mb_at_50pct']} MB after 50 %, {long['rss_mb_at_100pct']} MB after 100 % of the frames "
        f"({long['frames_per_s']} frames/s).",
    ]
    return lines


if __name__ == "__main__":
    main()
