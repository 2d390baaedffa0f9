"""Debian Chromium on two HTTPS loopback sites (platform.test embedding tool.test, a test CA made here): with the
tool's cookies blocked inside the platform's frame by a content setting (not even partitioned cookies are kept),
deep linking and a resource-link launch finish through the recovery path (a top-level window, the frame collects
the launch); with cookies allowed the direct path is taken; a replayed or cross-browser state is refused."""

from __future__ import annotations

import json
import re
import ssl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bridge.app import create_app
from bridge.dataspace import service as dataspace_service
from bridge.db import Database
from bridge.ltitool.store import SqlToolConfigStore
from bridge.settings import Settings
from lti.config import PlatformRegistration
from tests.lti.platform import INSTRUCTOR, LEARNER, PendingLaunch, PlatformState, make_platform, new_state
from tests.lti.serving import serve
from tests.lti.tls import LoopbackPki, loopback_names, make_pki

CHROMIUM = "/usr/bin/chromium"
HOSTS = ("platform.test", "tool.test")


@dataclass
class Sites:
    platform: PlatformState
    tool_base: str
    pki: LoopbackPki
    tmp: Path

    def chromium_args(self) -> list[str]:
        return ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--host-resolver-rules=" + ",".join(f"MAP {h} 127.0.0.1" for h in HOSTS),
                f"--ignore-certificate-errors-spki-list={self.pki.spki_sha256}"]

    def hint(self, pending: PendingLaunch) -> str:
        hint = uuid.uuid4().hex
        self.platform.pending[hint] = pending
        return hint


@pytest.fixture
def sites(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sites]:
    pki = make_pki(tmp_path / "pki", HOSTS)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki.ca_pem))  # lti1p3platform fetches the tool's keys (requests)
    state = new_state()
    apps: list[FastAPI] = []

    def platform_app(base: str) -> object:
        state.base = base
        return make_platform(state)

    def tool_app(base: str) -> object:  # LEADS trusts the platform through LEADS_CA_BUNDLE, nothing else
        settings = Settings(data_dir=tmp_path / "var", base_url=base, load_sample=False, ca_bundle=pki.ca_pem)
        apps.append(create_app(settings, db))
        return apps[0]

    dataspace_service.load_sample_if_empty(db)
    tls = (pki.cert_pem, pki.key_pem)
    with loopback_names(*HOSTS), serve(platform_app, "platform.test", tls) as platform_base, \
            serve(tool_app, "tool.test", tls) as tool_base:
        state.tool_base = tool_base
        SqlToolConfigStore(db).save(PlatformRegistration(
            issuer=platform_base, client_id=state.client_id, auth_login_url=f"{platform_base}/authorize",
            auth_token_url=f"{platform_base}/token", key_set_url=f"{platform_base}/jwks",
            deployment_ids=(state.deployment_id,), name="lti1p3platform"))
        try:
            yield Sites(state, tool_base, pki, tmp_path)
        finally:
            apps[0].state.lti.close()


def _profile(directory: Path, block_tool_in_platform: bool) -> Path:
    """A Chromium profile; optionally the content setting "block cookies of tool.test under platform.test"."""
    default = directory / "Default"
    default.mkdir(parents=True)
    prefs: dict[str, Any] = {}
    if block_tool_in_platform:
        prefs = {"profile": {"content_settings": {"exceptions": {"cookies": {
            "[*.]tool.test,[*.]platform.test": {"setting": 2}}}}}}
    (default / "Preferences").write_text(json.dumps(prefs), encoding="utf-8")
    return directory


def _log(page: Any) -> list[str]:
    seen: list[str] = []
    page.context.on("request", lambda r: seen.append(f"{r.method} {r.url}"))
    return seen


