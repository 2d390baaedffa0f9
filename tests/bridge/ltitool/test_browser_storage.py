"""Headless Chromium: a launch in an iframe whose cookies are blocked still works through the platform's
client-side storage (the tool's own postMessage scripts run for real)."""

from __future__ import annotations

import uuid

import pytest

from tests.bridge.ltitool.conftest import Peers
from tests.lti.platform import LEARNER, PendingLaunch

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        # a response fulfilled by Playwright has no address, so Chromium's local-network check would stop the
        # frame's next navigation to loopback; that check is not what this test is about
        "--disable-features=LocalNetworkAccessChecks"]


@pytest.mark.browser
def test_launch_in_an_iframe_without_cookies_uses_client_side_storage(peers: Peers) -> None:
    from playwright.sync_api import Route, sync_playwright

    hint = uuid.uuid4().hex
    peers.platform.pending[hint] = PendingLaunch("resource", "learner-7", [LEARNER],
                                                 custom={"leads_design": "glam-mc-rights"}, storage_target="_parent")
    blocked: list[str] = []

    def no_cookies(route: Route) -> None:  # what a browser blocking cookies in third-party iframes does
        response = route.fetch()
        route.request.frame.page.context.clear_cookies()  # fetch() shares the jar: drop what it stored
        headers = {k: v for k, v in response.headers.items() if k.lower() != "set-cookie"}
        blocked.extend(k for k in response.headers if k.lower() == "set-cookie")
        route.fulfill(response=response, headers=headers)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context()
            context.route(lambda url: url.startswith(f"{peers.tool_base}/lti/login"), no_cookies)
            page = context.new_page()
            page.goto(f"{peers.platform.base}/course/{hint}")
            frame = page.frame_locator("iframe[name=tool]")
            frame.get_by_text("Welcome, User learner-7").wait_for(timeout=15000)
            assert "Rights and licensing" in frame.locator("main").inner_text()
            assert page.evaluate("[window.__put, window.__get]") == [1, 1]
            assert blocked == ["set-cookie"] and context.cookies() == []  # the state cookie never reached the browser
        finally:
            browser.close()
