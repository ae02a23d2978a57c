"""The light front (``serve --redis``, queue workers detect) beside a local ``serve`` (the model in the server), on
the same photos, interleaved in the same run: a real Redis, real ``yolo-desktop worker`` processes, both servers.

Reported as medians and min–max over ``--runs`` rounds:

- synchronous ``POST /v1/detect`` (JSON) at concurrency 1 and 4: requests/s and p50 latency of each server, the
  ratio front / local, and what the queue adds to one request (p50 front − p50 local, concurrency 1);
- asynchronous ``POST /v1/jobs`` (``mode 2``: 202 at once; the worker also draws the annotated JPEG) with a client
  that submits everything, then follows the oldest pending job: submit p50, images/s until the last is done, beside
  the local server doing the same work (``/v1/detect?format=image``, concurrency 4);
- the front's own CPU per image (it decodes nothing) beside what protocol 1's inline upload cost the front (base64
  + JSON + rq's zlib of each photo, timed here on the same photos), Redis's commands and CPU per image, and the
  resident memory of the front and of the local server.

    .venv/bin/python bench/bench_serve_queue.py [--count 40] [--runs 3] [--workers 1] [--write-docs]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import doc_tables  # noqa: E402
from bench_serve import free_port, multipart, percentile, spread  # noqa: E402
from bench_throughput import make_photos  # noqa: E402

from tests.support.cluster import WorkerPool  # noqa: E402
from tests.support.redis_server import RedisServer  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(REPO)}
CONCURRENCY = (1, 4)


def start(port: int, log: Path, *extra: str) -> subprocess.Popen:
    with open(log, "wb") as handle:
        server = subprocess.Popen(
            [sys.executable, "-m", "yolo_desktop", "serve", "--port", str(port), "--queue", "256", "--log-level",
             "warning", *extra],
            env=ENV, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"serve exited: {log.read_text()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/v2/health/ready")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.kill()
    raise SystemExit(f"serve did not become ready: {log.read_text()}")


def post(connection: http.client.HTTPConnection, path: str, body: tuple[bytes, str]) -> tuple[int, bytes]:
    data, boundary = body
    connection.request("POST", path, data, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    reply = connection.getresponse()
    return reply.status, reply.read()


def load(port: int, bodies: list[tuple[bytes, str]], concurrency: int, path: str) -> tuple[float, list[float]]:
    """Every body once, ``concurrency`` streams at a time; (requests/s, latencies in seconds)."""
    latencies: list[float] = []
    lock = threading.Lock()
    order = iter(range(len(bodies)))
    failures: list[str] = []

    def stream() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        while True:
            with lock:
                index = next(order, None)
            if index is None:
                break
            begin = time.perf_counter()
            status, payload = post(connection, path, bodies[index])
            seconds = time.perf_counter() - begin
            if status != 200:
                failures.append(f"{status} {payload[:200]!r}")
            with lock:
                latencies.append(seconds)
        connection.close()

    threads = [threading.Thread(target=stream) for _ in range(concurrency)]
    begin = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - begin
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return len(bodies) / wall, latencies


def run_async(port: int, bodies: list[tuple[bytes, str]]) -> tuple[float, list[float]]:
    """Submit every photo as a job (one connection), then follow the oldest pending job until all are done;
    (images/s from the first submission to the last job done, submission latencies in seconds)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    begin = time.perf_counter()
    ids, submits = [], []
    for body in bodies:
        sent = time.perf_counter()
        status, payload = post(connection, "/v1/jobs", body)
        submits.append(time.perf_counter() - sent)
        if status != 202:
            raise SystemExit(f"job refused: {status} {payload[:200]!r}")
        ids.append(json.loads(payload)["id"])
    for job_id in ids:  # jobs run in order: the oldest pending one is the one to ask about
        while True:
            connection.request("GET", f"/v1/jobs/{job_id}")
            state = json.loads(connection.getresponse().read())
            if state["state"] == "done":
                break
            if state["state"] == "failed":
                raise SystemExit(f"job failed: {state}")
            time.sleep(0.01)
    wall = time.perf_counter() - begin
    connection.close()
    return len(bodies) / wall, submits


