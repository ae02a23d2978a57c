"""The drop page: its logic under Node's test runner, and the whole page in a real headless Chromium (Debian's,
driven by Playwright) against a real server: drop photos, see boxes, the table, counts; move the thresholds."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.support import processes
from tests.ui.conftest import broken_files

STATIC = Path(__file__).resolve().parents[2] / "yolo_desktop" / "service" / "static"


def test_page_logic_under_node():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (apt-get install nodejs): the page's logic is not tested without it")
    done = processes.run(
        [node, "--test", str(Path(__file__).parent / "js")], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^# fail 0$", done.stdout, re.M) and re.search(r"^# pass [1-9]", done.stdout, re.M)


def test_page_loads_nothing_from_the_internet():
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", text), path
        assert "http://" not in text and "https://" not in text, path


def test_drop_page_in_a_real_browser(server, browser, photos, tmp_path):
    broken_files(tmp_path)
    page = browser.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server.url + "/")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('Ready')", timeout=30_000)

    page.set_input_files("#files", [str(photos["coffee"]), str(photos["motorbike"]), str(tmp_path / "notes.jpg")])
    page.wait_for_function(
        "[...document.querySelectorAll('#photos .photo')].filter(c => ['done','failed'].includes(c.dataset.state))"
        ".length === 3",
        timeout=60_000,
    )
    cards = page.locator("#photos .photo")
    coffee, motorbike, notes = cards.nth(0), cards.nth(1), cards.nth(2)
    assert coffee.get_attribute("data-state") == "done" and motorbike.get_attribute("data-state") == "done"
    assert "cup" in coffee.locator(".detections tbody").inner_text()
    assert "motorbike" in motorbike.locator(".counts").inner_text()
    assert notes.get_attribute("data-state") == "failed"
    assert "notes.jpg: not a supported image" in notes.locator(".state").inner_text()
    totals = page.locator("#total-string").inner_text()
    assert "cup" in totals and "motorbike" in totals
    # The canvas shows the photo at its aspect, boxes drawn over it (some pixels in a box colour, not the photo's).
    size = coffee.locator("canvas").evaluate("c => [c.width, c.height]")
    assert size == [600, 400]
    rows_default = motorbike.locator(".detections tbody tr").count()

    page.eval_on_selector("#conf", "el => { el.value = '0.05'; el.dispatchEvent(new Event('input')); }")
    page.wait_for_function("(document.body.dataset.refiltered || '').includes('conf=0.05')", timeout=30_000)
    rows_low = motorbike.locator(".detections tbody tr").count()
    assert rows_low > rows_default
    page.fill("#classes", "motorbike")
    page.dispatch_event("#classes", "change")
    page.wait_for_function("(document.body.dataset.refiltered || '').includes('classes=motorbike')", timeout=30_000)
    labels = set(motorbike.locator(".detections tbody tr td:nth-child(2)").all_inner_texts())
    assert labels == {"motorbike"}
    assert coffee.locator(".counts").inner_text() == "nothing found"

    assert errors == []
    assert all(url.startswith(server.url) or url.startswith(("blob:", "data:")) for url in requests), requests
    assert any("/v1/results/" in url for url in requests)  # thresholds re-filtered on the server, no new upload
    assert sum("/v1/detect" in url for url in requests) == 3
    page.close()


def test_drop_page_asks_for_the_api_key(two_workers, browser, photos):
    from tests.service.conftest import API_KEY

    page = browser.new_page()
    page.goto(two_workers.url + "/")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('Ready')", timeout=30_000)
    assert page.locator("#key-label").is_hidden()
    page.set_input_files("#files", [str(photos["coffee"])])
    page.wait_for_function("document.querySelector('#photos .photo').dataset.state === 'failed'", timeout=30_000)
    assert page.locator("#key-label").is_visible() and "API key" in page.locator("#status").inner_text()
    page.fill("#api-key", API_KEY)
    page.set_input_files("#files", [str(photos["coffee"])])
    page.wait_for_function("document.querySelectorAll('#photos .photo')[1].dataset.state === 'done'", timeout=30_000)
    assert "cup" in page.locator("#photos .photo").nth(1).locator(".counts").inner_text()
    page.close()