@pytest.mark.browser
def test_blocked_frame_recovers_through_a_top_level_window(sites: Sites) -> None:
    from playwright.sync_api import expect, sync_playwright

    p = sites.platform
    deep = sites.hint(PendingLaunch("deeplink", "teacher-1", [INSTRUCTOR]))
    learn = sites.hint(PendingLaunch("resource", "learner-7", [LEARNER], custom={"leads_design": "glam-mc-rights"}))
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(_profile(sites.tmp / "blocked", True)), executable_path=CHROMIUM, headless=True,
            args=sites.chromium_args(), viewport={"width": 390, "height": 800})
        try:
            page = context.pages[0] if context.pages else context.new_page()
            seen = _log(page)
            # deep linking: the teacher's "Select content" inside the platform's frame
            page.goto(f"{p.base}/course/{deep}")
            frame = page.frame_locator("iframe[name=tool]")
            expect(frame.get_by_role("heading", name="One more step to open LEADS")).to_be_visible(timeout=15000)
            assert p.authorize_requests.get(deep) is None  # the platform's one-time login hint is still unused
            page.screenshot(path=str(sites.tmp / "recover.png"))
            allow = frame.get_by_role("button", name="Allow LEADS in this page")
            if allow.is_visible():  # Storage Access API: refused here, because a content setting blocks the cookies
                allow.click()
                expect(frame.get_by_text("The browser did not allow it")).to_be_visible(timeout=10000)
            with context.expect_page() as popup_info:
                frame.get_by_role("button", name="Open LEADS in a new window").click()
            popup = popup_info.value
            popup.wait_for_event("close", timeout=20000)  # login, platform, launch, relay: then it closes itself
            frame.get_by_role("button", name=re.compile("^Add “")).first.wait_for(timeout=15000)
            page.screenshot(path=str(sites.tmp / "picker.png"))
            frame.get_by_role("button", name=re.compile("^Add “")).first.click()
            expect(frame.locator("body")).to_contain_text('"accepted":true', timeout=15000)
            assert len(p.deep_link_items) == 1 and p.deep_link_items[0]  # the platform took the activities
            assert p.authorize_requests[deep] == 1  # the platform's login ran once, in the top-level window
            assert any("/lti/login/window" in s for s in seen) and any("/lti/resume/" in s for s in seen)

            # a student's embedded launch
            page.goto(f"{p.base}/course/{learn}")
            expect(frame.get_by_role("heading", name="One more step to open LEADS")).to_be_visible(timeout=15000)
            with context.expect_page() as popup_info:
                frame.get_by_role("button", name="Open LEADS in a new window").click()
            popup_info.value.wait_for_event("close", timeout=20000)
            expect(frame.get_by_text("Welcome, User learner-7")).to_be_visible(timeout=15000)
            assert "Rights and licensing" in frame.locator("main").inner_text()
            page.screenshot(path=str(sites.tmp / "learner.png"))
            assert p.authorize_requests[learn] == 1
            # the tool's cookies never reached the frame; the window's state cookie was cleared after its launch
            assert [c for c in context.cookies() if c["domain"] == "tool.test"] == []
        finally:
            context.close()


@pytest.mark.browser
def test_cookies_allowed_take_the_direct_path_and_replays_are_refused(sites: Sites) -> None:
    from playwright.sync_api import expect, sync_playwright

    p = sites.platform
    learn = sites.hint(PendingLaunch("resource", "learner-8", [LEARNER], custom={"leads_design": "glam-mc-rights"}))
    posted: list[dict[str, str]] = []
    set_cookies: list[str] = []
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(_profile(sites.tmp / "allowed", False)), executable_path=CHROMIUM, headless=True,
            args=sites.chromium_args())
        try:
            page = context.pages[0] if context.pages else context.new_page()
            seen = _log(page)
            context.on("request", lambda r: posted.append(dict(httpx.QueryParams(r.post_data or "")))
                       if r.method == "POST" and r.url.endswith("/lti/launch") else None)
            page.on("response", lambda r: set_cookies.extend(
                h["value"] for h in r.headers_array() if h["name"].lower() == "set-cookie"))
            page.goto(f"{p.base}/course/{learn}")
            frame = page.frame_locator("iframe[name=tool]")
            expect(frame.get_by_text("Welcome, User learner-8")).to_be_visible(timeout=15000)
            assert not any("/lti/login/window" in s or "/lti/resume/" in s for s in seen)
            assert sum("/lti/login/check" in s for s in seen) == 1 and len(context.pages) == 1
            # the partitioned state cookie was used once, then cleared
            assert any("Partitioned" in c and "Max-Age=0" in c for c in set_cookies), set_cookies
        finally:
            context.close()
    assert len(posted) == 1
    form = posted[0]
    state_cookie = next(c.split(";", 1)[0] for c in set_cookies if c.startswith("lti1p3-state-")
                        and "Max-Age=0" not in c)
    with httpx.Client(verify=ssl.create_default_context(cafile=str(sites.pki.ca_pem))) as http:
        launch = f"{sites.tool_base}/lti/launch"
        other_browser = http.post(launch, data=form, headers={"Accept": "application/json"})
        assert (other_browser.status_code, other_browser.json()["error"]) == (400, "state_mismatch")
        replay = http.post(launch, data=form, headers={"Accept": "application/json", "Cookie": state_cookie})
        assert (replay.status_code, replay.json()["error"]) == (401, "replayed_nonce")
        # nor can another browser collect what a recovery window finished: it lacks the frame's key
        relay = http.post(f"{sites.tool_base}/lti/login/relay", data={"state": form["state"], "key": "guess"},
                          headers={"Accept": "application/json"})
        assert relay.status_code == 403 and relay.json()["error"] == "state_mismatch"
