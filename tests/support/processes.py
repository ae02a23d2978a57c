"""Every process the tests start dies with the test process.

Normal teardown stops each child by its PID (SIGTERM, then SIGKILL). But when the test process itself dies —
killed, or aborted inside a native library (glibc 2.36 once aborted a run in Qt's thread pool, exit 127) — no
teardown runs, and the Redis servers, HTTP servers, worker pools and coordinators it had started were left running
as orphans. On Linux the kernel can signal a child when its parent dies (``PR_SET_PDEATHSIG``); set in the child
between fork and exec, it survives the exec. SIGTERM, as the product's own workers use: a server or worker pool
then stops its own children too (uvicorn's workers, rq's work horses).

``popen`` and ``run`` are ``subprocess.Popen`` and ``subprocess.run`` with that set; the tests start processes only
through them (tests/test_suite_rules.py checks). The signal is tied to the *thread* that started the child: start
long-lived children from the test's own (main) thread, as the fixtures do.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

_PR_SET_PDEATHSIG = 1
# Resolved before any fork: the child, between fork and exec, only calls it (no import, no lookup).
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def _dies_with(parent: int) -> Callable[[], None]:
    def in_child() -> None:
        if _prctl is not None:
            _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before prctl: no one would send the signal
            os._exit(1)

    return in_child


def _with_death_signal(kwargs: dict[str, Any]) -> dict[str, Any]:
    if "preexec_fn" in kwargs:
        raise TypeError("tests.support.processes sets preexec_fn itself")
    return {**kwargs, "preexec_fn": _dies_with(os.getpid())}


def popen(command: Any, **kwargs: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen`` whose child gets SIGTERM when this process dies."""
    return subprocess.Popen(command, **_with_death_signal(kwargs))


def run(command: Any, **kwargs: Any) -> subprocess.CompletedProcess[Any]:
    """``subprocess.run`` whose child gets SIGTERM when this process dies (``timeout`` still kills it)."""
    return subprocess.run(command, **_with_death_signal(kwargs))
