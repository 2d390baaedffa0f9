"""The certificate's whole story: a stacked credential lists its parts (linked to the learner's own credentials),
all its competences with levels, its assessments, in the reader's language; issuer page, badge images, share and
LinkedIn links, Open Graph tags, download labels that say what the file is; the EDC page shows competences."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from PIL import Image

from bridge.certificates.badges import badge_png, designed_badge
from bridge.certificates.share import linkedin_add_url
from bridge.credentials.api import IssuedCredentialRow
from bridge.dataspace.api import CredentialDesign, EntityRepository, current_index
from bridge.settings import Settings
from tests.bridge.certificates.conftest import ADMIN, Leads


def _issue(leads: Leads, design: str, name: str, learner_id: str | None = None, fmt: str = "ob3") -> str:
    learner = {"name": name, **({"id": learner_id} if learner_id else {})}
    r = leads.client.post("/api/credentials", json={"design": design, "learner": learner, "format": fmt},
                          headers=ADMIN)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_stacked_page_tells_the_whole_story_in_spanish(leads: Leads) -> None:
    who = "mailto:grace@example.org"
    part = _issue(leads, "glam-mc-rights", "Grace Hopper", who)
    stacked = _issue(leads, "glam-archive-to-commons-certificate", "Grace Hopper", who)
    page = leads.client.get(f"/credentials/{stacked}/certificate", params={"lang": "es"})
    assert page.status_code == 200
    html, text = page.text, _text(page.text)
    assert "Certificado: Digitalizar un pequeño archivo para Wikimedia Commons" in text
    assert "Certificate: Digitising" not in html  # no English title mixed with Spanish outcomes
    parts = re.findall(r'<ol class="parts">(.*?)</ol>', html, re.S)[0]
    assert parts.count("<li>") == 3
    assert f'href="/credentials/{part}/certificate?lang=es"' in parts  # the part she holds: her own credential
    assert 'href="/designs/glam-mc-digitisation?lang=es"' in parts  # a part she does not hold: its design
    competences = re.findall(r'<ul class="competences">(.*?)</ul>', html, re.S)[0]
    assert competences.count("<li>") == 5 and "nivel 3 · Domina" in competences and "nivel 2 · Aplica" in competences
    assert "Cuestionario sobre derechos" in text and "Proyecto de subida a Commons" in text  # the parts' assessments
    assert 'href="/issuers/leads?lang=es"' in html and "Espacio de datos de aprendizaje LEADS" in text
    assert 'src="/badges/glam-archive-to-commons-certificate.svg?lang=es"' in html


def test_a_stack_counts_only_the_parts_that_stand(leads: Leads) -> None:
    """A part the learner holds but whose credential is suspended or expired is not "held" (2026-12 audit: it was,
    and linked): its status shows instead, and the link goes to the part's design."""
    who = "mailto:hedy@example.org"
    standing = _issue(leads, "glam-mc-rights", "Hedy Lamarr", who)
    suspended = _issue(leads, "glam-mc-digitisation", "Hedy Lamarr", who)
    expired = _issue(leads, "glam-mc-commons-upload", "Hedy Lamarr", who)
    r = leads.client.post(f"/api/credentials/{suspended}/suspend", json={"reason": "appeal"}, headers=ADMIN)
    assert r.status_code == 200
    db = leads.client.app.state.db  # type: ignore[attr-defined]
    with db.session() as session:  # its validity ended yesterday (the story reads the stored document)
        row = session.get(IssuedCredentialRow, expired)
        row.document = {**row.document, "validUntil": (datetime.now(UTC) - timedelta(days=1)).isoformat()}
    stacked = _issue(leads, "glam-archive-to-commons-certificate", "Hedy Lamarr", who)
    for lang, words in (("en", ("held", "suspended by its issuer", "expired")),
                        ("es", ("obtenida", "suspendida por su emisor", "caducada"))):
        html = leads.client.get(f"/credentials/{stacked}/certificate", params={"lang": lang}).text
        items = re.findall(r"<li>(.*?)</li>", re.findall(r'<ol class="parts">(.*?)</ol>', html, re.S)[0], re.S)
        assert len(items) == 3
        by_design = dict(zip(("glam-mc-rights", "glam-mc-digitisation", "glam-mc-commons-upload"), items,
                             strict=True))  # the stack's order
        assert f'href="/credentials/{standing}/certificate?lang={lang}"' in by_design["glam-mc-rights"]
        assert f">{words[0]}</span>" in by_design["glam-mc-rights"]
        for design, cid, word in (("glam-mc-digitisation", suspended, words[1]),
                                  ("glam-mc-commons-upload", expired, words[2])):
            assert f'href="/designs/{design}?lang={lang}"' in by_design[design] and cid not in by_design[design]
            assert f">{word}</span>" in by_design[design] and f">{words[0]}</span>" not in by_design[design]


