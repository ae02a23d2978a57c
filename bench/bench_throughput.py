"""Folder throughput: ``yolo-desktop detect`` vs a naive sequential loop, same photos, same run.

The photos: N ≥ 50 JPEGs of ≥ 3 MP, made from real sample photos (upscaled 4×, flipped, cropped, colour-shifted so
every file differs), cached between runs. The naive loop is what a script would do: for each file cv2.imread,
OpenCV DNN (the Darknet importer, same YOLOv3-tiny), NMS, draw, cv2.imwrite — one after another. Both write
annotated JPEGs. Reported: images/s of each and the ratio (goal ≥ 3×), medians (min–max) of ``--runs`` rounds.

    .venv/bin/python bench/bench_throughput.py [--count 60] [--precision accurate fast] [--runs 3] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from yolo_desktop.models.installed import find_model  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
import doc_tables  # noqa: E402

SOURCES = (
    "coffee.png",
    "motorcycle_left.png",
    "camera.png",
    "astronaut.png",
    "chelsea.png",
    "rocket.jpg",
    "motorcycle_right.png",
    "coins.png",
)


def make_photos(folder: Path, count: int) -> list[Path]:
    """``count`` distinct ≥ 3 MP JPEGs derived from the real sample photos (kept between runs)."""
    import skimage

    folder.mkdir(parents=True, exist_ok=True)
    existing = sorted(folder.glob("*.jpg"))
    if len(existing) >= count:
        return existing[:count]
    data = Path(skimage.__file__).parent / "data"
    rng = np.random.default_rng(42)
    sources = [cv2.imread(str(data / name), cv2.IMREAD_COLOR) for name in SOURCES]
    paths = []
    for i in range(count):
        image = sources[i % len(sources)]
        h, w = image.shape[:2]
        # Random crop keeping ≥ 85 % of each side, then up to ≥ 3 MP, mirrored every other round, colour shift.
        ch, cw = int(h * rng.uniform(0.85, 1.0)), int(w * rng.uniform(0.85, 1.0))
        y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
        crop = image[y : y + ch, x : x + cw]
        scale = np.sqrt(3.2e6 / (ch * cw))
        big = cv2.resize(crop, (round(cw * scale), round(ch * scale)), interpolation=cv2.INTER_CUBIC)
        if (i // len(sources)) % 2:
            big = big[:, ::-1]
        big = np.clip(big.astype(np.float32) * rng.uniform(0.85, 1.15, 3) + rng.uniform(-12, 12), 0, 255)
        path = folder / f"photo_{i:03d}.jpg"
        cv2.imwrite(str(path), big.astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 92])
        paths.append(path)
    return paths


def naive_loop(paths: list[Path], out: Path, cfg: Path, weights: Path, size: int = 416) -> float:
    """The straightforward script: read, OpenCV DNN, NMS, draw, write — sequentially. Returns seconds."""
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    net = cv2.dnn.readNetFromDarknet(str(cfg), str(weights))
    layers = net.getUnconnectedOutLayersNames()
    for path in paths:
        image = cv2.imread(str(path))
        h, w = image.shape[:2]
        net.setInput(cv2.dnn.blobFromImage(image, 1 / 255.0, (size, size), swapRB=True, crop=False))
        rows = np.concatenate(net.forward(layers))
        scores = rows[:, 5:].max(axis=1)
        keep = scores >= 0.25
        boxes = [
            [int((cx - bw / 2) * w), int((cy - bh / 2) * h), int(bw * w), int(bh * h)]
            for cx, cy, bw, bh in rows[keep, :4]
        ]
        classes = rows[keep, 5:].argmax(axis=1)
        for i in np.asarray(cv2.dnn.NMSBoxes(boxes, scores[keep].tolist(), 0.25, 0.45)).reshape(-1):
            x, y, bw, bh = boxes[i]
            cv2.rectangle(image, (x, y), (x + bw, y + bh), (0, 0, 255), 4)
            cv2.putText(
                image,
                f"{classes[i]} {scores[keep][i]:.2f}",
                (x, max(20, y - 6)),
                cv2.FONT_HERSHEY_SIMPLEX,
                1.2,
                (0, 0, 255),
                3,
            )
        cv2.imwrite(str(out / path.name), image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    return time.perf_counter() - start


def naive_detect_loop(paths: list[Path], out: Path, cfg: Path, weights: Path, size: int = 416) -> float:
    """The straightforward detection script, no drawing: read, letterbox (OpenCV's blobFromImage), forward, decode,
    NMS — sequentially. Returns seconds."""
    start = time.perf_counter()
    net = cv2.dnn.readNetFromDarknet(str(cfg), str(weights))
    layers = net.getUnconnectedOutLayersNames()
    for path in paths:
        image = cv2.imread(str(path))
        h, w = image.shape[:2]
        net.setInput(cv2.dnn.blobFromImage(image, 1 / 255.0, (size, size), swapRB=True, crop=False))
        rows = np.concatenate(net.forward(layers))
        scores = rows[:, 5:].max(axis=1)
        keep = scores >= 0.25
        boxes = [
            [int((cx - bw / 2) * w), int((cy - bh / 2) * h), int(bw * w), int(bh * h)]
            for cx, cy, bw, bh in rows[keep, :4]
        ]
        cv2.dnn.NMSBoxes(boxes, scores[keep].tolist(), 0.25, 0.45)
    return time.perf_counter() - start


def coco_photos(folder: Path, count: int) -> list[Path]:
    """``count`` COCO photos (~640×480 JPEGs): the labelled sample of ../shared, copied round as often as needed."""
    source = sorted((REPO.parent / "shared" / "data" / "coco-train-sample" / "images").glob("*.jpg"))
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"coco_{i:04d}.jpg"
        if not path.is_file():
            shutil.copyfile(source[i % len(source)], path)
        paths.append(path)
    return paths


FORCING = ("ONEDNN_MAX_CPU_ISA", "OPENCV_CPU_DISABLE", "YOLO_DESKTOP_LANES", "YOLO_DESKTOP_THREADS")


def ours(folder: Path, out: Path, precision: str, extra: list[str]) -> tuple[float, float]:
    """Wall seconds of the whole command, and its own images/s (model already cached)."""
    exe = Path(sys.executable).parent / "yolo-desktop"
    start = time.perf_counter()
    done = subprocess.run(
        [str(exe), "detect", str(folder), "-o", str(out), "--precision", precision, "--quiet", *extra],
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - start
    rate = float(done.stdout.split("(")[1].split(" images/s")[0])
    return wall, rate


def spread(values: list[float], digits: int = 1) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


OUTPUTS = (("annotated JPEGs + JSON/CSV", []), ("detections only (`--no-images`)", ["--no-images"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--precision", nargs="+", default=["accurate", "fast"])
    parser.add_argument("--runs", type=int, default=3, help="rounds, each the naive loop then every configuration")
    parser.add_argument(
        "--coco",
        type=int,
        default=0,
        metavar="N",
        help="N COCO photos instead (../shared's sample, copied round), detections only, against the naive loop "
        "without drawing (read, letterbox, forward, decode, NMS)",
    )
    doc_tables.add_option(parser)
    args = parser.parse_args()
    cache = Path(os.environ.get("YOLO_DESKTOP_BENCH_CACHE", Path.home() / ".cache" / "yolo-desktop-bench"))
    folder = cache / (f"coco-{args.coco}" if args.coco else f"throughput-{args.count}")
    paths = coco_photos(folder, args.coco) if args.coco else make_photos(folder, args.count)
    loop = naive_detect_loop if args.coco else naive_loop
    outputs = OUTPUTS[1:] if args.coco else OUTPUTS
    megapixels = np.mean([np.prod(cv2.imread(str(p)).shape[:2]) for p in paths[:5]]) / 1e6
    model = find_model("yolov3-tiny")
    print(f"{len(paths)} JPEGs of {megapixels:.1f} MP in {folder}", flush=True)
    naive_rates: list[float] = []
    # (precision, outputs) → per round: (images/s, × that round's naive loop, × naive with start-up included)
    ratios: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for precision in args.precision:
            # Warm the converted-model cache first (and calibrate the int8 model on these very photos).
            ours(folder, Path(tmp) / "warm", precision, ["--no-images"])
            shutil.rmtree(Path(tmp) / "warm", ignore_errors=True)
        for run in range(args.runs):
            naive_rate = len(paths) / loop(paths, Path(tmp) / "naive", model.cfg, model.weights)
            shutil.rmtree(Path(tmp) / "naive", ignore_errors=True)
            naive_rates.append(naive_rate)
            print(f"run {run + 1}: naive loop {naive_rate:.2f} images/s", flush=True)
            for precision in args.precision:
                for label, extra in outputs:
                    out = Path(tmp) / f"ours-{run}-{precision}-{len(extra)}"
                    wall, rate = ours(folder, out, precision, extra)
                    shutil.rmtree(out, ignore_errors=True)
                    sample = (rate, rate / naive_rate, (len(paths) / wall) / naive_rate)
                    ratios.setdefault((precision, label), []).append(sample)
                    print(f"run {run + 1}: {precision}, {label}: {rate:.1f} images/s", flush=True)
    lines = [
        "| precision | outputs | images/s | × naive | × naive, start-up included |",
        "|---|---|---:|---:|---:|",
    ]
    for (precision, label), samples in ratios.items():
        rates, vs_naive, vs_naive_wall = (list(column) for column in zip(*samples))
        lines.append(
            f"| {precision} | {label} | {spread(rates)} | {spread(vs_naive, 2)} | {spread(vs_naive_wall, 2)} |"
        )
    what = "read, OpenCV DNN, decode, NMS" if args.coco else "cv2.imread, OpenCV DNN, NMS, draw, cv2.imwrite"
    forced = ", ".join(f"{name}={os.environ[name]}" for name in FORCING if os.environ.get(name))
    lines += [
        "",
        f"{len(paths)} JPEGs of {megapixels:.1f} MP; the naive sequential loop ({what}) did "
        f"{spread(naive_rates)} images/s. Medians (min–max) of {args.runs} rounds"
        + (f"; forced: {forced}." if forced else "."),
    ]
    print("\n" + "\n".join(lines))
    if args.write_docs:
        name = "throughput" + ("-coco" if args.coco else "")
        doc_tables.write(name + ("-avx2" if os.environ.get("ONEDNN_MAX_CPU_ISA") == "AVX2" else ""), lines)
    out_dir = REPO / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    report = {
        "photos": len(paths),
        "megapixels": round(megapixels, 1),
        "naive_images_per_s": naive_rates,
        "rows": [
            {
                "precision": precision,
                "outputs": label,
                **dict(zip(("images_per_s", "vs_naive", "vs_naive_wall"), (list(c) for c in zip(*samples)))),
            }
            for (precision, label), samples in ratios.items()
        ],
    }
    (out_dir / "throughput.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
