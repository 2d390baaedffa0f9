"""The pool end to end with real signing and verification: publish, search, unpublish, revoke → gone,
a foreign (did:key) credential verified on intake, a tampered upload refused."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bridge.app import create_app
from bridge.dataspace import service as dataspace_service
from bridge.db import Database
from bridge.settings import Settings
from issuer.did.key import did_key, did_key_verification_method
from issuer.keys.signer import Ed25519Signer
from issuer.proofs.dataintegrity import sign
from tests.bridge.pool.holding import Holder
from tests.issuer.samples import ob3_credential

ADMIN = {"Authorization": "Bearer change-me-dev-only"}
COMPETENCE = "glam-copyright-assessment"


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    dataspace_service.load_sample_if_empty(db)
    with TestClient(create_app(settings, db)) as test_client:
        yield test_client


def issue(client: TestClient, name: str, design: str = "glam-mc-rights",
          holder: Holder | None = None) -> dict[str, Any]:
    learner = {"name": name, **({"id": holder.did} if holder else {})}
    body = {"design": design, "learner": learner, "format": "ob3", "grade": "85"}
    response = client.post("/api/credentials", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    issued: dict[str, Any] = response.json()
    return issued


def profile(client: TestClient, handle: str, name: str, **extra: Any) -> dict[str, str]:
    response = client.post("/api/pool/profiles", json={"handle": handle, "display_name": name, **extra})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def people(client: TestClient, **query: Any) -> list[str]:
    response = client.get("/pool", params=query, headers={"Accept": "application/json"})
    assert response.status_code == 200
    return [p["display_name"] for p in response.json()["people"]]


def test_publish_search_revoke_and_gone(client: TestClient) -> None:
    cat_key = Holder()
    cat = issue(client, "Cat", holder=cat_key)
    auth = profile(client, "cat", "Cat", languages=["en", "es"])
    published = client.post("/api/pool/profiles/cat/credentials",
                            json={"presentation": cat_key.present(client, cat["credential"])}, headers=auth)
    assert published.status_code == 201, published.text
    assert published.json()["competences"] == [COMPETENCE]

    assert people(client, competence=COMPETENCE) == ["Cat"]
    assert people(client, practice="glam-archive-to-commons", level=2, language="es") == ["Cat"]
    assert people(client, competence="glam-structured-data") == []
    assert people(client, competence=COMPETENCE, level=3) == []
    page = client.get("/pool", params={"competence": COMPETENCE})
    assert page.status_code == 200 and "Cat" in page.text and "verified" in page.text
    comp = client.get(f"/pool/competences/{COMPETENCE}", headers={"Accept": "application/json"}).json()
    assert [p["handle"] for p in comp["people"]] == ["cat"] and "glam-mc-rights" in comp["credential_designs"]
    capx = client.get("/pool/people/cat/capx.json").json()
    assert capx["skills_known"] == ["Q12978"]
    assert "email" not in client.get("/pool/people/cat", headers={"Accept": "application/json"}).text

    revoked = client.post(f"/api/credentials/{cat['id']}/revoke", json={"reason": "test"}, headers=ADMIN)
    assert revoked.status_code == 200
    assert people(client, competence=COMPETENCE) == []  # the revocation takes the entry out at once


def test_periodic_recheck_removes_what_no_longer_verifies(client: TestClient) -> None:
    from bridge.pool import service
    from bridge.pool.endpoints import _verifier

    cat_key = Holder()
    cat = issue(client, "Cat", holder=cat_key)
    auth = profile(client, "cat", "Cat")
    assert client.post("/api/pool/profiles/cat/credentials",
                       json={"presentation": cat_key.present(client, cat["credential"])},
                       headers=auth).status_code == 201
    app_state = client.app.state  # type: ignore[attr-defined]
    request = type("R", (), {"app": client.app})()
    # revoke behind the pool's back (as another process would), then the periodic re-check finds it
    from bridge.credentials.service import CredentialService

    credentials = CredentialService(app_state.db, app_state.settings)
    credentials.suspend(cat["id"], "under review")
    assert people(client, competence=COMPETENCE) == []  # hidden at once: the search checks local status
    assert "Cat" not in client.get("/pool/people/cat").text.split("Verified credentials")[1]
    result = service.recheck(app_state.db, _verifier(request))
    assert result.hidden and entries(app_state.db) == 1  # a suspension is not a removal
    credentials.unsuspend(cat["id"], "cleared")
    assert people(client, competence=COMPETENCE) == ["Cat"]  # back at once (its status is read live)
    assert service.recheck(app_state.db, _verifier(request)).verified
    assert people(client, competence=COMPETENCE) == ["Cat"]

    credentials.revoke(cat["id"], "found out later")
    assert people(client, competence=COMPETENCE) == []  # hidden at once
    assert entries(app_state.db) == 1  # …and the periodic re-check removes it for good
    assert len(service.recheck(app_state.db, _verifier(request)).removed) == 1
    assert entries(app_state.db) == 0


def entries(db: Database) -> int:
    from sqlalchemy import func, select

    from bridge.pool.tables import PoolEntry

    with db.session() as session:
        return int(session.scalar(select(func.count(PoolEntry.id))) or 0)


def test_unpublish_removes_at_once_and_needs_the_token(client: TestClient) -> None:
    cat_key = Holder()
    cat = issue(client, "Cat", holder=cat_key)
    auth = profile(client, "cat", "Cat")
    entry = client.post("/api/pool/profiles/cat/credentials",
                        json={"presentation": cat_key.present(client, cat["credential"])}, headers=auth)
    entry_id = entry.json()["id"]
    wrong = client.delete(f"/api/pool/profiles/cat/credentials/{entry_id}", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    assert client.delete(f"/api/pool/profiles/cat/credentials/{entry_id}", headers=auth).status_code == 204
    assert people(client, competence=COMPETENCE) == []


def foreign_credential_and_did(qid: str = "Q12978", holder: Holder | None = None) -> tuple[dict[str, Any], str]:
    signer = Ed25519Signer.generate()
    did = did_key(signer.public_key_multibase)
    doc = ob3_credential(did, name="David")
    if holder is not None:
        doc["credentialSubject"]["id"] = holder.did
    doc["credentialSubject"]["achievement"]["alignment"] = [
        {"type": ["Alignment"], "targetName": "copyright", "targetUrl": f"https://www.wikidata.org/wiki/{qid}"}]
    return sign(doc, signer, did_key_verification_method(signer.public_key_multibase),
                created=datetime(2026, 1, 1, tzinfo=UTC)), did


def test_default_pool_refuses_the_self_signed_impostor_and_other_issuers(client: TestClient) -> None:
    """With default settings the pool takes only this installation's own credentials: the did:key credential that
    calls itself "LEADS learning data space" is refused, and so is another issuer's — even one LEADS trusts."""
    from tests.bridge.trust.impostor import SelfSigned

    auth, mallory = profile(client, "mallory", "Mallory Selfsigned"), Holder()
    impostor = SelfSigned()
    mine = impostor.credential(holder=mallory.did)  # she holds it: only the issuer is in question
    refused = client.post("/api/pool/profiles/mallory/credentials",
                          json={"presentation": mallory.present(client, mine)}, headers=auth)
    assert refused.status_code == 422 and refused.json()["error"] == "issuer_not_trusted"
    assert impostor.did in refused.json()["message"]
    form = client.post("/pool/publish", data={
        "handle": "mallory", "token": auth["Authorization"][7:],
        "presentation_text": __import__("json").dumps(mallory.present(client, mine))})
    assert form.status_code == 422 and impostor.did in form.text
    assert client.post("/api/issuers/trusted", json={"did": impostor.did, "name": "Somebody"},
                       headers=ADMIN).status_code == 201
    still = client.post("/api/pool/profiles/mallory/credentials",
                        json={"presentation": mallory.present(client, mine)}, headers=auth)
    assert still.status_code == 422 and still.json()["error"] == "issuer_not_trusted"
    assert people(client, competence=COMPETENCE) == []


