"""Write the service's OpenAPI schema: ``python -m yolo_desktop.service.openapi [FILE]`` (default:
``docs/openapi.json`` of the checkout). A test keeps that checked-in copy equal to what a running server serves,
so a change to the API shows up in review as a change to this file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ..atomic import write_text
from .app import create_app
from .config import ServiceConfig

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def schema() -> dict[str, Any]:
    return create_app(ServiceConfig()).openapi()  # the schema does not depend on the configuration


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else DEFAULT_PATH
    write_text(target, render(schema()))
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
