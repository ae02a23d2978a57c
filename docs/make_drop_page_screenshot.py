"""Regenerate docs/drop-page.png: a real server, three sample photos dropped on the page in Debian's chromium.

PYTHONPATH=. .venv/bin/python docs/make_drop_page_screenshot.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.conftest import skimage_data  # noqa: E402
from tests.service.conftest import start_server  # noqa: E402
from tests.service.test_drop_page import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        photos = []
        for name in ("motorcycle_left.png", "coffee.png", "astronaut.png"):
            photos.append(folder / name.replace(".png", ".jpg"))
            Image.open(skimage_data() / name).convert("RGB").save(photos[-1], quality=90)
        server = start_server(folder)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1100, "height": 760})
                page.goto(server.url + "/")
                page.wait_for_function("document.getElementById('status').textContent.startsWith('Ready')")
                page.set_input_files("#files", [str(p) for p in photos])
                page.wait_for_function(
                    "[...document.querySelectorAll('#photos .photo')].filter(c => c.dataset.state === 'done')"
                    f".length === {len(photos)}"
                )
                shot = folder / "shot.png"
                page.screenshot(path=str(shot))
                browser.close()
        finally:
            server.stop()
        target = REPO / "docs" / "drop-page.png"
        Image.open(shot).convert("RGB").quantize(colors=256).save(target, optimize=True)
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
