"""Real worker pools and commands for the cluster tests, UI tests and benchmarks: subprocesses of this checkout,
stopped by their PIDs (the pool and every process it started)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

from tests.support import processes

REPO = Path(__file__).resolve().parents[2]


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "yolo_desktop.cli", *args]


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return processes.run(
        cli_command(*args), env=cli_env(), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )


class WorkerPool:
    """``yolo-desktop worker --redis URL -n N`` as a real process tree, its output in ``log``."""

    def __init__(self, url: str, log: Path, processes: int = 2, heartbeat: float = 1.0, *extra: str) -> None:
        self.url, self.log, self.processes = url, Path(log), processes
        self.args = ["worker", "--redis", url, "-n", str(processes), "--heartbeat", str(heartbeat), *extra]
        self.process: subprocess.Popen[bytes] | None = None
        self._known: dict[int, psutil.Process] = {}

    def start(self, timeout: float = 120.0) -> WorkerPool:
        import redis
        from rq import Worker

        handle = open(self.log, "ab")  # noqa: SIM115 (the pool writes to it)
        self.process = processes.popen(
            cli_command(*self.args), env=cli_env(), stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        handle.close()
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + timeout
        while len([w for w in Worker.all(connection=client) if self.owns(w.pid)]) < self.processes:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker pool exited ({self.process.returncode}):\n{self.log.read_text()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"workers did not register within {timeout} s:\n{self.log.read_text()}")
            time.sleep(0.1)
        return self

    def descendants(self) -> list[psutil.Process]:
        if self.process is None:
            return []
        try:
            found = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            found = []
        for child in found:
            self._known.setdefault(child.pid, child)
        return found

    def owns(self, pid: int | None) -> bool:
        return pid is not None and any(p.pid == pid for p in self.descendants())

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> bool:
        """SIGTERM the pool (its workers finish their chunk), then SIGKILL whatever is left, each by its PID. True
        when the pool had exited by itself within the deadline (30 s; a warm stop takes 1–3 s)."""
        if self.process is None:
            return True
        self.descendants()
        warm = True
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                warm = False
                self.process.kill()
                self.process.wait(10)
        for child in self._known.values():
            try:
                if child.is_running():
                    child.kill()
                    child.wait(10)
            except psutil.NoSuchProcess:
                pass
        self.process = None
        return warm