def inline_cost_ms(paths: list[Path]) -> list[float]:
    """What protocol 1 cost the front per photo: base64 inside the JSON job, which rq then zlib-compresses."""
    costs = []
    for path in paths:
        data = path.read_bytes()
        begin = time.perf_counter()
        zlib.compress(json.dumps({"data": base64.b64encode(data).decode("ascii")}).encode())
        costs.append((time.perf_counter() - begin) * 1000)
    return costs


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def redis_work(client) -> tuple[int, float]:
    stats = client.info("commandstats")
    return sum(v["calls"] for v in stats.values()), sum(v["usec"] for v in stats.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="queue worker processes (default 1)")
    doc_tables.add_option(parser)
    args = parser.parse_args()
    cache = Path(os.environ.get("YOLO_DESKTOP_BENCH_CACHE", Path.home() / ".cache" / "yolo-desktop-bench"))
    folder = cache / f"throughput-{args.count}"
    paths = make_photos(folder, args.count)
    bodies = [multipart(p) for p in paths]
    size_mb = statistics.mean(len(b) for b, _ in bodies) / 1e6
    print(f"{len(paths)} JPEGs ({size_mb:.1f} MB each) in {folder}; {os.cpu_count()} cores, load {os.getloadavg()}")

    work = Path(tempfile.mkdtemp(prefix="bench-serve-queue-"))
    redis_server = RedisServer(work / "redis").start()
    pool = WorkerPool(redis_server.url, work / "workers.log", args.workers, 10.0).start()
    local_port, front_port = free_port(), free_port()
    local = start(local_port, work / "local.log")
    front = start(front_port, work / "front.log", "--redis", redis_server.url)
    client = redis_server.client()
    sync: dict[str, dict[int, list[float]]] = {k: {c: [] for c in CONCURRENCY} for k in ("local", "front")}
    p50: dict[str, dict[int, list[float]]] = {k: {c: [] for c in CONCURRENCY} for k in ("local", "front")}
    async_rate, async_submit, annotated_local, front_cpu, redis_calls, redis_us = [], [], [], [], [], []
    try:
        load(local_port, bodies[:4], 1, "/v1/detect")  # warm both (the workers load their model now)
        load(front_port, bodies[: 4 * args.workers], 2 * args.workers, "/v1/detect")
        for run in range(args.runs):
            for c in CONCURRENCY:
                for name, port in (("local", local_port), ("front", front_port)):
                    cpu = cpu_seconds(front.pid)
                    rate, latencies = load(port, bodies, c, "/v1/detect")
                    sync[name][c].append(rate)
                    p50[name][c].append(percentile(latencies, 50) * 1000)
                    if name == "front":
                        front_cpu.append((cpu_seconds(front.pid) - cpu) / len(bodies) * 1000)
            annotated_local.append(load(local_port, bodies, 4, "/v1/detect?format=image")[0])
            calls, us = redis_work(client)
            cpu = cpu_seconds(front.pid)
            rate, submits = run_async(front_port, bodies)
            front_cpu.append((cpu_seconds(front.pid) - cpu) / len(bodies) * 1000)
            after = redis_work(client)
            redis_calls.append((after[0] - calls) / len(bodies))
            redis_us.append((after[1] - us) / len(bodies))
            async_rate.append(rate)
            async_submit.append(percentile(submits, 50) * 1000)
            print(
                f"run {run + 1}: "
                + "; ".join(
                    f"c={c} local {sync['local'][c][-1]:.1f} front {sync['front'][c][-1]:.1f} req/s"
                    for c in CONCURRENCY
                )
                + f"; async {rate:.1f} img/s (local annotated {annotated_local[-1]:.1f})",
                flush=True,
            )
        rss = {
            name: psutil.Process(p.pid).memory_info().rss / 2**20 for name, p in (("local", local), ("front", front))
        }
    finally:
        for server in (front, local):
            server.terminate()  # by its PID
            server.wait(30)
        pool.stop()
        redis_server.stop()

    print(f"\n{args.workers} queue worker process(es); medians (min–max) of {args.runs} rounds\n")
    lines = [
        "| synchronous `/v1/detect` | local req/s | front req/s | front / local | local p50 ms | front p50 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for c in CONCURRENCY:
        ratio = [f / local_rate for f, local_rate in zip(sync["front"][c], sync["local"][c])]
        lines.append(
            f"| concurrency {c} | {spread(sync['local'][c])} | {spread(sync['front'][c])} | {spread(ratio, 2)} | "
            f"{spread(p50['local'][c])} | {spread(p50['front'][c])} |"
        )
    added = [f - lo for f, lo in zip(p50["front"][1], p50["local"][1])]
    ratio = [a / lo for a, lo in zip(async_rate, annotated_local)]
    inline = inline_cost_ms(paths)
    lines += [
        "",
        f"- The queue adds {spread(added)} ms to one request (p50 front − p50 local, concurrency 1).",
        f"- Asynchronous jobs (the worker also draws the full-size annotated JPEG): {spread(async_rate)} images/s, "
        f"202 in {spread(async_submit)} ms (p50); the local server doing the same work (`/v1/detect?format=image`, "
        f"concurrency 4) {spread(annotated_local)} images/s: jobs / local {spread(ratio, 2)}.",
        f"- The front's CPU per image: {spread(front_cpu)} ms, all its work (HTTP, multipart, Redis, JSON); "
        f"protocol 1's inline upload alone would add {spread(inline)} ms per photo (base64 + JSON + zlib).",
        f"- Redis per asynchronous image: {spread(redis_calls)} commands, {spread(redis_us, 0)} µs of its CPU.",
        f"- Resident memory: front {rss['front']:.0f} MB, local server {rss['local']:.0f} MB.",
    ]
    print("\n".join(lines))
    if args.write_docs:
        doc_tables.write("queue-bench" if args.workers == 1 else f"queue-bench-workers-{args.workers}", lines)


if __name__ == "__main__":
    main()
