"""The layering rules of docs/architecture.md, checked by import-linter, lazy TensorFlow, and the document itself kept
current: it names every package and shared module, and the guides point to it, not outside the repository."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.support import processes


def test_import_contracts():
    lint = Path(sys.executable).parent / "lint-imports"
    done = processes.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_startup_imports_no_tensorflow_and_no_qt():
    code = (
        "import sys, yolo_desktop, yolo_desktop.cli.main, yolo_desktop.cli.detect, yolo_desktop.pipeline.inputs, "
        "yolo_desktop.export.writer, yolo_desktop.inference.detector, yolo_desktop.models.installed\n"
        "heavy = sorted(m for m in ('tensorflow', 'keras', 'PySide6') if m in sys.modules)\n"
        "print(','.join(heavy))"
    )
    done = processes.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_the_package_has_no_import_cycle():
    """Every import counts, lazy ones inside functions too: a cycle is a module pair that cannot be read alone."""
    import grimp

    graph = grimp.build_graph("yolo_desktop", include_external_packages=False)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in edges.get(module, ()):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_architecture_document_names_every_package_and_shared_module():
    document = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    package = REPO / "yolo_desktop"
    parts = sorted(
        p.name
        for p in package.iterdir()
        if (p.is_dir() and (p / "__init__.py").is_file()) or (p.suffix == ".py" and not p.name.startswith("__"))
    )
    missing = [
        name for name in parts if not re.search(rf"\b{re.escape(name.removesuffix('.py'))}(/|\.py|\b)", document)
    ]
    assert not missing, f"docs/architecture.md does not name {missing}"


def test_the_guides_point_to_the_architecture_document_in_the_repository():
    for name in ("README.md", "DEVELOPERS.md", "pyproject.toml"):
        text = (REPO / name).read_text(encoding="utf-8")
        assert "docs/architecture.md" in text, f"{name} does not link docs/architecture.md"
        assert "ARCHITECTURE.md" not in text.replace("docs/architecture.md", ""), (
            f"{name} points outside the repository"
        )
