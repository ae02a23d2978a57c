"""Redis unreachable (one line naming the URL, exit 2), a password-protected Redis, Redis restarted mid-batch
(the coordinator retries and finishes), Redis gone for good (it says what is left; --resume finishes)."""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.cluster.conftest import ALL_FORMATS, CHUNK, digest_tree
from tests.support import processes
from tests.support.cluster import WorkerPool, cli_command, cli_env, run_cli
from tests.support.redis_server import RedisServer, free_port
from yolo_desktop.cluster.connection import RedisUnavailable, connect


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """A password-protected Redis (restartable on its port) with 2 workers using redis://:PASSWORD@host."""
    server = RedisServer(tmp_path_factory.mktemp("redis"), password="s3cret").start()
    pool = WorkerPool(server.url, tmp_path_factory.mktemp("pool") / "workers.log").start()
    yield server, pool
    warm = pool.stop()
    server.stop()
    assert warm, f"the worker pool did not stop by itself on SIGTERM within 30 s:\n{pool.text()[-3000:]}"


def test_unreachable_redis_is_one_line_naming_the_url(photos, tmp_path):
    url = f"redis://:hidden@127.0.0.1:{free_port()}/0"
    for args in (
        ("detect", str(photos), "-o", str(tmp_path / "out"), "--cluster", url),
        ("worker", "--redis", url),
        ("cluster", "status", "--redis", url),
    ):
        done = run_cli(*args, timeout=60)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert "cannot reach Redis at redis://:***@127.0.0.1:" in lines[0] and "Connection refused" in lines[0]
        assert "hidden" not in done.stderr  # the password is never printed
    assert not (tmp_path / "out" / "detections.json").exists()
    with pytest.raises(RedisUnavailable, match=r"cannot reach Redis at rediss://:\*\*\*@127\.0\.0\.1"):
        connect(f"rediss://:x@127.0.0.1:{free_port()}/0", timeout=1)
    with pytest.raises(RedisUnavailable, match="is not a Redis URL"):
        connect("http://127.0.0.1:6379/0")


def test_password_protected_redis(guarded):
    server, _pool = guarded
    assert connect(server.url).ping()
    wrong = server.url.replace(":s3cret@", ":wrong@")
    for url in (wrong, f"redis://127.0.0.1:{server.port}/0"):
        with pytest.raises(RedisUnavailable, match="authentication failed.*redis://:PASSWORD@host"):
            connect(url)


def start_batch(photos, out, url, *extra: str) -> subprocess.Popen[str]:
    args = ["detect", str(photos), "-r", "-o", str(out), "--formats", ALL_FORMATS, "--quiet", "--cluster", url,
            "--chunk", str(CHUNK), *extra]  # fmt: skip
    return processes.popen(cli_command(*args), env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_part(out, process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not list((out / ".parts").glob("*.part.json")):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no chunk finished"
        time.sleep(0.01)


def test_redis_restarted_mid_batch_the_coordinator_retries_and_finishes(guarded, photos, local_reference, tmp_path):
    server, _pool = guarded
    out = tmp_path / "out"
    coordinator = start_batch(photos, out, server.url, "--redis-wait", "60")
    try:
        wait_for_part(out, coordinator)
        server.stop()  # an empty Redis comes back: every queued chunk is lost
        time.sleep(1.5)
        server.start()
        _stdout, stderr = coordinator.communicate(timeout=120)
    finally:
        if coordinator.poll() is None:
            coordinator.kill()
            coordinator.wait()
    assert coordinator.returncode == 1, stderr  # the broken file
    assert "is unreachable" in stderr and "is back" in stderr
    assert digest_tree(out) == digest_tree(local_reference)
    assert not (out / ".parts").exists()  # without --resume, OUT ends as a local run leaves it


def test_redis_gone_for_good_then_resume(guarded, photos, local_reference, tmp_path):
    server, _pool = guarded
    out = tmp_path / "out"
    coordinator = start_batch(photos, out, server.url, "--redis-wait", "2", "--resume")
    try:
        wait_for_part(out, coordinator)
        server.stop()
        _stdout, stderr = coordinator.communicate(timeout=120)
    finally:
        if coordinator.poll() is None:
            coordinator.kill()
            coordinator.wait()
        server.start()
    assert coordinator.returncode == 2
    message = stderr.strip().splitlines()[-1]
    assert "unreachable for more than 2 s" in message and "are not finished" in message
    assert "run the same command with --resume" in message
    assert not (out / "detections.json").exists()

    done = run_cli(*["detect", str(photos), "-r", "-o", str(out), "--formats", ALL_FORMATS, "--quiet", "--cluster",
                     server.url, "--chunk", str(CHUNK), "--resume"])  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "Resuming: " in done.stderr
    assert digest_tree(out) == digest_tree(local_reference)
