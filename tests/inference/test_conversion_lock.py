"""Two processes that need the same conversion make it once: the second waits for the first's lock, then finds the
model (inference/model_cache.making). A real second process holds the lock; the first's model is what is returned."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.support import processes
from yolo_desktop.inference.darknet_cfg import parse_cfg
from yolo_desktop.inference.errors import ModelError
from yolo_desktop.inference.model_cache import converted_target, model_key

# The other process: takes the lock on the target, says so, writes the "converted model" after a while, releases.
HOLDER = """
import sys, time
from pathlib import Path
from yolo_desktop.atomic import write_bytes
from yolo_desktop.inference.model_cache import making
target = Path(sys.argv[1])
with making(target):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    if sys.argv[3] == "write":
        write_bytes(target, b"made by the other process")
"""


def hold(target: Path, seconds: float, write: bool, cache: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "YOLO_DESKTOP_CACHE": str(cache)}
    child = processes.popen(
        [sys.executable, "-c", HOLDER, str(target), str(seconds), "write" if write else "no"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "locked"
    return child


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("YOLO_DESKTOP_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_conversion_another_process_is_making_is_waited_for_not_made_again(tiny_model, cache):
    from yolo_desktop.inference.converted import ensure_converted

    key = model_key(tiny_model.cfg, tiny_model.weights, "accurate")
    target = converted_target(tiny_model.name, key, "accurate")
    child = hold(target, 1.0, True, cache)
    try:
        start = time.perf_counter()
        found = ensure_converted(
            tiny_model.name, parse_cfg(tiny_model.cfg), tiny_model.cfg, tiny_model.weights, "accurate"
        )
        waited = time.perf_counter() - start
    finally:
        child.wait(timeout=30)
    assert found == target and found.read_bytes() == b"made by the other process"  # found, not converted again
    assert waited > 0.5  # it waited for the holder (its 1 s), rather than converting beside it


def test_a_holder_that_dies_releases_the_lock_and_a_cancelled_wait_stops(tiny_model, cache):
    from yolo_desktop.inference.converted import ensure_converted

    key = model_key(tiny_model.cfg, tiny_model.weights, "accurate")
    target = converted_target(tiny_model.name, key, "accurate")
    child = hold(target, 60.0, False, cache)
    try:
        cancel = threading.Event()
        threading.Timer(0.5, cancel.set).start()  # the window closing while it waits
        with pytest.raises(ModelError, match="stopped"):
            ensure_converted(
                tiny_model.name, parse_cfg(tiny_model.cfg), tiny_model.cfg, tiny_model.weights, "accurate",
                cancel=cancel,
            )  # fmt: skip
        child.kill()  # by its PID: the system releases its lock
        child.wait(timeout=30)
        from yolo_desktop.inference.model_cache import making

        with making(target):  # taken at once now
            assert not target.exists()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_the_conversion_child_runs_at_a_lower_priority_than_the_app(tiny_model, cache):
    """Converting is background work: the child lowers its own priority before importing TensorFlow, so the
    window's GUI thread is scheduled first on a busy machine."""
    import psutil

    from yolo_desktop.inference.convert_process import NICENESS
    from yolo_desktop.inference.converted import _convert_in_child

    key = model_key(tiny_model.cfg, tiny_model.weights, "accurate")
    target = converted_target(tiny_model.name, key, "accurate")
    cancel = threading.Event()
    seen: list[int] = []

    def watch() -> None:
        me = psutil.Process()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not seen:
            for child in me.children():
                try:
                    if "convert_process" in " ".join(child.cmdline()) and child.nice() != me.nice():
                        seen.append(child.nice() - me.nice())
                except psutil.Error:
                    continue
            time.sleep(0.02)
        cancel.set()  # stop the conversion once seen (or after the deadline)

    watcher = threading.Thread(target=watch)
    watcher.start()
    with pytest.raises(ModelError, match="stopped"):
        _convert_in_child(tiny_model.cfg, tiny_model.weights, "accurate", target, cancel)
    watcher.join()
    assert seen == [NICENESS]
    assert not target.exists()
