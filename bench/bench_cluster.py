"""Cluster overhead: the same photos with a local ``detect`` and with ``detect --cluster`` on 1 and 2 local queue
workers (a real Redis, real worker processes), interleaved in the same run.

On one 2-core machine the point is overhead, not speed-up. Reported, as medians with min–max of ``--repeats``
runs: wall time of each command (process start to exit, model loading included for local; the workers are already
running, as they are in a cluster) and images/s; the cost of one chunk, from two chunk sizes on 1 worker
(``(t_small − t_large) / (chunks_small − chunks_large)``); Redis's own work per chunk (commands and CPU µs, from
``INFO commandstats``), which bounds how many chunks/s one Redis can serve. An estimate for N workers on N machines
follows from these.

    .venv/bin/python bench/bench_cluster.py [--count 96] [--repeats 3] [--chunk 16] [--small-chunk 4] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.conftest import skimage_data  # noqa: E402
from tests.support.cluster import WorkerPool, run_cli  # noqa: E402
from tests.support.redis_server import RedisServer  # noqa: E402
from tests.ui.conftest import many_photos  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
import doc_tables  # noqa: E402

LABELS = {
    "local": "local `detect`",
    "1 worker": "`--cluster`, 1 worker",
    "2 workers": "`--cluster`, 2 workers",
    "1 worker, small chunks": "`--cluster`, 1 worker, chunks of {small}",
}
SUMMARY = re.compile(r"(\d+) of (\d+) images processed in ([\d.]+) s")


BATCH_SECONDS: dict[str, list[float]] = {}  # what each command itself reports (local: after its model loaded)


def timed(*args: str, name: str = "") -> float:
    start = time.perf_counter()
    done = run_cli(*args, timeout=900)
    seconds = time.perf_counter() - start
    found = SUMMARY.search(done.stdout)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    if name:
        BATCH_SECONDS.setdefault(name, []).append(float(found.group(3)))
    return seconds


def redis_work(client) -> tuple[int, float]:
    """(commands, CPU µs) Redis has spent so far, from INFO commandstats."""
    stats = client.info("commandstats")
    return sum(v["calls"] for v in stats.values()), sum(v["usec"] for v in stats.values())


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=96)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=16)
    parser.add_argument("--small-chunk", type=int, default=4)
    doc_tables.add_option(parser)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    photos = work / "photos"
    many_photos(photos, skimage_data(), args.count)
    server = RedisServer(work / "redis").start()
    pools = {n: WorkerPool(server.url, work / f"pool{n}.log", n, 10.0, "--queue", f"q{n}").start() for n in (1, 2)}
    client = server.client()
    try:

        def cluster(n: int, chunk: int, out: str) -> list[str]:
            return ["detect", str(photos), "-o", str(work / out), "-q", "--cluster", server.url, "--queue", f"q{n}",
                    "--chunk", str(chunk)]  # fmt: skip

        for n in (1, 2):  # warm-up: each worker process loads its model on its first chunk
            timed(*cluster(n, args.chunk, f"warm{n}"))
        timed("detect", str(photos), "-o", str(work / "warm-local"), "-q")
        runs: dict[str, list[float]] = {"local": [], "1 worker": [], "2 workers": [], "1 worker, small chunks": []}
        redis_per_chunk: list[tuple[float, float]] = []
        for _ in range(args.repeats):
            runs["local"].append(timed("detect", str(photos), "-o", str(work / "local"), "-q", name="local"))
            before = redis_work(client)
            runs["1 worker"].append(timed(*cluster(1, args.chunk, "c1"), name="1 worker"))
            after = redis_work(client)
            chunks = -(-args.count // args.chunk)
            redis_per_chunk.append(((after[0] - before[0]) / chunks, (after[1] - before[1]) / chunks))
            runs["2 workers"].append(timed(*cluster(2, args.chunk, "c2"), name="2 workers"))
            runs["1 worker, small chunks"].append(
                timed(*cluster(1, args.small_chunk, "c1s"), name="1 worker, small chunks")
            )
    finally:
        for pool in pools.values():
            pool.stop()
        server.stop()

    large, small = -(-args.count // args.chunk), -(-args.count // args.small_chunk)
    overheads = [(s - t) / (small - large) for s, t in zip(runs["1 worker, small chunks"], runs["1 worker"])]
    local = statistics.median(runs["local"])
    report = {
        "photos": args.count,
        "chunk": args.chunk,
        "small_chunk": args.small_chunk,
        "repeats": args.repeats,
        "seconds": {name: summary(values) for name, values in runs.items()},
        "batch_seconds_reported": {name: summary(values) for name, values in BATCH_SECONDS.items()},
        "images_per_s": {name: args.count / statistics.median(values) for name, values in runs.items()},
        "time_vs_local": {name: statistics.median(values) / local for name, values in runs.items()},
        "overhead_per_chunk_s": summary(overheads),
        "redis_commands_per_chunk": summary([c for c, _ in redis_per_chunk]),
        "redis_cpu_us_per_chunk": summary([u for _, u in redis_per_chunk]),
    }
    print(json.dumps(report, indent=1))
    print()
    lines = [
        f"| run ({args.count} photos, chunks of {args.chunk}) | command wall s | images/s | wall / local | "
        "batch s as reported |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, stats in report["seconds"].items():
        batch = report["batch_seconds_reported"][name]
        label = LABELS.get(name, name).format(small=args.small_chunk)
        lines.append(
            f"| {label} | {stats['median']:.2f} ({stats['min']:.2f}–{stats['max']:.2f}) | "
            f"{report['images_per_s'][name]:.1f} | {report['time_vs_local'][name]:.2f} | "
            f"{batch['median']:.2f} ({batch['min']:.2f}–{batch['max']:.2f}) |"
        )
    o = report["overhead_per_chunk_s"]
    c, u = report["redis_commands_per_chunk"], report["redis_cpu_us_per_chunk"]
    lines += [
        "",
        f"Medians (min–max) of {args.repeats} repeats. Overhead per chunk (from chunks of {args.chunk} and "
        f"{args.small_chunk} on 1 worker): {o['median'] * 1000:.0f} ms ({o['min'] * 1000:.0f}–{o['max'] * 1000:.0f}); "
        f"Redis per chunk: {c['median']:.0f} commands, {u['median']:.0f} µs of its CPU.",
    ]
    print("\n".join(lines))
    if args.write_docs:
        doc_tables.write("cluster-bench", lines)


if __name__ == "__main__":
    main()
