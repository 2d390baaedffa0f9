"""Headless-Chromium smoke test: a person opens the practice page, sees the heading, links and the map."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from bridge.app import create_app
from bridge.dataspace import service
from bridge.db import Database
from bridge.settings import Settings

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PRACTICE = "glam-archive-to-commons"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def live_url(settings: Settings, db: Database) -> Iterator[str]:
    """The real app under uvicorn on a free loopback port, in a thread, with the sample data space."""
    assert service.load_sample_if_empty(db) > 0
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, db), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.browser
def test_practice_page_in_chromium(live_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
            response = page.goto(f"{live_url}/practices")
            assert response is not None and response.ok
            page.get_by_role("link", name="Digitising a small archive and uploading it to Wikimedia Commons").click()
            page.wait_for_url(f"{live_url}/practices/{PRACTICE}")

            heading = page.get_by_role("heading", level=1)
            assert heading.inner_text() == "Digitising a small archive and uploading it to Wikimedia Commons"
            assert page.locator("html").get_attribute("lang") == "en"
            assert page.get_by_role("main").count() == 1
            for name in ("Activities", "Competences", "Credential designs", "Courses", "Competence map"):
                assert page.get_by_role("heading", level=2, name=name).count() == 1, name
            stack = page.get_by_role("link", name="Certificate: Digitising a small archive for Wikimedia Commons")
            assert stack.first.get_attribute("href") == "/designs/glam-archive-to-commons-certificate"
            assert page.locator('a[href="https://moodle.example.org/course/view.php?id=2"]').count() == 1

            img = page.get_by_role("img", name="Competence map of the practice", exact=False)
            img.wait_for()
            loaded = img.evaluate("el => el.complete && el.naturalWidth > 0 && el.naturalHeight > 0")
            assert loaded, "the competence map did not load"
            assert img.bounding_box() is not None
            css = page.evaluate("getComputedStyle(document.body).fontFamily")
            assert "system-ui" in css, "the stylesheet did not load"

            shot = tmp_path / "practice.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000

            stack.first.click()
            page.wait_for_url(f"{live_url}/designs/glam-archive-to-commons-certificate")
            assert page.get_by_role("heading", level=1).inner_text().startswith("Certificate:")
            page.get_by_role("link", name="Español").click()
            page.wait_for_url("**/designs/glam-archive-to-commons-certificate?lang=es")
            assert page.locator("html").get_attribute("lang") == "es"
            assert page.get_by_role("heading", level=1).inner_text().startswith("Certificado:")
        finally:
            browser.close()
