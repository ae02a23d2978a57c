"""Start-up time and memory growth.

Start-up (``--startup``): the real app launched from source as a new process (offscreen), with one photo to
open; it prints stamps when the window is shown and when the first result arrives (YOLO_DESKTOP_TRACE_STARTUP).
Cold = converted-model cache empty (TensorFlow must convert once); warm = cached (no TensorFlow imported).
Each is run several times; medians and min–max reported.

Memory (``--memory``): the real window processes 1000 distinct photos (640×480 JPEGs made from real sample
photos); RSS is read after 100 and after 1000 finished images. Only thumbnails and results (with their kept
candidates) should stay; full images must not accumulate. The CLI's batch loop is measured the same way.

    .venv/bin/python bench/bench_memory_startup.py --startup --memory [--runs 3] [--write-docs]
    .venv/bin/python bench/bench_memory_startup.py --startup --app dist/yolo-desktop/yolo-desktop [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
import doc_tables  # noqa: E402

SOURCES = ("coffee.png", "motorcycle_left.png", "camera.png", "astronaut.png", "chelsea.png", "rocket.jpg")


def many_photos(folder: Path, count: int) -> Path:
    import skimage

    folder.mkdir(parents=True, exist_ok=True)
    if len(list(folder.glob("*.jpg"))) >= count:
        return folder
    data = Path(skimage.__file__).parent / "data"
    rng = np.random.default_rng(7)
    sources = [cv2.imread(str(data / name)) for name in SOURCES]
    for i in range(count):
        image = sources[i % len(sources)]
        h, w = image.shape[:2]
        ch, cw = int(h * rng.uniform(0.7, 1.0)), int(w * rng.uniform(0.7, 1.0))
        y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
        crop = cv2.resize(image[y : y + ch, x : x + cw], (640, 480), interpolation=cv2.INTER_AREA)
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        cv2.imwrite(str(folder / f"img_{i:04d}.jpg"), crop, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return folder


def drop_page_cache() -> bool:
    """Cold start: nothing of the app in the OS file cache (needs root; otherwise runs stay warm)."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def launch(command: list[str], photo: Path, cache: Path, cold: bool = False) -> dict[str, float]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "YOLO_DESKTOP_TRACE_STARTUP": "exit",
        "YOLO_DESKTOP_CACHE": str(cache),
    }
    if cold:
        drop_page_cache()
    start = time.time()
    done = subprocess.run([*command, str(photo)], env=env, capture_output=True, text=True, timeout=300, cwd=REPO)
    stamps = {}
    for line in done.stdout.splitlines():
        if line.startswith("[startup] "):
            *words, stamp = line[len("[startup] ") :].split()
            stamps[" ".join(words)] = float(stamp) - start
    return stamps


def startup(runs: int, app: Path | None) -> dict:
    """From source: first launch converts the model (TensorFlow), later ones use the cache. Frozen (``app``):
    the converted models are bundled; cold = OS file cache dropped before the launch."""
    photo = REPO / "resources" / "sample.jpg"
    samples: dict[str, list[dict[str, float]]] = {}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as cache:
            if app is None:
                command = [sys.executable, "-m", "yolo_desktop"]
                samples.setdefault("from source, first run (converts the model once)", []).append(
                    launch(command, photo, Path(cache))
                )
                samples.setdefault("from source, converted model cached", []).append(
                    launch(command, photo, Path(cache))
                )
            else:
                cold = drop_page_cache()
                samples.setdefault(
                    "standalone, cold (file cache dropped)" if cold else "standalone, first run", []
                ).append(launch([str(app)], photo, Path(cache), cold=cold))
                samples.setdefault("standalone, warm", []).append(launch([str(app)], photo, Path(cache)))
    return {
        label: {key: [round(s[key], 3) for s in runs_] for key in ("window shown", "first result")}
        for label, runs_ in samples.items()
    }


def spread(values: list[float], digits: int = 2) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def startup_table(seconds: dict, runs: int) -> list[str]:
    return [
        f"| launch (median of {runs}, min–max) | window shown s | first result s |",
        "|---|---:|---:|",
        *(f"| {label} | {spread(s['window shown'])} | {spread(s['first result'])} |" for label, s in seconds.items()),
    ]


