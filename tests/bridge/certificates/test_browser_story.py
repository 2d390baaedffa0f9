"""Headless Chromium on the certificate's story: a phone photo of a whole two-code PDF read on /verify, and the
certificate page (single and stacked) at 390 and 1280 px without sideways scrolling. Screenshots go to a temporary
folder (copied to LEADS_SCREENSHOTS_DIR when set)."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageFilter

from tests.bridge.certificates.rendering import pdf_image, qr_texts
from tests.bridge.certificates.test_browser import ADMIN, Live, browser, live, pw_session, shots

__all__ = ["browser", "live", "pw_session", "shots"]  # fixtures shared with test_browser


def photo_of(page: Image.Image, *, angle: float = 3.5, width: int = 1400, seed: int = 7) -> bytes:
    """A phone-like photo of a printed page: on a grey desk, turned a little, smaller, blurred, noisy, as JPEG."""
    rng = random.Random(seed)
    desk = Image.new("RGB", (int(page.width * 1.15), int(page.height * 1.2)), (150, 146, 140))
    desk.paste(page.convert("RGB"), (int(page.width * 0.06), int(page.height * 0.09)))
    turned = desk.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(150, 146, 140))
    small = turned.resize((width, round(width * turned.height / turned.width)), Image.Resampling.LANCZOS)
    blurred = small.filter(ImageFilter.GaussianBlur(1.1))
    noise = Image.effect_noise(blurred.size, 28).convert("RGB")
    shaded = Image.blend(blurred, noise, 0.08)
    shaded = shaded.point(lambda v: min(255, int(v * 0.93 + 8 + rng.random())))
    out = io.BytesIO()
    shaded.save(out, format="JPEG", quality=82)
    return out.getvalue()


def _stacked(live: Live, name: str) -> str:
    r = live.client.post("/api/credentials", json={"design": "glam-archive-to-commons-certificate",
                                                   "learner": {"name": name}, "format": "ob3"}, headers=ADMIN)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.mark.browser
def test_a_photo_of_the_whole_two_code_pdf_opens_the_verification_url(browser: Any, live: Live, shots: Path,
                                                                       tmp_path: Path) -> None:
    cid, _ = live.issue("Photo Person")
    pdf = live.client.get(f"/credentials/{cid}/certificate.pdf").content
    render = pdf_image(pdf, scale=3)
    codes = qr_texts(render)
    assert len(codes) == 2 and any(c.startswith("VC1:") for c in codes)  # really two codes on the page
    render.save(shots / "pdf-single-en.png")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(photo_of(render))
    Image.open(photo).save(shots / "pdf-photo.png")
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{live.url}/verify")
    with page.expect_navigation(timeout=30_000):
        page.locator("#scan-photo").set_input_files(str(photo))
    assert page.url == f"{live.url}/credentials/{cid}"  # the URL code, not the offline one, was chosen
    assert page.get_by_role("status").get_attribute("data-verified") == "true"
    page.close()


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{page.url} is {width}px wide"


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280])
def test_certificate_pages_single_and_stacked(browser: Any, live: Live, shots: Path, width: int) -> None:
    single, _ = live.issue("Ada Lovelace")
    stacked = _stacked(live, "Grace Hopper")
    page = browser.new_page(viewport={"width": width, "height": 900})
    for name, cid, lang in (("single", single, "en"), ("stacked", stacked, "es")):
        page.goto(f"{live.url}/credentials/{cid}/certificate?lang={lang}")
        _no_sideways_scroll(page)
        assert page.locator('meta[property="og:image"]').get_attribute("content").endswith(f".png?lang={lang}")
        assert "linkedin.com/profile/add" in page.get_by_role("link", name="LinkedIn").first.get_attribute("href")
        page.screenshot(path=str(shots / f"certificate-{name}-{lang}-{width}.png"), full_page=True)
    assert page.locator("ol.parts li").count() == 3 and page.locator("ul.competences li").count() == 5
    page.goto(f"{live.url}/issuers/leads")
    _no_sideways_scroll(page)
    page.screenshot(path=str(shots / f"issuer-{width}.png"), full_page=True)
    page.close()


@pytest.mark.browser
def test_a_name_of_one_long_word_fits_a_phone(browser: Any, live: Live, shots: Path) -> None:
    """A learner's name with one word longer than a 390 px line (2026-12 audit: 577 px wide, the page scrolled
    sideways): the name breaks inside the word instead."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    for name in ("Hubert Wolfeschlegelsteinhausenbergerdorff", "Rhoshandiatellyneshiaunneveshenk Williams",
                 "Siddharthanarayanaswamy Venkataraman", "A" + "b" * 120):
        cid, _ = live.issue(name)
        for lang in ("en", "es"):
            page.goto(f"{live.url}/credentials/{cid}/certificate?lang={lang}")
            _no_sideways_scroll(page)
            right = page.evaluate("document.querySelector('.who').getBoundingClientRect().right")
            assert right <= 390, (name, lang, right)
    page.screenshot(path=str(shots / "certificate-long-name-390.png"), full_page=True)
    page.close()


