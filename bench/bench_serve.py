"""The service vs the command line on the same photos, in one run: requests/s and latency of ``yolo-desktop serve``
(``POST /v1/detect``, JSON) at concurrency 1, 4 and 16, beside ``yolo-desktop detect --no-images`` (JSON) on the
same JPEGs. Reported: medians and min–max over ``--runs`` rounds (CLI and server interleaved in each), the ratio
server-throughput / CLI-throughput (goal ≥ 0.8 at concurrency ≥ 4) and p50 at concurrency 1 minus the CLI's
per-image time (goal ≤ 15 ms). The original Flask + Keras service took about 1.6 s per image on a CPU.

    .venv/bin/python bench/bench_serve.py [--count 160] [--runs 3] [--precision accurate] [--write-docs]
    .venv/bin/python bench/bench_serve.py --burst 40 --count 40 [--runs 3] [--write-docs]

``--burst N``: N DeepStack requests at once (several cameras triggering together), each on its own connection, to
a server at the defaults (admission by expected wait, ``--max-wait 10``) and to one with ``--queue 8`` (the old
default's count: 8 waiting, more refused); reported: answered, refused, the slowest answer and the whole burst.

The client is plain ``http.client`` with keep-alive, one connection per concurrent request stream, bodies encoded
ahead of time, so it takes as little CPU from the server as possible (they share the machine).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import doc_tables  # noqa: E402
from bench_throughput import make_photos  # noqa: E402

ORIGINAL_SECONDS_PER_IMAGE = 1.6
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def cli_rate(folder: Path, precision: str) -> float:
    """images/s the command line reports for its batch (model loading excluded, as the server's is)."""
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [sys.executable, "-m", "yolo_desktop", "detect", str(folder), "-o", out, "--no-images", "--formats",
             "json", "--precision", precision, "--quiet"],
            capture_output=True, text=True, check=True, env=ENV,
        )  # fmt: skip
    return float(done.stdout.split("(")[1].split(" images/s")[0])


