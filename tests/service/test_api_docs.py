"""``/docs`` (Swagger UI) and ``/redoc`` work with no internet: their scripts and styles come from the server (the
fastapi-offline package), shown in a real headless Chromium whose every request off this server is aborted."""

from __future__ import annotations

import re

import httpx
import pytest

REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.mark.parametrize("page_path", ["/docs", "/redoc"])
def test_api_docs_pages_load_nothing_from_the_internet(server, page_path):
    html = httpx.get(server.url + page_path).text
    sources = re.findall(r"(?:src|href)=[\"']([^\"']+)", html)
    assert sources and all(source.startswith("/") for source in sources), sources
    for source in sources:
        reply = httpx.get(server.url + source)
        assert reply.status_code == 200 and len(reply.content) > 1000, source


def offline_page(server, browser):
    """A page that can reach only the server: anything else is aborted and recorded."""
    page = browser.new_page()
    outside: list[str] = []
    errors: list[str] = []

    def only_the_server(route) -> None:
        url = route.request.url
        if url.startswith(server.url) or url.startswith(("blob:", "data:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", only_the_server)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, outside, errors


def test_swagger_ui_shows_the_api_offline(server, browser):
    page, outside, errors = offline_page(server, browser)
    page.goto(server.url + "/docs")
    detection = page.locator(".opblock", has_text="/v1/vision/detection").first
    detection.wait_for(state="visible", timeout=30_000)
    assert page.locator(".opblock-summary-path", has_text="/v1/detect").first.is_visible()
    assert page.locator(".opblock").count() >= 10  # every route family is listed
    assert "YOLO Desktop" in page.locator(".info .title").inner_text()
    detection.locator(".opblock-summary").click()  # an operation opens, with its parameters
    page.locator(".opblock.is-open .parameters-container").first.wait_for(state="visible", timeout=10_000)
    assert outside == [] and errors == [], (outside, errors)
    page.close()


def test_redoc_shows_the_api_offline(server, browser):
    page, outside, errors = offline_page(server, browser)
    page.goto(server.url + "/redoc")
    page.get_by_text("/v1/vision/detection").first.wait_for(state="attached", timeout=30_000)
    assert page.get_by_role("heading", name=re.compile("YOLO Desktop")).first.is_visible()
    # ReDoc's "powered by" footer asks for its maker's logo, and hides itself when that cannot load.
    assert set(outside) <= {REDOC_LOGO} and errors == [], (outside, errors)
    page.close()
