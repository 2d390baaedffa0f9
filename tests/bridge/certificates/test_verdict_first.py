"""Headless Chromium at a 390 px phone and a 1280 px desktop: the verdict is the first thing on the certificate page
(valid, revoked, suspended) and on /verify (valid, tampered, unknown issuer) — inside the first screen, above the
certificate — and a page never scrolls sideways. Screenshots of the first screen go to the ``shots`` folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.bridge.certificates.test_browser import ADMIN, Live, browser, live, pw_session, shots
from tests.bridge.trust.impostor import SelfSigned

__all__ = ["browser", "live", "pw_session", "shots"]
VIEWPORTS = {"phone": (390, 844), "desktop": (1280, 800)}


def _first_screen(page: Any, width: int, height: int, shot: Path) -> Any:
    """The verdict, after asserting it is fully inside the first screen and the page is no wider than it."""
    verdict = page.locator("#verdict")
    box = verdict.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, (shot.name, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, shot.name
    page.screenshot(path=str(shot))  # the first screen only: what a person sees before scrolling
    assert shot.stat().st_size > 5_000
    return verdict


@pytest.mark.browser
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_certificate_page_verdict_first(browser: Any, live: Live, shots: Path, device: str) -> None:
    width, height = VIEWPORTS[device]
    valid, _ = live.issue("Ada Lovelace")
    revoked, _ = live.issue("Revoked Person")
    suspended, _ = live.issue("Suspended Person")
    assert live.client.post(f"/api/credentials/{revoked}/revoke", json={"reason": "plagiarism"},
                            headers=ADMIN).status_code == 200
    assert live.client.post(f"/api/credentials/{suspended}/suspend", json={"reason": "appeal"},
                            headers=ADMIN).status_code == 200
    page = browser.new_page(viewport={"width": width, "height": height})
    expected = {valid: ("verified", "Verified"), revoked: ("revoked", "Revoked: the issuer has revoked"),
                suspended: ("suspended", "Suspended: the issuer has suspended")}
    for cid, (verdict_code, words) in expected.items():
        page.goto(f"{live.url}/credentials/{cid}/certificate")
        verdict = _first_screen(page, width, height, shots / f"certificate-{verdict_code}-{width}.png")
        assert verdict.get_attribute("data-verdict") == verdict_code and words in verdict.inner_text()
        cert = page.locator("article.cert").bounding_box()
        assert cert is not None and verdict.bounding_box()["y"] < cert["y"]  # above the certificate itself
        pdf_links = page.locator('a[href*="certificate.pdf"]').count()
        assert pdf_links == (1 if verdict_code == "verified" else 0)
    live.client.post(f"/api/credentials/{suspended}/unsuspend", json={"reason": "cleared"}, headers=ADMIN)
    page.goto(f"{live.url}/credentials/{suspended}/certificate")
    assert page.locator("#verdict").get_attribute("data-verdict") == "verified"  # unsuspended: back
    page.close()


def _paste(page: Any, live: Live, text: str) -> None:
    page.goto(f"{live.url}/verify")
    page.locator("#credential").fill(text)
    page.locator("#paste-form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_verify_page_verdict_first(browser: Any, live: Live, shots: Path, device: str) -> None:
    width, height = VIEWPORTS[device]
    _cid, raw = live.issue("Ada Lovelace")
    page = browser.new_page(viewport={"width": width, "height": height})

    _paste(page, live, raw.decode())
    verdict = _first_screen(page, width, height, shots / f"verify-valid-{width}.png")
    assert verdict.get_attribute("data-verdict") == "verified"
    assert "an issuer of this LEADS installation" in verdict.inner_text()

    tampered = json.loads(raw)
    tampered["credentialSubject"]["identifier"][0]["identityHash"] = "Mallory"
    _paste(page, live, json.dumps(tampered))
    verdict = _first_screen(page, width, height, shots / f"verify-tampered-{width}.png")
    assert verdict.get_attribute("data-verdict") == "invalid" and "altered" in verdict.inner_text()
    assert "Issued by" not in verdict.inner_text()  # a forged document gets no issuer's standing
    outcomes = {page.locator("ol.checks li").nth(i).get_attribute("data-check"):
                page.locator("ol.checks li").nth(i).get_attribute("class")
                for i in range(page.locator("ol.checks li").count())}
    assert outcomes == {"proof": "failed", **dict.fromkeys(("proof_purpose", "issuer", "validity", "status",
                                                             "shape"), "not_run")}

    impostor = SelfSigned()
    _paste(page, live, json.dumps(impostor.credential()))
    verdict = _first_screen(page, width, height, shots / f"verify-unknown-issuer-{width}.png")
    assert verdict.get_attribute("data-verified") == "false" and verdict.get_attribute("data-verdict") == "untrusted"
    text = verdict.inner_text()
    assert "the signature is intact but LEADS does not know this issuer" in text and impostor.did in text
    assert "(not known to LEADS)" in page.locator("dl.facts").inner_text()
    page.close()
