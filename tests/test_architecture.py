"""The layering rules of ../shared/ARCHITECTURE.md, checked by import-linter, and lazy TensorFlow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_import_contracts():
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_startup_imports_no_tensorflow_and_no_qt():
    code = (
        "import sys, yolo_desktop, yolo_desktop.cli, yolo_desktop.cli_detect, yolo_desktop.batch, "
        "yolo_desktop.export.writer, yolo_desktop.inference.detector, yolo_desktop.models\n"
        "heavy = sorted(m for m in ('tensorflow', 'keras', 'PySide6') if m in sys.modules)\n"
        "print(','.join(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