def multipart(path: Path, field: str = "file") -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{path.name}"\r\n\r\n'
    return head.encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode(), boundary


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int, precision: str, log: Path, *options: str) -> subprocess.Popen:
    with open(log, "wb") as handle:
        server = subprocess.Popen(
            [sys.executable, "-m", "yolo_desktop", "serve", "--port", str(port), "--precision", precision,
             *options, "--log-level", "warning"],
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
    raise SystemExit("serve did not become ready")


def load(port: int, bodies: list[tuple[bytes, str]], concurrency: int) -> tuple[float, list[float]]:
    """Every body once, ``concurrency`` streams at a time; (requests/s, latencies in seconds)."""
    latencies: list[float] = []
    lock = threading.Lock()
    next_index = iter(range(len(bodies)))
    failures: list[str] = []

    def stream() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                break
            body, boundary = bodies[index]
            start = time.perf_counter()
            connection.request(
                "POST", "/v1/detect", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
            )
            reply = connection.getresponse()
            payload = reply.read()
            seconds = time.perf_counter() - start
            if reply.status != 200 or json.loads(payload)["images"][0]["error"]:
                failures.append(f"{reply.status} {payload[:200]!r}")
            with lock:
                latencies.append(seconds)
        connection.close()

    threads = [threading.Thread(target=stream) for _ in range(concurrency)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. {failures[0]}")
    return len(bodies) / wall, latencies


def burst(port: int, bodies: list[tuple[bytes, str]]) -> tuple[int, int, float, float]:
    """Every body at once, one connection each: (answered, refused, slowest answer s, whole burst s)."""
    statuses: list[int] = []
    answers: list[float] = []
    lock = threading.Lock()
    ready = threading.Barrier(len(bodies) + 1)

    def one(body: bytes, boundary: str) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        connection.connect()
        ready.wait()
        start = time.perf_counter()
        connection.request(
            "POST", "/v1/vision/detection", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )
        reply = connection.getresponse()
        reply.read()
        with lock:
            statuses.append(reply.status)
            if reply.status == 200:
                answers.append(time.perf_counter() - start)
        connection.close()

    threads = [threading.Thread(target=one, args=body) for body in bodies]
    for thread in threads:
        thread.start()
    ready.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    whole = time.perf_counter() - start
    others = [s for s in statuses if s not in (200, 503)]
    if others:
        raise SystemExit(f"unexpected statuses: {others}")
    return statuses.count(200), statuses.count(503), max(answers, default=0.0), whole


def run_bursts(paths: list[Path], size: int, runs: int, precision: str) -> list[str]:
    """The burst at each server configuration; returns the markdown table."""
    bodies = [multipart(p, "image") for p in paths[:size]]
    lines = [
        f"| burst of {size} DeepStack requests, server | answered | refused (503) | slowest answer s | whole burst s |",
        "|---|---:|---:|---:|---:|",
    ]
    configs = {"defaults (--max-wait 10)": (), "--queue 8 (the old default's count)": ("--queue", "8")}
    for name, options in configs.items():
        port = free_port()
        results = []
        with tempfile.TemporaryDirectory() as tmp:
            server = start_server(port, precision, Path(tmp) / "serve.log", *options)
            try:
                load(port, [multipart(p) for p in paths[:4]], 1)  # warm the server
                for _ in range(runs):
                    results.append(burst(port, bodies))
                    time.sleep(1)  # the server drains between bursts
            finally:
                server.terminate()  # by its PID
                server.wait(30)
        answered, refused, slowest, whole = zip(*results)
        print(
            f"burst of {size}, {name}: answered {spread(answered, 0)}, refused {spread(refused, 0)}, slowest answer "
            f"{spread(slowest, 2)} s, whole burst {spread(whole, 2)} s",
            flush=True,
        )
        lines.append(
            f"| {name} | {spread(answered, 0)} | {spread(refused, 0)} | {spread(slowest, 2)} | {spread(whole, 2)} |"
        )
    return lines


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def spread(values: list[float], digits: int = 1) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=160)  # 40 leaves c=16 with a long tail of idle streams
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--precision", default="accurate")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--burst", type=int, help="N requests at once instead (see above)")
    doc_tables.add_option(parser)
    args = parser.parse_args()
    cache = Path(os.environ.get("YOLO_DESKTOP_BENCH_CACHE", Path.home() / ".cache" / "yolo-desktop-bench"))
    folder = cache / f"throughput-{args.count}"
    paths = make_photos(folder, args.count)
    if args.burst:
        lines = run_bursts(paths, args.burst, args.runs, args.precision)
        print("\n" + "\n".join(lines))
        if args.write_docs:
            doc_tables.write("serve-burst", lines)
        return
    bodies = [multipart(p) for p in paths]
    size_mb = statistics.mean(len(b) for b, _ in bodies) / 1e6
    print(f"{len(paths)} JPEGs ({size_mb:.1f} MB each on average) in {folder}; {os.cpu_count()} cores", flush=True)

    cli_rate(folder, args.precision)  # warm: converted model cached, files in the OS cache
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(port, args.precision, Path(tmp) / "serve.log", "--queue", "64")
        try:
            load(port, bodies[:4], 1)  # warm the server
            cli: list[float] = []
            rates: dict[int, list[float]] = {c: [] for c in args.concurrency}
            p50: dict[int, list[float]] = {c: [] for c in args.concurrency}
            p99: dict[int, list[float]] = {c: [] for c in args.concurrency}
            ratios: dict[int, list[float]] = {c: [] for c in args.concurrency}
            for run in range(args.runs):
                cli.append(cli_rate(folder, args.precision))
                for c in args.concurrency:
                    rate, latencies = load(port, bodies, c)
                    rates[c].append(rate)
                    p50[c].append(percentile(latencies, 50) * 1000)
                    p99[c].append(percentile(latencies, 99) * 1000)
                    ratios[c].append(rate / cli[-1])
                print(
                    f"run {run + 1}: CLI {cli[-1]:.1f} img/s; "
                    + ", ".join(f"c={c} {rates[c][-1]:.1f} req/s p50 {p50[c][-1]:.0f} ms" for c in args.concurrency),
                    flush=True,
                )
        finally:
            server.terminate()  # by its PID
            server.wait(30)

    cli_ms = [1000 / r for r in cli]
    first = args.concurrency[0]
    lines = [
        "| concurrency | requests/s | p50 ms | p99 ms | server / CLI throughput |",
        "|---:|---:|---:|---:|---:|",
        *(
            f"| {c} | {spread(rates[c])} | {spread(p50[c])} | {spread(p99[c])} | {spread(ratios[c], 2)} |"
            for c in args.concurrency
        ),
        "",
        f"CLI batch (`detect --no-images --formats json`, {args.precision}): {spread(cli)} images/s = "
        f"{spread(cli_ms)} ms per image. p50 at concurrency {first} minus the CLI's per-image time: "
        f"{spread([a - b for a, b in zip(p50[first], cli_ms)])} ms (goal ≤ 15).",
    ]
    print("\n" + "\n".join(lines))
    per_image = statistics.median(p50[first]) / 1000
    print(
        f"The original service: ~{ORIGINAL_SECONDS_PER_IMAGE:.1f} s per image; this one: {per_image:.3f} s "
        f"({ORIGINAL_SECONDS_PER_IMAGE / per_image:.0f}× faster)"
    )
    if args.write_docs:
        doc_tables.write("serve-bench", lines)


if __name__ == "__main__":
    main()
