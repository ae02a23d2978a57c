"""Locate bundled resources (icon, sample photo) in a checkout, an installed wheel or a frozen app."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path | None:
    candidates = []
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        candidates.append(Path(sys._MEIPASS) / "resources")
    candidates.append(Path(__file__).resolve().parent.parent / "resources")  # source checkout
    candidates.append(Path(sys.prefix) / "share" / "yolo-desktop")  # wheel data-files
    return next((c for c in candidates if (c / "sample.jpg").is_file()), None)


def resource_path(name: str) -> Path | None:
    folder = resources_dir()
    return folder / name if folder is not None and (folder / name).is_file() else None