def memory_table(report: dict) -> list[str]:
    names = {"memory_gui": "the window", "memory_cli": "the `detect` loop"}
    return [
        "| 1000 distinct 640×480 photos, each run in a fresh process | RSS after 100 MB | after 1000 MB | growth MB |",
        "|---|---:|---:|---:|",
        *(
            f"| {names[key]} | {report[key]['rss_after_100_mb']} | {report[key]['rss_after_1000_mb']} | "
            f"{report[key]['growth_mb']} |"
            for key in names
            if key in report
        ),
    ]


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1e6


def memory_gui(folder: Path) -> dict:
    from PySide6.QtCore import QEventLoop

    from yolo_desktop.ui.app import make_application
    from yolo_desktop.ui.main_window import MainWindow
    from yolo_desktop.ui.settings_store import SettingsStore

    app = make_application()
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(SettingsStore(str(Path(tmp) / "s.ini")))
        window.show()
        window.start()
        marks: dict[int, float] = {}

        def done() -> int:
            return sum(e.status.value == "done" for e in window.session.entries)

        while window.session.model_state != "ready":
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        window.add_paths([str(folder)])
        start = time.time()
        while time.time() - start < 1800:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            count = done()
            if count >= 100 and 100 not in marks:
                marks[100] = rss_mb()
            if count >= 1000:
                app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 200)
                marks[1000] = rss_mb()
                break
        window.close()
    return {
        "rss_after_100_mb": round(marks[100], 1),
        "rss_after_1000_mb": round(marks[1000], 1),
        "growth_mb": round(marks[1000] - marks[100], 1),
    }


def memory_cli(folder: Path) -> dict:
    from yolo_desktop.export.writer import BackgroundWriter, BatchWriter
    from yolo_desktop.inference.detector import Detector
    from yolo_desktop.models.installed import find_model
    from yolo_desktop.pipeline.inputs import collect_inputs
    from yolo_desktop.pipeline.run import Job, Pipeline

    detector = Detector(find_model("yolov3-tiny"))
    items, _ = collect_inputs([folder])
    marks = {}
    with tempfile.TemporaryDirectory() as out:
        writer = BackgroundWriter(BatchWriter(Path(out), ["json", "csv"], images=True, names=detector.names))
        results = []
        jobs = (Job.file(item.path, tag=item) for item in items)
        for n, done in enumerate(Pipeline(detector).run(jobs), start=1):
            writer.add(done.job.tag, done.result, done.image)
            results.append(replace(done.result, candidates=None))  # as the CLI keeps them
            if n in (100, 1000):
                marks[n] = rss_mb()
        writer.finish(results, {}, {}, 0.0)
    return {
        "rss_after_100_mb": round(marks[100], 1),
        "rss_after_1000_mb": round(marks[1000], 1),
        "growth_mb": round(marks[1000] - marks[100], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--startup", action="store_true")
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--app", type=Path, help="a standalone build's yolo-desktop executable to time instead")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FOLDER"), help=argparse.SUPPRESS)
    doc_tables.add_option(parser)
    args = parser.parse_args()
    report: dict = {}
    if args.startup:
        report["startup_s"] = startup(args.runs, args.app)
        lines = startup_table(report["startup_s"], args.runs)
        print("\n".join(lines), flush=True)
        if args.write_docs:
            doc_tables.write("startup-standalone" if args.app else "startup", lines)
    if args.child:
        # One measurement in a clean process, so nothing this script imported counts.
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        print(
            json.dumps(memory_gui(Path(args.child[1])) if args.child[0] == "gui" else memory_cli(Path(args.child[1])))
        )
        return
    if args.memory:
        folder = many_photos(Path.home() / ".cache" / "yolo-desktop-bench" / "memory-1000", 1000)
        for kind, label in (("gui", "memory_gui"), ("cli", "memory_cli")):
            done = subprocess.run(
                [sys.executable, __file__, "--child", kind, str(folder)],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
            )
            report[label] = json.loads(done.stdout.strip().splitlines()[-1])
            print(label, report[label], flush=True)
        lines = memory_table(report)
        print("\n".join(lines), flush=True)
        if args.write_docs:
            doc_tables.write("memory", lines)
    out = REPO / "bench" / "results"
    out.mkdir(exist_ok=True)
    name = "startup_standalone.json" if args.app else "memory_startup.json"
    (out / name).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
