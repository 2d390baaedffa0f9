"""Headless Chromium on the pool search page: David searches a competence and finds Cat, verified."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.credentials.service import CredentialService, IssueInput
from bridge.credentials.verification import Verifier
from bridge.db import Database
from bridge.pool import service
from bridge.pool.verifier import PoolVerifier
from bridge.settings import Settings
from tests.bridge.dataspace.test_browser import ARGS, CHROMIUM, live_url

__all__ = ["live_url"]
SCREENS = Path("/work/notes/screens")


@pytest.mark.browser
def test_search_page_finds_cat(live_url: str, settings: Settings, db: Database, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    credentials = CredentialService(db, settings)
    issued = credentials.issue(IssueInput(design_key="glam-mc-rights", learner_name="Cat"))
    _, token = service.create_profile(db, handle="cat", display_name="Cat", languages=["es"])
    service.publish(db, PoolVerifier(Verifier(credentials)), handle="cat", token=token, credential=issued.document,
                    entity_base=settings.entity_base, holder_proof="lms")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 800}, java_script_enabled=False)
            response = page.goto(f"{live_url}/pool")
            assert response is not None and response.ok
            page.get_by_label("Competence").select_option(label="Copyright and licensing assessment")
            page.get_by_label("Works in the language").select_option(label="Spanish")
            page.get_by_role("button", name="Search").click()
            assert "competence=glam-copyright-assessment" in page.url and "language=es" in page.url
            page.wait_for_load_state()  # the click waits for the navigation to commit, not for the list to be parsed
            results = page.get_by_role("region", name="People matching (1)")
            assert results.get_by_role("link", name="Cat", exact=True).count() == 1
            assert "✔ verified" in results.inner_text() and "speaks Spanish" in results.inner_text()
            shot = tmp_path / "pool-search.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 5000
            if SCREENS.parent.is_dir():
                SCREENS.mkdir(exist_ok=True)
                shot.replace(SCREENS / "pool-search.png")

            page.get_by_role("link", name="Cat", exact=True).click()
            page.wait_for_load_state()
            assert page.get_by_role("heading", level=1).inner_text() == "Cat"
            assert page.get_by_role("link", name="Copyright and licensing assessment").count() == 1

            page.goto(f"{live_url}/pool?competence=glam-structured-data")
            assert page.get_by_role("region", name="People matching (0)").count() == 1
        finally:
            browser.close()
