"""Headless Chromium at 390 px and 1280 px, English and Spanish: the evidence page, the profile with its verified
wiki user, the Wikimedia sign-in form, "My certificates" and the CapX report fit a phone."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge.credentials.service import CredentialService, IssueInput
from bridge.credentials.verification import Verifier
from bridge.db import Database
from bridge.pool import service, wikilogin
from bridge.pool.verifier import PoolVerifier
from bridge.settings import Settings
from tests.bridge.dataspace.test_browser import ARGS, CHROMIUM, live_url
from tests.bridge.pool.fakes import FakeCapx, serve

__all__ = ["live_url"]
SCREENS = Path("/work/notes/screens")


@pytest.fixture
def capx_url() -> Iterator[str]:
    with serve(FakeCapx()) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, capx_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "var", base_url="http://testserver", load_sample=False, capx_api_url=capx_url)


@pytest.mark.browser
def test_identity_pages_fit_a_phone(live_url: str, settings: Settings, db: Database, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    credentials = CredentialService(db, settings)
    issued = credentials.issue(IssueInput(design_key="glam-mc-rights", learner_name="Catalina de la Cruz Villanueva"))
    profile, token = service.create_profile(db, handle="cat", display_name="Catalina de la Cruz Villanueva")
    entry = service.publish(db, PoolVerifier(Verifier(credentials)), handle="cat", token=token,
                            credential=issued.document, entity_base=settings.entity_base, holder_proof="lms")
    now = datetime.now(UTC)
    identity = wikilogin.WikiIdentity("CatGLAM", "4711")
    wikilogin.bind(db, profile.id, identity, now)
    cookie = wikilogin.open_session(db, identity, now)
    pages = {"evidence": f"/pool/evidence/{entry.id}", "profile": "/pool/people/cat",
             "wiki-login": "/pool/people/cat/wiki-login", "mine": "/pool/mine", "capx-missing": "/pool/capx/missing"}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for width in (390, 1280):
                context = browser.new_context(viewport={"width": width, "height": 900})
                context.add_cookies([{"name": wikilogin.COOKIE, "value": cookie, "url": f"{live_url}/pool"}])
                page = context.new_page()
                for lang in ("en", "es"):
                    for name, path in pages.items():
                        response = page.goto(f"{live_url}{path}?lang={lang}")
                        assert response is not None and response.ok, (name, response and response.status)
                        wide = page.evaluate("[...document.querySelectorAll('body *')].filter(e => "
                                             "e.getBoundingClientRect().right > innerWidth + 1).map(e => e.tagName"
                                             " + ' ' + Math.round(e.getBoundingClientRect().width))")
                        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width, wide)
                        text = page.inner_text("main")
                        if name == "evidence":
                            assert ("Verified just now" if lang == "en" else "Verificada ahora mismo") in text
                        if name == "profile":
                            assert "User:CatGLAM" in text
                        if name == "mine":
                            assert "CatGLAM" in text and "Catalina" in text
                        shot = tmp_path / f"pool-{name}-{lang}-{width}.png"
                        page.screenshot(path=str(shot), full_page=True)
                        if SCREENS.parent.is_dir():
                            SCREENS.mkdir(exist_ok=True)
                            shutil.copy(shot, SCREENS / shot.name)
                context.close()
        finally:
            browser.close()
