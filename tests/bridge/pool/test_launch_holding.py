"""Inside an LTI launch (lti1p3platform on loopback) the launch proves who the learner is: Ada takes her certificate
into a wallet from "My certificates" (the npm OpenID4VCI client follows the page's deep link) and publishes that
copy; Mallory's launch is refused Ada's certificate, whichever copy she pastes, with a message saying why."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest

from tests.bridge.ltitool.claims import learner_has_a_certificate
from tests.bridge.ltitool.conftest import Peers, peers  # noqa: F401  - the loopback platform + tool fixture
from tests.bridge.wallets.test_oid4vci import LDP, wallet
from tests.lti.platform import LEARNER, PendingLaunch

DESIGN = "glam-mc-rights"
SCREENS = Path("/work/notes/screens")
pytestmark = pytest.mark.node


def _deep_link(page: str) -> str:
    found = re.search(r'href="(openid-credential-offer://\?credential_offer=[^"]+)"', page)
    assert found, "no wallet offer on the page"
    return html.unescape(found.group(1))


def test_ada_takes_her_certificate_to_a_wallet_and_mallory_cannot_publish_it(peers: Peers) -> None:  # noqa: F811
    ada = learner_has_a_certificate(peers)
    claim = peers.http.get(f"{peers.tool_base}/awards/claim/{ada}").text
    assert _deep_link(claim) and "<svg" in claim  # the claim page offers it too (QR code and deep link)
    mine = peers.http.get(f"{peers.tool_base}/awards/mine/{ada}", headers={"Accept-Language": "es"}).text
    assert "Añadir a una aplicación de cartera (OpenID4VCI)" in mine
    assert "certificate.pdf" in mine and "linkedin.com/profile/add" in mine  # PDF and LinkedIn still there
    code, got = wallet(_deep_link(mine), "--config", LDP)
    assert code == 0, got
    bound = got["credentials"][LDP]
    assert bound["credentialSubject"]["id"] == got["holder"]
    awards = peers.http.get(f"{peers.tool_base}/awards/mine/{ada}", headers={"Accept": "application/json"}).json()
    name_only = peers.http.get(awards["awards"][0]["links"]["ob3"]).json()
    assert not str(name_only["credentialSubject"].get("id", "")).startswith("did:")  # names Ada, not a key

    r, _ = peers.launch(PendingLaunch("resource", "learner-2", [LEARNER]), accept="application/json")
    mallory = r.json()["launch_id"]
    for stolen in (name_only, bound):
        refused = peers.http.post(f"{peers.tool_base}/pool/launch/{mallory}/publish",
                                  data={"credential_text": json.dumps(stolen)})
        assert refused.status_code == 403
        assert "this credential was not issued to you" in refused.text
        assert "only your own certificates" in refused.text
    spanish = peers.http.post(f"{peers.tool_base}/pool/launch/{mallory}/publish",
                              data={"credential_text": json.dumps(bound)}, headers={"Accept-Language": "es"})
    assert "solo puede publicar sus propios certificados" in spanish.text  # the reason was English before
    assert "only your own certificates" not in spanish.text
    award = awards["awards"][0]["id"]
    refused = peers.http.post(f"{peers.tool_base}/pool/launch/{mallory}/publish/{award}")
    assert refused.status_code == 403 and "is not one of your issued certificates" in refused.text
    mallory_pool = peers.http.get(f"{peers.tool_base}/pool/launch/{mallory}", headers={"Accept": "application/json"})
    assert mallory_pool.json()["profile"] is None  # nothing was published, not even an empty profile

    published = peers.http.post(f"{peers.tool_base}/pool/launch/{ada}/publish",
                                data={"credential_text": json.dumps(bound)})
    assert published.status_code == 303, published.text
    handle = peers.http.get(f"{peers.tool_base}/pool/launch/{ada}", headers={"Accept": "application/json"}).json()[
        "profile"]
    page = peers.http.get(f"{peers.tool_base}/pool/people/{handle}").text
    assert "Holder proven: published by the learner from inside their course (LMS)." in page


@pytest.mark.browser
def test_the_wallet_offer_and_the_publish_form_fit_a_phone(peers: Peers, tmp_path: Path) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    from tests.bridge.dataspace.test_browser import ARGS, CHROMIUM

    ada = learner_has_a_certificate(peers)
    pages = {"my-certificates-wallet": f"{peers.tool_base}/awards/mine/{ada}",
             "pool-publish-form": f"{peers.tool_base}/pool/publish"}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for width in (390, 1280):
                page = browser.new_page(viewport={"width": width, "height": 900})
                for name, url in pages.items():
                    response = page.goto(url)
                    assert response is not None and response.ok
                    for summary in page.locator("details > summary").all():
                        summary.click()  # open the wallet offer (and the paste form)
                    wide = page.evaluate("[...document.querySelectorAll('body *')].filter(e => "
                                         "e.getBoundingClientRect().right > innerWidth + 1).map(e => e.tagName + "
                                         "'.' + e.className + ' ' + Math.round(e.getBoundingClientRect().width))")
                    assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width, wide)
                    shot = tmp_path / f"{name}-{width}.png"
                    page.screenshot(path=str(shot), full_page=True)
                    assert shot.stat().st_size > 5000
                    if SCREENS.parent.is_dir():
                        SCREENS.mkdir(exist_ok=True)
                        shutil.copy(shot, SCREENS / shot.name)
                page.close()
        finally:
            browser.close()
