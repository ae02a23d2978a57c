"""What saving labels costs, to choose between a write per edit and a write-behind (``labels/write_behind.py``):
one atomic write of a small YOLO label file (temp file, fsync, rename), over N files, and opening a labels store
of N photos (listing only).

    .venv/bin/python bench/bench_label_writes.py [--files 10000] [--repeats 3] [--dir /some/disk] [--write-docs]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import doc_tables

from yolo_desktop.atomic import write_text
from yolo_desktop.labels.place import BESIDE, Place
from yolo_desktop.labels.store import LabelStore

LABEL = "0 0.500000 0.500000 0.200000 0.300000\n" * 5  # a photo with five boxes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", help="a folder on the disk to measure (default: the system's temp folder)")
    doc_tables.add_option(parser)
    args = parser.parse_args()
    writes, opens = [], []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory(dir=args.dir) as folder:
            root = Path(folder)
            start = time.perf_counter()
            for i in range(args.files):
                write_text(root / f"{i:05d}.txt", LABEL)
            writes.append((time.perf_counter() - start) / args.files * 1000)
            for i in range(args.files):
                (root / f"{i:05d}.jpg").write_bytes(b"")  # listed, never opened
            start = time.perf_counter()
            LabelStore(Place(root, root, BESIDE), readonly=True).close()
            opens.append(time.perf_counter() - start)

    def spread(values: list[float], unit: str, digits: int) -> str:
        return f"{statistics.median(values):.{digits}f} {unit} ({min(values):.{digits}f}–{max(values):.{digits}f})"

    lines = [
        "| what | median (min–max) of " + str(args.repeats) + " |",
        "|---|---|",
        f"| one atomic label write (temp file, fsync, rename), over {args.files:,} files | {spread(writes, 'ms', 2)} |",
        f"| opening a store of {args.files:,} photos, each with a label file (listing) | {spread(opens, 's', 3)} |",
    ]
    print("\n".join(lines))
    if args.write_docs:
        doc_tables.write("label-writes", lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
