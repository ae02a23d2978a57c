"""The coordinator, ``cluster status`` and the service's bridge are a light front: importing them loads no
TensorFlow, no LiteRT and no Qt (only the workers load a model)."""

from __future__ import annotations

import sys

from tests.conftest import REPO
from tests.support import processes


def test_front_imports_no_model_runtime_and_no_qt():
    code = (
        "import sys, yolo_desktop.cli.main, yolo_desktop.cli.cluster, yolo_desktop.cluster.coordinator, "
        "yolo_desktop.cluster.status, yolo_desktop.cluster.async_jobs, yolo_desktop.cluster.file_jobs\n"
        "heavy = sorted(m for m in ('tensorflow', 'keras', 'ai_edge_litert', 'openvino', 'PySide6')\n"
        "               if m in sys.modules)\n"
        "print(','.join(heavy))"
    )
    done = processes.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
