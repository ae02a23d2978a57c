"""How late does the window's event loop get during a first run? A 10 ms QTimer on the GUI thread while the real
window starts with an EMPTY model cache (the model is converted on this run), then processes real photos plus
broken files (a header-only PNG claiming 1.6 GP, a real 144 MP PNG decompression bomb, a truncated JPEG, text
named .jpg). Each run is a fresh process (offscreen Qt); reported: max and p99 lateness, median and spread.

    .venv/bin/python bench/bench_gui_lateness.py [--runs 3] [--source DIR] [--write-docs]

``--source`` runs another checkout of the project (e.g. an older commit in a git worktree) with this same
scenario, for a before/after comparison in one session.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import doc_tables  # noqa: E402

CHILD = r"""
import json, os, sys, time
from pathlib import Path
sys.path.insert(0, os.environ["BENCH_SOURCE"])  # the project under test...
import yolo_desktop.ui.main_window  # noqa: F401  (imported from the source under test, before the next line)
sys.path.insert(0, os.environ["BENCH_REPO"])  # ...driven by this checkout's scenario helpers
from tests.ui.conftest import LatenessProbe, broken_files, many_photos
from tests.core.test_imaging import _png_bomb
from tests.conftest import skimage_data
from yolo_desktop.ui.app import make_application
from yolo_desktop.ui.main_window import MainWindow
from yolo_desktop.ui.settings_store import SettingsStore

work = Path(sys.argv[1])
folder = work / "photos"
many_photos(folder, skimage_data(), 12)
broken_files(folder)
(folder / "bomb.png").write_bytes(_png_bomb(12_000, 12_000))
app = make_application()
probe = LatenessProbe()
window = MainWindow(SettingsStore(str(work / "settings.ini")))
window.show()
probe.start()
started = time.perf_counter()
window.start()
window.add_paths([str(folder)])
def finished():
    entries = window.session.entries
    return len(entries) >= 16 and all(e.status.value in ("done", "failed") for e in entries)
while not finished():
    app.processEvents()
    time.sleep(0.002)
    if time.perf_counter() - started > 600:
        raise SystemExit("timed out")
report = probe.stop()
report["seconds"] = round(time.perf_counter() - started, 2)
window.close()
print(json.dumps(report))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--source", type=Path, default=REPO, help="project checkout to run (default: this one)")
    doc_tables.add_option(parser)
    args = parser.parse_args()
    source = args.source.resolve()
    reports = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="gui-lateness-") as work:
            env = {
                **os.environ,
                "QT_QPA_PLATFORM": "offscreen",
                "BENCH_REPO": str(REPO),
                "BENCH_SOURCE": str(source),
                "PYTHONPATH": str(source),
                "YOLO_DESKTOP_CACHE": str(Path(work) / "cache"),
                "YOLO_DESKTOP_MODELS": str(REPO / "weights"),
            }
            done = subprocess.run(
                [sys.executable, "-c", CHILD, work], capture_output=True, text=True, env=env, cwd=source, timeout=900
            )
            if done.returncode != 0:
                raise SystemExit(done.stderr[-3000:])
            reports.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(reports[-1], flush=True)
    lines = [
        f"| first run, 12 photos + broken files (median of {len(reports)} fresh processes, min–max) | |",
        "|---|---:|",
    ]
    for key, label in (("max_ms", "worst lateness ms"), ("p99_ms", "p99 lateness ms"), ("seconds", "run s")):
        values = [r[key] for r in reports]
        lines.append(f"| {label} | {statistics.median(values):.1f} ({min(values):.1f}–{max(values):.1f}) |")
    print("\n".join(lines))
    if args.write_docs:
        if source != REPO.resolve():
            raise SystemExit("--write-docs records this checkout's figures only (not --source)")
        doc_tables.write("gui-lateness", lines)


if __name__ == "__main__":
    main()
