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


@pytest.mark.browser
def test_signing_in_with_wikimedia_and_deleting_the_profile_in_chromium(db: Database, tmp_path: Path) -> None:
    """The whole trip in a real browser: the profile's "Continue to Wikimedia" form posts here and is sent on to the
    wiki (which Chromium holds to the page's form-action), the wiki sends it back signed in, and "My certificates"
    deletes the profile. Without the wiki's origin in that page's form-action, Chromium stops at the first step."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright
    from pydantic import SecretStr

    from bridge.app import create_app
    from tests.bridge.pool.fakes import FakeWikiOAuth, WikiAccount
    from tests.lti.serving import serve as serve_app

    fake = FakeWikiOAuth(browser=WikiAccount("CatGLAM", 4711))
    _profile, token = service.create_profile(db, handle="cat", display_name="Cat GLAM")
    with serve(fake) as wiki_url:
        def app_at(base: str) -> object:
            fake.redirect_uri = f"{base}/pool/wiki/callback"
            return create_app(Settings(data_dir=tmp_path / "var", base_url=base, load_sample=False,
                                       wiki_oauth_rest_url=f"{wiki_url}/w/rest.php",
                                       wiki_oauth_client_id=fake.client_id,
                                       wiki_oauth_client_secret=SecretStr(fake.client_secret)), db)

        with serve_app(app_at) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_page(viewport={"width": 390, "height": 900})
                blocked: list[str] = []
                page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
                page.goto(f"{base}/pool/people/cat/wiki-login")
                page.fill("#token", token)
                page.get_by_role("button", name="Continue to Wikimedia").click()
                try:
                    page.wait_for_url(f"{base}/pool/people/cat", timeout=15_000)
                except PlaywrightTimeout:
                    pytest.fail(f"the sign-in stopped at {page.url}: {blocked}")
                assert not blocked, blocked
                assert "User:CatGLAM" in page.inner_text("main")

                page.goto(f"{base}/pool/mine?lang=es")
                page.get_by_text("Eliminar este perfil", exact=True).first.click()
                page.get_by_label("Sí, eliminar este perfil para siempre").check()
                page.get_by_role("button", name="Eliminar este perfil").click()
                page.wait_for_url(f"{base}/pool/mine?done=deleted")
                assert "Su perfil se ha eliminado" in page.inner_text("main")
                assert page.evaluate("document.documentElement.scrollWidth") <= 390
                assert page.goto(f"{base}/pool/people/cat") is not None
                assert "Cat GLAM" not in page.inner_text("main")
            finally:
                browser.close()


@pytest.mark.browser
def test_a_sign_in_link_opened_from_another_site_confirms_then_binds_in_chromium(db: Database, tmp_path: Path) -> None:
    """The link the API gives, clicked on a page of another site: the confirmation page names the profile, its form
    posts (the SameSite=Strict form cookie set by that page goes with it), the wiki (another site: LEADS is served
    as localhost, the wiki double as 127.0.0.1) sends the browser back, and the SameSite=Lax login cookie goes with
    that redirect, so the sign-in finishes in the browser that confirmed it."""
    import httpx
    from playwright.sync_api import sync_playwright
    from pydantic import SecretStr

    from bridge.app import create_app
    from tests.bridge.pool.fakes import FakeWikiOAuth, WikiAccount
    from tests.lti.serving import serve as serve_app

    fake = FakeWikiOAuth(browser=WikiAccount("CatGLAM", 4711))
    _profile, token = service.create_profile(db, handle="cat", display_name="Cat GLAM")
    with serve(fake) as wiki_url:
        def app_at(base: str) -> object:
            fake.redirect_uri = f"{base}/pool/wiki/callback"
            return create_app(Settings(data_dir=tmp_path / "var", base_url=base, load_sample=False,
                                       wiki_oauth_rest_url=f"{wiki_url}/w/rest.php",
                                       wiki_oauth_client_id=fake.client_id,
                                       wiki_oauth_client_secret=SecretStr(fake.client_secret)), db)

        with serve_app(app_at, host="localhost") as base, sync_playwright() as pw:
            link = httpx.post(f"{base}/api/pool/profiles/cat/wiki-login",
                              headers={"Authorization": f"Bearer {token}"}).json()["sign_in_url"]
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_page(viewport={"width": 390, "height": 900})
                page.set_content(f'<a id="go" href="{link}">a link in a message</a>')
                page.click("#go")
                page.wait_for_url(f"{base}/pool/people/cat/wiki-login?*")
                assert "You are about to show your Wikimedia account on the profile cat (Cat GLAM)." in \
                    page.inner_text("main")
                assert page.evaluate("document.documentElement.scrollWidth") <= 390
                page.get_by_role("button", name="Continue to Wikimedia").click()
                page.wait_for_url(f"{base}/pool/people/cat", timeout=15_000)
                assert "User:CatGLAM" in page.inner_text("main")
            finally:
                browser.close()