def test_foreign_credential_is_verified_on_intake_when_the_pool_takes_trusted_issuers(
        settings: Settings, db: Database) -> None:
    dataspace_service.load_sample_if_empty(db)
    with TestClient(create_app(settings.model_copy(update={"pool_trust": "registry"}), db)) as client:
        auth, david = profile(client, "david", "David"), Holder()
        credential, did = foreign_credential_and_did(holder=david)
        untrusted = client.post("/api/pool/profiles/david/credentials",
                                json={"presentation": david.present(client, credential)}, headers=auth)
        assert untrusted.status_code == 422 and untrusted.json()["error"] == "issuer_not_trusted"
        assert client.post("/api/issuers/trusted", json={"did": did, "name": "Other Academy"},
                           headers=ADMIN).status_code == 201
        response = client.post("/api/pool/profiles/david/credentials",
                               json={"presentation": david.present(client, credential)}, headers=auth)
        assert response.status_code == 201, response.text
        assert people(client, competence=COMPETENCE) == ["David"]
        other, other_did = foreign_credential_and_did("Q42", david)
        client.post("/api/issuers/trusted", json={"did": other_did, "name": "Unmapped"}, headers=ADMIN)
        unmapped = client.post("/api/pool/profiles/david/credentials",
                               json={"presentation": david.present(client, other)}, headers=auth)
        assert unmapped.status_code == 422 and unmapped.json()["error"] == "no_competence"


def test_tampered_upload_is_refused_with_a_clear_message(client: TestClient) -> None:
    cat_key = Holder()
    cat = issue(client, "Cat", holder=cat_key)
    auth = profile(client, "cat", "Cat")
    tampered = copy.deepcopy(cat["credential"])
    tampered["credentialSubject"]["achievement"]["name"] += "!"
    response = client.post("/api/pool/profiles/cat/credentials",
                           json={"presentation": cat_key.present(client, tampered)}, headers=auth)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "credential_not_verified"
    assert "does not verify" in body["message"] and "proof" in body["message"]
    assert any(c["name"] == "proof" and not c["ok"] for c in body["checks"])
    form = client.post("/pool/publish", data={"handle": "cat", "token": auth["Authorization"][7:],
                                              "presentation_text": __import__("json").dumps(
                                                  cat_key.present(client, tampered))})
    assert form.status_code == 422 and "does not verify" in form.text
    assert people(client, competence=COMPETENCE) == []


def test_profile_refuses_email_contact(client: TestClient) -> None:
    response = client.post("/api/pool/profiles", json={"handle": "eve", "display_name": "Eve",
                                                       "contact": "eve@example.org"})
    assert response.status_code == 422 and "e-mail" in response.text
