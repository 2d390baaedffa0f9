"""The credential API end to end: issue → get → verify → revoke / suspend → verify, status lists, DIDs."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from tests.bridge.credentials.conftest import ADMIN, issue


def verify(client: TestClient, body: str | bytes) -> dict[str, Any]:
    response = client.post("/api/verify", content=body)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


def check(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in report["checks"] if c["name"] == name)


def test_ob3_issue_get_verify_revoke_verify_says_revoked(client: TestClient) -> None:
    issued = issue(client)
    credential = issued["credential"]
    assert isinstance(credential, dict)
    assert credential["credentialSubject"]["achievement"]["id"] == "http://testserver/entity/glam-mc-rights"
    assert credential["issuer"]["id"] == "did:web:testserver"
    got = client.get(f"/credentials/{issued['id']}", headers={"Accept": "application/ld+json"})
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/ld+json")
    assert got.json() == credential
    report = verify(client, got.content)
    assert report["verified"], report
    assert [c["name"] for c in report["checks"]] == ["proof", "proof_purpose", "issuer", "validity", "status",
                                                    "shape"]
    assert report["verdict"] == "verified" and report["genuine"] is True
    who = report["issuer"]
    assert (who["id"], who["standing"], who["trusted"], who["name_differs"]) == ("did:web:testserver", "own", True,
                                                                                False)
    assert who["name"] == who["claimed_name"] == credential["issuer"]["name"]
    revoked = client.post(f"/api/credentials/{issued['id']}/revoke", json={"reason": "plagiarism"}, headers=ADMIN)
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert revoked.json()["revoked_reason"] == "plagiarism"
    report = verify(client, got.content)
    assert not report["verified"]
    assert check(report, "status") == {"name": "status", "ok": False, "outcome": "failed",
                                       "message": "revoked", "reason": "revoked"}  # the typed reason stays private
    assert report["verdict"] == "revoked"
    assert check(report, "proof")["ok"]


def test_suspension_is_reversible(client: TestClient) -> None:
    issued = issue(client)
    body = json.dumps(issued["credential"])
    assert client.post(f"/api/credentials/{issued['id']}/suspend", json={"reason": "appeal"},
                       headers=ADMIN).json()["suspended"]
    suspended = verify(client, body)
    assert check(suspended, "status")["message"] == "suspended" and suspended["verdict"] == "suspended"
    client.post(f"/api/credentials/{issued['id']}/unsuspend", json={"reason": "appeal upheld"}, headers=ADMIN)
    assert verify(client, body)["verified"]
    again = client.post(f"/api/credentials/{issued['id']}/unsuspend", json={"reason": "twice"}, headers=ADMIN)
    assert (again.status_code, again.json()["error"]) == (409, "not_suspended")  # before: 200, a reason kept
    assert client.get(f"/api/credentials/{issued['id']}", headers=ADMIN).json().get("suspended_reason") != "twice"


def test_edc_is_issued_conformant_verifies_and_can_be_revoked_not_suspended(client: TestClient) -> None:
    issued = issue(client, "edc", issuer="wikimedia-es")
    credential = issued["credential"]
    assert isinstance(credential, dict)
    assert credential["type"] == ["VerifiableCredential", "EuropeanDigitalCredential"]
    assert credential["issuer"]["id"] == "did:web:testserver:issuers:wikimedia-es"
    spec = credential["credentialSubject"]["hasClaim"][0]["specifiedBy"]
    assert spec["id"] == "http://testserver/entity/glam-mc-rights"
    assert spec["eqfLevel"]["id"] == "http://data.europa.eu/snb/eqf/5" and spec["creditPoint"][0]["point"] == "1"
    report = verify(client, json.dumps(credential))
    assert report["verified"], report
    assert check(report, "shape")["message"].startswith("conforms to the EDC SHACL shapes")
    refused = client.post(f"/api/credentials/{issued['id']}/suspend", json={"reason": "x"}, headers=ADMIN)
    assert refused.status_code == 409 and refused.json()["error"] == "no_status_entry"
    client.post(f"/api/credentials/{issued['id']}/revoke", json={"reason": "issued in error"}, headers=ADMIN)
    assert check(verify(client, json.dumps(credential)), "status")["message"] == "revoked"


def test_jwt_is_served_as_vc_jwt_and_verifies(client: TestClient) -> None:
    issued = issue(client, "jwt")
    token = issued["credential"]
    assert isinstance(token, str) and token.count(".") == 2
    got = client.get(f"/credentials/{issued['id']}")
    assert got.headers["content-type"].startswith("application/vc+jwt") and got.text == token
    report = verify(client, token)
    assert report["verified"] and report["format"] == "vc-jose"
    assert verify(client, json.dumps(token))["verified"]  # a JWT sent as a JSON string


def test_a_changed_name_fails_the_proof_check(client: TestClient) -> None:
    issued = issue(client)
    text = json.dumps(issued["credential"]).replace("Ada Lovelace", "Ada Lovelacf")
    report = verify(client, text)
    assert not report["verified"]
    assert not check(report, "proof")["ok"] and "changed after signing" in check(report, "proof")["message"]


def test_status_list_is_signed_cached_and_changes_on_revoke(client: TestClient) -> None:
    issued = issue(client)
    entry = issued["credential"]["credentialStatus"][0]  # type: ignore[index]
    url = entry["statusListCredential"].removeprefix("http://testserver")
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, max-age=60"
    etag = first.headers["etag"]
    listed = first.json()
    assert "BitstringStatusListCredential" in listed["type"] and listed["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert listed["credentialSubject"]["statusPurpose"] == "revocation"
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    client.post(f"/api/credentials/{issued['id']}/revoke", json={"reason": "test"}, headers=ADMIN)
    after = client.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    assert verify(client, after.content)["verified"]  # the list credential itself verifies


def test_did_documents_for_the_installation_and_each_organisation(client: TestClient) -> None:
    root = client.get("/.well-known/did.json").json()
    assert root["id"] == "did:web:testserver" and root["assertionMethod"]
    org = client.get("/issuers/wikimedia-es/did.json").json()
    assert org["id"] == "did:web:testserver:issuers:wikimedia-es"
    assert org["verificationMethod"][0]["publicKeyMultibase"] != root["verificationMethod"][0]["publicKeyMultibase"]
    assert client.get("/issuers/nobody/did.json").status_code == 404


def test_html_only_when_asked(client: TestClient) -> None:
    issued = issue(client)
    page = client.get(f"/credentials/{issued['id']}", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html") and "Ada Lovelace" in page.text
    assert client.get(f"/credentials/{issued['id']}").headers["content-type"].startswith("application/ld+json")


def test_bad_requests_get_clear_4xx_answers(client: TestClient) -> None:
    body = {"design": "glam-mc-rights", "learner": {"name": "Ada"}, "format": "ob3"}
    assert client.post("/api/credentials", json=body).status_code == 401
    unknown = client.post("/api/credentials", json={**body, "design": "no-such-design"}, headers=ADMIN)
    assert unknown.status_code == 404 and "leads data list" in unknown.json()["message"]
    wrong = client.post("/api/credentials", json={**body, "format": "pdf"}, headers=ADMIN)
    assert wrong.status_code == 422
    assert client.get("/credentials/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.post("/api/verify", content=b"").status_code == 422
    assert client.post("/api/credentials/x/revoke", json={"reason": "x"}, headers=ADMIN).status_code == 404


def test_after_key_rotation_new_and_earlier_credentials_verify(client: TestClient) -> None:
    before = issue(client)
    service = client.app.state.credentials  # type: ignore[attr-defined]
    service.directory.keys(service.directory.root).rotate()
    after = issue(client)
    old_vm = before["credential"]["proof"]["verificationMethod"]  # type: ignore[index]
    new_vm = after["credential"]["proof"]["verificationMethod"]  # type: ignore[index]
    assert old_vm != new_vm
    document = client.get("/.well-known/did.json").json()
    assert {old_vm, new_vm} <= set(document["assertionMethod"])
    for issued in (before, after):
        assert verify(client, json.dumps(issued["credential"]))["verified"]
