"""Video throughput: ``yolo-desktop detect clip.mp4`` (annotated video + per-frame files) vs a naive OpenCV loop,
same clips, same run, interleaved.

The clips: 720p and 1080p, 30 fps, mp4v, made from real sample photos (three photos side by side, upscaled, rolled
a few pixels more every frame so every frame differs), cached between runs. The naive loop is what a script
would do: ``VideoCapture.read``, OpenCV DNN (the Darknet importer, same YOLOv3-tiny at 416), NMS, draw,
``VideoWriter.write`` (mp4v) — one frame after another. Ours: ``video.run.process_video`` (what ``detect`` runs
per video) with the model already loaded, in the accurate (float32) and fast (int8) precisions. Reported: frames/s
of each, median and spread (min–max) of ``--runs`` runs, and the ratio of the medians (goal ≥ 1.5×).

    .venv/bin/python bench/bench_video.py [--frames 120] [--runs 3] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from yolo_desktop.batch import InputImage  # noqa: E402
from yolo_desktop.inference.detector import Detector  # noqa: E402
from yolo_desktop.models import find_model  # noqa: E402
from yolo_desktop.settings import DetectorSettings  # noqa: E402
from yolo_desktop.video.output import VideoOutputOptions  # noqa: E402
from yolo_desktop.video.run import process_video  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
import doc_tables  # noqa: E402

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
    outcome = process_video(detector, InputImage(str(clip), "", clip.stem), out, VideoOutputOptions(), quiet=True)
    assert outcome.error is None and not outcome.failed, (outcome.error, outcome.failed)
    return outcome.record["frames_read"], outcome.seconds


def summary(rates: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(rates), 2), "min": round(min(rates), 2), "max": round(max(rates), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    doc_tables.add_option(parser)
    args = parser.parse_args()
    cache = Path(os.environ.get("YOLO_DESKTOP_BENCH_CACHE", Path.home() / ".cache" / "yolo-desktop-bench"))
    model = find_model("yolov3-tiny")
    naive = NaiveLoop(model.cfg, model.weights)
    detectors = {p: Detector(model, DetectorSettings(precision=p)) for p in ("accurate", "fast")}
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
    results = REPO / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "video.json").write_text(json.dumps({"frames": args.frames, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
