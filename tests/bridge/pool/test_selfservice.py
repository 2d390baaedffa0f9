"""The pool on the web without an LMS: open a profile (no typed wiki user name), publish the certificate PDF (its
attachment read as /verify reads it, the holder-proof rule unchanged), a confirmation, unpublish with the token;
every failed form comes back with what was typed."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from fpdf import FPDF

from tests.bridge.pool.holding import Holder
from tests.bridge.pool.test_pool import client, issue

__all__ = ["client"]
ADMIN = {"Authorization": "Bearer change-me-dev-only"}


def _open(client: TestClient, handle: str, name: str) -> str:
    page = client.post("/pool/profiles/new", data={"handle": handle, "display_name": name, "languages": ["es"]})
    assert page.status_code == 201, page.text
    return re.search(r'id="token" class="mono" readonly value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def _pdf_with(attachment: bytes, name: str = "credential.json") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.embed_file(bytes=attachment, basename=name)
    return bytes(pdf.output())


def test_the_profile_form_has_no_wiki_user_name_and_keeps_what_was_typed(client: TestClient) -> None:
    form = client.get("/pool/profiles/new", params={"lang": "es"})
    assert form.status_code == 200 and 'name="wiki_username"' not in form.text
    assert 'id="wikimedia-signin"' in form.text and "iniciando sesión con Wikimedia" in form.text
    client.cookies.clear()  # ?lang=es is remembered in a cookie; the rest of this visit reads English
    bad = client.post("/pool/profiles/new", data={"handle": "Not Valid", "display_name": "María López",
                                                  "contact": "maria@example.org", "languages": ["es", "fr"]})
    assert bad.status_code == 422
    assert 'value="Not Valid"' in bad.text and 'value="María López"' in bad.text
    assert 'value="maria@example.org"' in bad.text and 'value="fr" checked' in bad.text
    assert "The handle: use 2 to 80 lower-case letters" in bad.text and "never shows e-mail addresses" in bad.text
    token = _open(client, "maria", "María López")
    assert len(token) > 30
    taken = client.post("/pool/profiles/new", data={"handle": "maria", "display_name": "Otra"})
    assert taken.status_code == 409 and "This handle is taken" in taken.text and 'value="Otra"' in taken.text
    assert client.get("/pool/people/maria", headers={"Accept": "application/json"}).json()["wiki_username"] is None


def test_a_certificate_pdf_is_read_and_the_holder_rule_still_applies(client: TestClient) -> None:
    token = _open(client, "ada", "Ada Lovelace")
    ada = Holder()
    issued = issue(client, "Ada Lovelace", holder=ada)
    cid = issued["id"]
    pdf = client.get(f"/credentials/{cid}/certificate.pdf").content
    refused = client.post("/pool/publish", data={"handle": "ada", "token": token},
                          files={"presentation_file": ("certificate.pdf", pdf, "application/pdf")})
    assert refused.status_code == 422  # the PDF was read: a bare credential, which proves nothing about the sender
    assert "publishing needs a presentation signed by your wallet" in refused.text
    assert "A certificate PDF can be copied" in refused.text
    assert 'value="ada"' in refused.text and f'value="{token}"' in refused.text  # what was typed is kept
    odd = _pdf_with(b"not json", "notes.bin")
    garbage = client.post("/pool/publish", data={"handle": "ada", "token": token},
                          files={"presentation_file": ("x.pdf", odd, "application/pdf")})
    assert garbage.status_code == 422 and "does not carry a credential LEADS can read" in garbage.text

    presentation = ada.present(client, issued["credential"])  # a wallet's presentation, saved inside a PDF
    done = client.post("/pool/publish", data={"handle": "ada", "token": token},
                       files={"presentation_file": ("mine.pdf", _pdf_with(json.dumps(presentation).encode()),
                                                     "application/pdf")}, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert done.headers["location"].startswith("/pool/people/ada?done=published&entry=")
    shown = client.get(done.headers["location"])
    assert "Published: your credential is verified and now listed on your profile." in shown.text
    entry = client.get("/pool/people/ada", headers={"Accept": "application/json"}).json()["credentials"][0]

    wrong = client.post(f"/pool/people/ada/unpublish/{entry['id']}", data={"token": "nope"})
    assert wrong.status_code == 403 and "does not belong to this profile" in wrong.text
    gone = client.post(f"/pool/people/ada/unpublish/{entry['id']}?lang=es", data={"token": token})
    assert gone.status_code == 200 and "Retirada: la credencial ya no aparece." in gone.text
    assert client.get("/pool/people/ada", headers={"Accept": "application/json"}).json()["credentials"] == []


def test_an_entry_number_that_only_looks_like_one_is_ignored(client: TestClient) -> None:
    """``"²".isdigit()`` is true and ``int("²")`` raises: the profile page was a 500."""
    _open(client, "bea", "Bea")
    for odd in ("%C2%B2", "1" * 40, "-1"):
        assert client.get(f"/pool/people/bea?done=published&entry={odd}").status_code == 200


def test_a_presentation_that_is_not_json_is_said_in_the_readers_language(client: TestClient) -> None:
    token = _open(client, "hal", "Hal")
    page = client.post("/pool/publish?lang=es", data={"handle": "hal", "token": token, "presentation_text": "{nope"})
    assert page.status_code == 422 and "la presentación no es un JSON válido" in page.text