def test_open_graph_share_linkedin_and_download_labels(leads: Leads) -> None:
    cid = _issue(leads, "glam-mc-rights", "Ada Lovelace")
    html = leads.client.get(f"/credentials/{cid}/certificate").text
    og = dict(re.findall(r'<meta property="og:([a-z:_]+)" content="([^"]*)"', html))
    assert og["title"].startswith("Micro-credential: Rights and licensing") and og["url"].endswith(cid)
    assert og["image"] == "http://testserver/badges/glam-mc-rights.png?lang=en" and og["locale"] == "en_GB"
    linkedin = re.search(r'href="(https://www.linkedin.com/profile/add\?[^"]+)"', html).group(1)  # type: ignore[union-attr]
    query = parse_qs(urlparse(linkedin.replace("&amp;", "&")).query)
    assert query["organizationName"] == ["LEADS learning data space"] and query["certId"] == [cid]
    assert query["certUrl"] == [f"http://testserver/credentials/{cid}"]
    assert "Open Badge 3.0 credential (JSON-LD)" in html and "sharing/share-offsite" in html
    jwt = _issue(leads, "glam-mc-rights", "Alan Turing", fmt="jwt")
    page = leads.client.get(f"/credentials/{jwt}/certificate").text
    downloads = page.split('id="downloads-heading"', 1)[1]
    assert "Signed credential (VC-JOSE, JWT)" in downloads and "JSON-LD" not in downloads


def test_linkedin_organisation_comes_from_settings(tmp_path: Path) -> None:
    issued = datetime(2026, 5, 4, tzinfo=UTC)
    by_id = linkedin_add_url(Settings(data_dir=tmp_path, linkedin_organization_id="1337"), name="X",
                             organization="Issuer", issued=issued, url="https://l.example/c/1", credential_id="1")
    assert "organizationId=1337" in by_id and "organizationName" not in by_id and "issueMonth=5" in by_id
    by_name = linkedin_add_url(Settings(data_dir=tmp_path, linkedin_organization_name="Wikimedia España"),
                               name="X", organization="Issuer", issued=issued, url="https://l.example/c/1",
                               credential_id="urn:uuid:1")
    assert parse_qs(urlparse(by_name).query)["organizationName"] == ["Wikimedia España"]


def test_the_edc_page_shows_competences(leads: Leads) -> None:
    cid = _issue(leads, "glam-mc-rights", "Grace Hopper", fmt="edc")
    html = leads.client.get(f"/credentials/{cid}/certificate").text
    assert '<ul class="competences">' in html and "Copyright and licensing assessment" in html
    assert "European Digital Credential (JSON-LD)" in html


def test_issuer_page_and_badges(leads: Leads, tmp_path: Path) -> None:
    page = leads.client.get("/issuers/leads", params={"lang": "es"})
    assert page.status_code == 200
    text = _text(page.text)
    assert "did:web:testserver" in text and "Qué emite" in text and "Microcredencial: Derechos y licencias" in text
    assert leads.client.get("/issuers/leads/logo").headers["content-type"] == "image/svg+xml"
    assert leads.client.get("/issuers/nobody").status_code == 404
    png = leads.client.get("/badges/glam-mc-rights.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    import io

    assert Image.open(io.BytesIO(png.content)).size == (600, 600)
    svg = leads.client.get("/badges/glam-archive-to-commons-certificate.svg", params={"lang": "es"}).text
    assert "CREDENCIAL APILADA" in svg and "EQF 5" in svg
    assert leads.client.get("/badges/no-such-design.svg").status_code == 404
    (tmp_path / "glam-mc-rights.svg").write_text("<svg/>")
    assert designed_badge("glam-mc-rights", "svg", tmp_path) == b"<svg/>"  # the designer's own file wins
    assert designed_badge("glam-mc-rights", "png", tmp_path) is None


def test_a_badge_png_is_drawn_once_per_wording(leads: Leads) -> None:
    """Every link preview of a shared certificate fetches it: drawn and compressed once, then kept; a new title
    in the data space draws a new one."""
    badge_png.cache_clear()
    first = leads.client.get("/badges/glam-mc-rights.png").content
    assert leads.client.get("/badges/glam-mc-rights.png").content == first
    assert (badge_png.cache_info().misses, badge_png.cache_info().hits) == (1, 1)
    db = leads.client.app.state.db  # type: ignore[attr-defined]
    design = current_index(db).get("glam-mc-rights", CredentialDesign)
    assert design is not None
    with db.session() as session:
        EntityRepository(session).upsert_many([design.model_copy(update={"labels": {"en": "Licences in depth"}})])
    try:
        renamed = leads.client.get("/badges/glam-mc-rights.png").content
        assert renamed != first and badge_png.cache_info().misses == 2
    finally:  # the installation is shared by the session's tests: the page tests read the design's own name
        with db.session() as session:
            EntityRepository(session).upsert_many([design])


def test_data_space_pages_follow_stacks_and_link_holders(leads: Leads) -> None:
    leads.client.cookies.clear()  # an earlier visit with ?lang=es is remembered; this one reads English
    micro = _text(leads.client.get("/designs/glam-mc-rights").text)
    courses = micro.split("Courses that lead to it", 1)[1]
    assert "GLAM-Wiki pilot course (Moodle)" in courses and "GLAM-Wiki pilot course (Open edX)" in courses
    assert "through Certificate: Digitising a small archive" in courses and "None yet" not in courses
    stacked = _text(leads.client.get("/designs/glam-archive-to-commons-certificate").text)
    assessments = stacked.split("Assessments", 1)[1].split("Courses that lead to it", 1)[0]
    assert "Rights clearance quiz" in assessments and "Commons upload project" in assessments
    assert "None yet" not in assessments
    competence = leads.client.get("/competences/glam-copyright-assessment").text
    assert 'href="/pool/competences/glam-copyright-assessment?lang=en"' in competence
