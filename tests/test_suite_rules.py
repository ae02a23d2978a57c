"""Rules the test suite keeps about itself: the processes it starts die with it."""

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
