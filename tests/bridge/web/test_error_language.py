"""What a person reads when LEADS refuses something is in the page's language: the refusals people meet on the
main paths (a certificate link that leads nowhere, an expired course launch, a data-space key, a pool profile or
a piece of evidence that has gone, a sign-in the wiki refused) are translated with their names filled in. A
sentence no catalogue knows stays English and is marked ``lang="en"``; the API answers English as before."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from bridge.app import create_app
from bridge.db import Database
from bridge.errors import LeadsError, NotFound
from bridge.settings import Settings
from bridge.web.errors import spoken

# page → a Spanish phrase the refusal must say (with the name it was given, where it has one)
MAIN_PATHS = {
    "/credentials/nope/certificate": "'nope'",
    "/credentials/nope/certificate.pdf": "'nope'",
    "/awards/mine/nope": "inicio",
    "/awards/claim/nope": "inicio",
    "/lti/app/nope": "inicio",
    "/pool/launch/nope": "inicio",
    "/lti/resume/nope": "inicio",
    "/practices/nope": "'nope'",
    "/competences/nope": "'nope'",
    "/designs/nope": "'nope'",
    "/courses/nope": "'nope'",
    "/issuers/nope": "'nope'",
    "/status/nope": "'nope'",
    "/pool/evidence/999": "999",
    "/pool/mine": "Wikimedia",
    "/pool/wiki/callback?error=access_denied": "access_denied",
    "/pool?after=zzz": "este enlace a otra página de resultados no lo generó LEADS",
    "/lti/login?iss=https://lms.example": "login_hint",
    "/lti/login?iss=https://lms.example&login_hint=7&target_link_uri=https://x.example/": "'https://lms.example'",
}


@pytest.fixture
def client(settings: Settings, db: Database) -> TestClient:
    return TestClient(create_app(settings, db))


def _main(html: str) -> str:
    found = re.search(r"<main.*?</main>", html, re.S)
    assert found, html[:300]
    return found.group(0)


@pytest.mark.parametrize("path", list(MAIN_PATHS))
def test_refusals_on_the_main_paths_are_in_spanish(client: TestClient, path: str) -> None:
    sep = "&" if "?" in path else "?"
    page = client.get(f"{path}{sep}lang=es", headers={"Accept": "text/html"})
    assert 400 <= page.status_code < 500, page.text[:300]
    main = _main(page.text)
    assert 'lang="en"' not in main, f"{path}: English left in the Spanish page: {re.sub(r'<[^>]+>', ' ', main)[:400]}"
    assert MAIN_PATHS[path] in main.replace("&#39;", "'")


def test_the_same_refusal_in_english_and_for_a_program(client: TestClient) -> None:
    english = client.get("/credentials/nope/certificate", headers={"Accept": "text/html"})
    assert "no credential &#39;nope&#39; was issued here" in english.text and 'lang="en"' not in _main(english.text)
    api = client.get("/credentials/nope", headers={"Accept": "application/json"})
    assert api.status_code == 404
    assert api.json() == {"error": "credential_not_found", "message": "no credential 'nope' was issued here"}
    spanish_api = client.get("/credentials/nope", headers={"Accept": "application/json", "Accept-Language": "es"})
    assert spanish_api.json()["message"] == "no credential 'nope' was issued here"  # codes and text for programs


def test_an_invalid_address_says_where_and_what_without_internal_names(client: TestClient) -> None:
    page = client.get("/pool/evidence/abc?lang=es", headers={"Accept": "text/html"})
    assert page.status_code == 422
    main = _main(page.text)
    assert "En la dirección: «abc» debería ser un número." in main and "La solicitud no es válida" in main
    assert "entry_id" not in main and "Input should be" not in main and 'lang="en"' not in main
    api = client.get("/pool/evidence/abc", headers={"Accept": "application/json"}).json()  # programs get the details
    assert api["problems"] == [{"entity": "request", "property": "path.entry_id",
                                "message": "Input should be a valid integer, unable to parse string as an integer"}]


def test_a_sentence_no_catalogue_knows_is_marked_english() -> None:
    exc = LeadsError("a sentence nobody catalogued about %(what)s", code="x", params={"what": "<b>"})
    assert spoken(exc, "es") == '<span lang="en">a sentence nobody catalogued about &lt;b&gt;</span>'
    assert spoken(exc, "en") == "a sentence nobody catalogued about &lt;b&gt;"
    caught = NotFound("no pool profile '%(handle)s'", params={"handle": "<b>"})
    assert "&lt;b&gt;" in spoken(caught, "es") and "lang=" not in spoken(caught, "es")


def test_the_verify_page_says_why_it_cannot_read_a_file_in_spanish(client: TestClient) -> None:
    page = client.post("/verify?lang=es", files={"file": ("notas.bin", b"\xff\xfe\x00\x81 not text", "text/plain")})
    assert page.status_code == 422
    assert "notas.bin no es un PDF ni un archivo de texto (JSON o JWT)." in page.text
    assert "neither a PDF nor a text" not in page.text


def test_the_verifiers_technical_detail_is_marked_english_and_a_refusal_is_not(client: TestClient) -> None:
    import json

    from bridge.credentials.service import CredentialService, IssueInput
    from bridge.dataspace import service as dataspace

    dataspace.load_sample_if_empty(client.app.state.db)  # type: ignore[attr-defined]
    row = CredentialService(client.app.state.db, client.app.state.settings).issue(  # type: ignore[attr-defined]
        IssueInput(design_key="glam-mc-rights", learner_name="Ada Lovelace"))
    tampered = json.loads(json.dumps(row.document))
    tampered["credentialSubject"]["name"] = "Mallory"
    page = client.post("/verify?lang=es", data={"credential": json.dumps(tampered)}).text
    detail = re.compile(r'<small class="muted">[^<]*<span class="mono"([^>]*)>')
    details = detail.findall(page)
    assert details and all(d == ' lang="en"' for d in details), details  # the verifier's own words
    refused = client.post("/verify?lang=es", data={"credential": "{not json"}).text
    assert detail.findall(refused) == [""]  # a refusal worded in Spanish by the page
    assert "Esto no es JSON" in refused
