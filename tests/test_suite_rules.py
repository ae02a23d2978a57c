"""Rules the test suite keeps about itself: the processes it starts die with it; a guard that needs ../shared never
skips where ../shared is; a run says what it skipped and why."""

from __future__ import annotations

import ast
import json
import signal
import sys
from pathlib import Path

import psutil

from tests.conftest import REPO
from tests.support import processes

# Run by hand with torch, outside the suite (its docstring says how): its children are its own business.
NOT_A_TEST = {"tests/support/make_onnx_fixtures.py", "tests/support/processes.py"}
SPAWNING = {("subprocess", "run"), ("subprocess", "Popen"), ("subprocess", "call"), ("subprocess", "check_call")}
SPAWNING |= {("subprocess", "check_output"), ("os", "system"), ("os", "fork"), ("os", "posix_spawn")}


def test_tests_start_processes_only_through_the_helper_that_ties_them_to_the_run():
    """``tests/support/processes.py`` (``popen``, ``run``) sets PR_SET_PDEATHSIG; a bare ``subprocess`` call would
    leave its child behind when the test process dies."""
    found = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        name = path.relative_to(REPO).as_posix()
        if name in NOT_A_TEST:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and (node.func.value.id, node.func.attr) in SPAWNING
            ):
                found.append(f"{name}:{node.lineno}: {node.func.value.id}.{node.func.attr}")
    assert not found, "start processes with tests.support.processes.popen/run:\n" + "\n".join(found)


TEST_PROCESS = """
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from tests.support.redis_server import RedisServer
server = RedisServer(Path(sys.argv[2])).start()
print(json.dumps({"pid": server.process.pid}), flush=True)
time.sleep(600)
"""


def test_a_redis_server_dies_with_the_test_process_that_started_it(tmp_path):
    """A stand-in for pytest starts a real redis-server as the fixtures do, then dies by SIGKILL (no teardown runs):
    the server goes too, where it used to be left running."""
    parent = processes.popen(
        [sys.executable, "-c", TEST_PROCESS, str(REPO), str(tmp_path)], stdout=processes.subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        server = psutil.Process(json.loads(parent.stdout.readline())["pid"])
        assert server.ppid() == parent.pid and Path(server.exe()).name.startswith("redis-server")
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
    gone, _alive = psutil.wait_procs([server], timeout=30)  # a deadline only: it goes at once
    assert gone, f"redis-server {server.pid} outlived the process that started it"


def test_a_guard_needing_shared_fails_where_shared_is_present_and_skips_where_it_is_not(tmp_path, monkeypatch):
    import pytest

    import tests.conftest as top

    missing = tmp_path / "no such cfg"
    monkeypatch.setattr(top, "SHARED", tmp_path)  # ../shared is there (as in CI), the file is not
    with pytest.raises(pytest.fail.Exception, match="missing although .* is present: the guard cannot run"):
        top.from_shared(missing, "the guard")
    monkeypatch.setattr(top, "SHARED", tmp_path / "absent")  # a checkout run by hand, without ../shared
    with pytest.raises(pytest.skip.Exception, match=r"not present \(the guard needs \.\./shared\)"):
        top.from_shared(missing, "the guard")
    assert top.from_shared(tmp_path, "the guard") == tmp_path


SKIPPING = """
import pytest

@pytest.mark.parametrize("n", [1, 2])
def test_without_a_tool(n):
    pytest.skip("the tool is not installed")

def test_without_bf16():
    pytest.skip("no bf16 here")

def test_runs():
    pass
"""


def test_the_run_ends_with_how_many_tests_were_skipped_and_why(tmp_path):
    (tmp_path / "test_skips.py").write_text(SKIPPING, encoding="utf-8")
    plugins = ["-p", "tests.support.skip_report", "-p", "no:cacheprovider"]
    done = processes.run(
        [sys.executable, "-m", "pytest", "-q", *plugins, "--rootdir", str(tmp_path), str(tmp_path / "test_skips.py")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    block = done.stdout.split(" 3 skipped ", 1)[1].splitlines()
    assert block[1:3] == ["   2 × the tool is not installed", "   1 × no bf16 here"], done.stdout


def _box(x: float, width: float = 10.0) -> list[float]:
    return [x, 0.0, x + width, 10.0]


def test_undecided_finds_what_a_last_bit_could_flip():
    """Boxes (px) and scores as a runtime gives them; what another processor's last bits could decide otherwise."""
    import numpy as np

    from tests.support.tolerance import undecided

    def unsure(boxes, scores, classes, conf=0.25, iou=0.45):
        order = np.argsort(-np.asarray(scores), kind="stable")
        got = undecided(np.array(boxes)[order], np.array(scores)[order], np.array(classes)[order], conf, iou)
        return dict(zip(order.tolist(), got.tolist()))

    # Apart from each other: only a score within 1e-4 of the threshold, on either side.
    assert unsure([_box(0), _box(100), _box(200), _box(300)], [0.9, 0.25005, 0.24995, 0.1], [0, 0, 0, 0]) == {
        0: False, 1: True, 2: True, 3: False,
    }  # fmt: skip
    # A clear suppression is decided; so are boxes of another class, however they overlap.
    assert unsure([_box(0), _box(1), _box(1)], [0.9, 0.5, 0.89995], [0, 0, 1]) == {0: False, 1: False, 2: False}
    # Two overlapping boxes of one class within 2e-4 of each other: either may survive, and so may what each
    # would suppress (C overlaps only B: kept exactly when A wins).
    tie = unsure([_box(0), _box(2), _box(4)], [0.9, 0.89995, 0.5], [0, 0, 0], iou=0.7)
    assert tie == {0: True, 1: True, 2: True}
    # An overlap the box tolerance (0.05 px) can move across the NMS threshold: IoU 0.45 ± 0.005 here.
    near = 10 * (1 - 0.45) / (1 + 0.45)  # the shift that gives IoU 0.45 between two 10 px boxes
    assert unsure([_box(0), _box(near)], [0.9, 0.5], [0, 0]) == {0: False, 1: True}
    assert unsure([_box(0), _box(near + 0.5)], [0.9, 0.5], [0, 0]) == {0: False, 1: False}


def test_same_detections_match_within_tolerance_and_only_undecided_ones_may_differ():
    import numpy as np
    import pytest

    from tests.support.tolerance import assert_same_detections

    ours = np.array([[*_box(0), 0.9, 1], [*_box(50), 0.8, 2], [*_box(100), 0.80005, 3]])
    theirs = ours[[0, 2, 1]] + np.array([0.04, 0, 0, -0.04, 5e-5, 0])  # 0.04 px, 5e-5, a near tie reordered
    assert assert_same_detections(ours, theirs, np.zeros((0, 6))) == 3
    with pytest.raises(AssertionError, match="missing from ours"):
        assert_same_detections(ours[:2], theirs, np.zeros((0, 6)))  # one is gone, and nothing made it undecided
    assert assert_same_detections(ours[:2], theirs, ours[2:]) == 2  # undecided: it may be gone
    with pytest.raises(AssertionError, match="missing from ours"):
        assert_same_detections(ours, ours + np.array([0.06, 0, 0, 0, 0, 0]), np.zeros((0, 6)))  # 0.06 px: another box
    swapped = np.array([[*_box(0), 0.9, 1], [*_box(50), 0.7, 2]])
    with pytest.raises(AssertionError, match="order differs"):
        assert_same_detections(swapped, swapped[::-1], np.zeros((0, 6)))