@pytest.mark.browser
def test_of_two_codes_in_one_photo_the_verification_url_wins(browser: Any, live: Live, tmp_path: Path) -> None:
    """The dense offline code bigger and first (as on older prints): the page still picks the URL code."""
    import json

    from issuer.qr import make_qr, offline_qr

    cid, valid = live.issue("Two Codes")
    dense = Image.open(io.BytesIO(offline_qr(json.loads(valid)).png(module_px=6))).convert("RGB")
    url = Image.open(io.BytesIO(make_qr(f"{live.url}/credentials/{cid}").png(module_px=6))).convert("RGB")
    sheet = Image.new("RGB", (dense.width + url.width + 300, max(dense.height, url.height) + 200), "white")
    sheet.paste(dense, (60, 60))
    sheet.paste(url, (dense.width + 200, sheet.height - url.height - 60))
    photo = tmp_path / "two.jpg"
    photo.write_bytes(photo_of(sheet, angle=2.0, width=1500))
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{live.url}/verify")
    with page.expect_navigation(timeout=30_000):
        page.locator("#scan-photo").set_input_files(str(photo))
    assert page.url == f"{live.url}/credentials/{cid}"
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize(("width", "lang"), [(390, "es"), (1280, "en")])
def test_pool_profile_and_publish_flow(browser: Any, live: Live, shots: Path, tmp_path: Path, width: int,
                                       lang: str) -> None:
    """Open a profile (a mistake first: the input is kept), publish the certificate PDF (refused: a copy proves
    nothing, said in words), then the wallet's presentation: the profile confirms it."""
    import json

    from tests.bridge.pool.holding import Holder

    handle = f"ana-{width}"
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{live.url}/pool/profiles/new?lang={lang}")
    page.fill("#handle", "Ana Lopez")
    page.fill("#display_name", "Ana López")
    page.check('input[name="languages"][value="es"]')
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()  # a click waits for the navigation to commit; count() does not wait
    assert page.get_by_role("alert").count() == 1  # the server's words, in the page's language
    assert page.input_value("#handle") == "Ana Lopez" and page.input_value("#display_name") == "Ana López"
    assert page.is_checked('input[value="es"]')
    _no_sideways_scroll(page)
    page.screenshot(path=str(shots / f"pool-new-error-{lang}-{width}.png"), full_page=True)
    page.fill("#handle", handle)
    page.locator("form button[type=submit]").click()
    token = page.input_value("#token")
    _no_sideways_scroll(page)
    page.screenshot(path=str(shots / f"pool-token-{lang}-{width}.png"), full_page=True)

    holder = Holder()
    r = live.client.post("/api/credentials", json={"design": "glam-mc-rights", "format": "ob3",
                                                   "learner": {"name": "Ana López", "id": holder.did}}, headers=ADMIN)
    cid = r.json()["id"]
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(live.client.get(f"/credentials/{cid}/certificate.pdf").content)
    page.goto(f"{live.url}/pool/publish?handle={handle}&lang={lang}")
    page.fill("#token", token)
    page.set_input_files("#presentation_file", str(pdf))
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()  # a click waits for the navigation to commit; count() does not wait
    assert page.get_by_role("alert").count() == 1 and page.input_value("#handle") == handle
    _no_sideways_scroll(page)
    page.screenshot(path=str(shots / f"pool-publish-pdf-refused-{lang}-{width}.png"), full_page=True)

    challenge = page.locator("dl.challenge dd code").nth(0).inner_text()
    domain = page.locator("dl.challenge dd code").nth(1).inner_text()
    credential = json.loads(live.client.get(f"/credentials/{cid}?format=json").content)
    vp = tmp_path / "presentation.json"
    vp.write_text(json.dumps(holder.present(None, credential, challenge=challenge, domain=domain)))
    page.set_input_files("#presentation_file", str(vp))
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"**/pool/people/{handle}?done=published*")
    assert page.get_by_role("status").count() == 1
    _no_sideways_scroll(page)
    page.screenshot(path=str(shots / f"pool-profile-published-{lang}-{width}.png"), full_page=True)
    page.close()
