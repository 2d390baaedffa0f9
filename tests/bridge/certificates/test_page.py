"""The certificate page: who, what, outcomes, ECTS/EQF, issuer, date, the live verification, links, downloads."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.bridge.certificates.conftest import Issued, Leads


class _Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _outline(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Outline()
    parser.feed(html)
    return parser.tags


def test_page_shows_the_certificate_and_says_verified(leads: Leads, ob3: Issued) -> None:
    r = leads.client.get(f"/credentials/{ob3.id}/certificate?lang=en")
    assert r.status_code == 200 and r.headers["content-language"] == "en"
    html = r.text
    for expected in ("Ada Lovelace", "Rights and licensing for GLAM uploads", "ECTS credits", "EQF level",
                     "LEADS learning data space", "did:web:testserver", "Learning outcomes", "Competences"):
        assert expected in html, expected
    assert 'data-verified="true"' in html and "Verified: this credential is genuine and valid." in html
    assert re.search(r'<li class="passed" data-check="proof">', html)
    assert 'href="/designs/glam-mc-rights?lang=en"' in html
    assert f'href="/credentials/{ob3.id}/download"' in html
    download = leads.client.get(f"/credentials/{ob3.id}/download", headers={"Accept": "text/html"})
    assert download.content == ob3.json_bytes and download.headers["content-type"] == "application/ld+json"
    assert "attachment" in download.headers["content-disposition"]
    assert f'href="/credentials/{ob3.id}/certificate.pdf?lang=en"' in html
    assert "<svg" in html and 'aria-label="Scan to verify this certificate"' in html


def test_page_is_accessible_in_structure(leads: Leads, ob3: Issued) -> None:
    tags = _outline(leads.client.get(f"/credentials/{ob3.id}/certificate").text)
    assert [t for t, _ in tags].count("h1") == 1
    html_tag = next(a for t, a in tags if t == "html")
    assert html_tag["lang"] == "en"
    assert any(t == "main" and a.get("id") == "main" for t, a in tags)
    assert any(t == "a" and a.get("class") == "skip" for t, a in tags)
    assert any(a.get("role") == "status" for _, a in tags)  # the verdict is announced
    assert all(a.get("aria-label") for t, a in tags if t == "nav")


def test_page_in_spanish_by_accept_language(leads: Leads, ob3: Issued) -> None:
    r = leads.client.get(f"/credentials/{ob3.id}/certificate", headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"})
    assert r.headers["content-language"] == "es"
    assert 'lang="es"' in r.text
    assert "Verificada: esta credencial es auténtica y válida." in r.text
    assert "Créditos ECTS" in r.text and "Resultados de aprendizaje" in r.text


def test_revoked_credential_page_says_so(leads: Leads) -> None:
    issued = leads.issue(name="Revoked Person")
    leads.revoke(issued)
    html = leads.client.get(f"/credentials/{issued.id}/certificate").text
    assert 'data-verified="false"' in html and 'data-verdict="revoked"' in html
    assert "Revoked: the issuer has revoked this credential. It is no longer valid." in html
    assert re.search(r'<li class="failed" data-check="status">', html)
    # the verdict comes before the certificate, and no PDF is offered …
    assert html.index('id="verdict"') < html.index('<article class="cert"')
    assert "certificate.pdf" not in html
    assert "The printable certificate is not available: the issuer has revoked this credential." in html
    # … and asking for it directly gets a page that says why
    pdf = leads.client.get(f"/credentials/{issued.id}/certificate.pdf?lang=es")
    assert pdf.status_code == 410 and pdf.headers["content-type"].startswith("text/html")
    assert "El certificado imprimible no está disponible: el emisor ha revocado esta credencial." in pdf.text


def test_suspended_credential_page_says_suspended_and_recovers(leads: Leads) -> None:
    issued = leads.issue(name="Suspended Person")
    admin = {"Authorization": "Bearer change-me-dev-only"}
    r = leads.client.post(f"/api/credentials/{issued.id}/suspend", json={"reason": "appeal"}, headers=admin)
    assert r.status_code == 200, r.text
    html = leads.client.get(f"/credentials/{issued.id}/certificate").text
    assert 'data-verdict="suspended"' in html and "revoked" not in html.split('id="verdict"')[1].split("</div>")[0]
    assert "Suspended: the issuer has suspended this credential. It is not valid for now." in html
    assert "certificate.pdf" not in html
    pdf = leads.client.get(f"/credentials/{issued.id}/certificate.pdf")
    assert pdf.status_code == 409 and "while the issuer has suspended this credential" in pdf.text
    leads.client.post(f"/api/credentials/{issued.id}/unsuspend", json={"reason": "cleared"}, headers=admin)
    html = leads.client.get(f"/credentials/{issued.id}/certificate").text
    assert 'data-verdict="verified"' in html and "certificate.pdf" in html
    assert leads.client.get(f"/credentials/{issued.id}/certificate.pdf").status_code == 200


def _og(html: str) -> dict[str, str]:
    return dict(re.findall(r'<meta property="og:(title|description)" content="([^"]*)">', html))


def test_a_withdrawn_certificate_is_not_offered_for_sharing_and_its_preview_says_why(leads: Leads) -> None:
    """A revoked or suspended credential's page offered "Add to LinkedIn" and share links, and its link preview
    (og:title, og:description) said "<name> earned …" as if nothing had happened (2026-12 audit)."""
    admin = {"Authorization": "Bearer change-me-dev-only"}
    revoked, suspended = leads.issue(name="Rev Oked"), leads.issue(name="Sus Pended")
    leads.revoke(revoked)
    assert leads.client.post(f"/api/credentials/{suspended.id}/suspend", json={"reason": "appeal"},
                             headers=admin).status_code == 200
    expected = {
        (revoked.id, "en"): ("Revoked: ", "the issuer has since revoked it"),
        (revoked.id, "es"): ("Revocada: ", "el emisor la ha revocado después"),
        (suspended.id, "en"): ("Suspended: ", "the issuer has suspended it for now"),
        (suspended.id, "es"): ("Suspendida: ", "el emisor la ha suspendido por ahora"),
    }
    for (cid, lang), (title, description) in expected.items():
        html = leads.client.get(f"/credentials/{cid}/certificate?lang={lang}").text
        assert "linkedin.com/profile/add" not in html and 'class="share-links"' not in html, (cid, lang)
        og = _og(html)
        assert og["title"].startswith(title) and description in og["description"], og
        assert f'<meta name="description" content="{og["description"]}">' in html
    leads.client.post(f"/api/credentials/{suspended.id}/unsuspend", json={"reason": "cleared"}, headers=admin)
    html = leads.client.get(f"/credentials/{suspended.id}/certificate?lang=en").text
    assert "linkedin.com/profile/add" in html and 'class="share-links"' in html
    assert _og(html)["description"].startswith("Sus Pended earned ")


def test_edc_page_shows_outcomes_from_the_credential(leads: Leads) -> None:
    edc = leads.issue(fmt="edc", name="Grace Hopper", grade=None)
    html = leads.client.get(f"/credentials/{edc.id}/certificate").text
    assert "Grace Hopper" in html and "Learning outcomes" in html and 'data-verified="true"' in html


def test_qr_images(leads: Leads, ob3: Issued) -> None:
    svg = leads.client.get(f"/credentials/{ob3.id}/qr.svg")
    assert svg.headers["content-type"] == "image/svg+xml" and svg.text.startswith("<svg")
    png = leads.client.get(f"/credentials/{ob3.id}/qr.png")
    assert png.headers["content-type"] == "image/png"
    import io

    from PIL import Image

    from tests.bridge.certificates.rendering import qr_texts

    assert qr_texts(Image.open(io.BytesIO(png.content))) == [ob3.url]
    offline = leads.client.get(f"/credentials/{ob3.id}/offline-qr.png")
    assert offline.status_code == 200
    assert leads.client.get(f"/credentials/{ob3.id}/qr.gif").status_code == 404


def test_unknown_credential_is_404(leads: Leads) -> None:
    r = leads.client.get("/credentials/00000000-0000-0000-0000-000000000000/certificate.pdf")
    assert r.status_code == 404


def test_jwt_credential_page(leads: Leads) -> None:
    jwt = leads.issue(fmt="jwt", name="Alan Turing")
    html = leads.client.get(f"/credentials/{jwt.id}/certificate").text
    assert "Alan Turing" in html and 'data-verified="true"' in html
