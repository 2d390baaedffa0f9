"""Proof of holding: Ada's credential (bound to her did:key) cannot be published to Mallory's profile through the
API or the form; Ada's own presentation publishes it; presentations over another challenge or domain, replays,
bare credentials and name-only credentials are refused, each saying why."""

from __future__ import annotations

import html
import json
import shutil
import subprocess
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient

from issuer.keys.multikey import encode_private_key
from tests.bridge.pool.holding import Holder
from tests.bridge.pool.test_pool import COMPETENCE, client, issue, people, profile

__all__ = ["client"]
NODE_DIR = Path(__file__).resolve().parents[2] / "node"


def publish(client: TestClient, handle: str, auth: dict[str, str], presentation: object) -> object:
    return client.post(f"/api/pool/profiles/{handle}/credentials", json={"presentation": presentation}, headers=auth)


def test_adas_credential_is_refused_on_mallorys_profile_and_published_by_ada(client: TestClient) -> None:
    ada, mallory = Holder(), Holder()
    credential = issue(client, "Ada Lovelace", holder=ada)["credential"]
    mallory_auth = profile(client, "mallory", "Mallory")

    stolen = publish(client, "mallory", mallory_auth, mallory.present(client, credential))
    assert stolen.status_code == 403  # type: ignore[attr-defined]
    body = stolen.json()  # type: ignore[attr-defined]
    assert body["error"] == "not_holder"
    assert f"issued to {ada.did}" in body["message"] and f"signed by {mallory.did}" in body["message"]
    assert "only the person holding the credential's key can publish it" in body["message"]
    # nor by presenting it as Ada would, without Ada's key: a presentation claiming Ada but signed by Mallory
    forged = mallory.present(client, credential)
    assert isinstance(forged, dict)
    forged["holder"] = ada.did
    refused = publish(client, "mallory", mallory_auth, forged)
    assert refused.status_code == 422 and refused.json()["error"] == "presentation_invalid"  # type: ignore[attr-defined]

    form = client.post("/pool/publish", data={"handle": "mallory", "token": mallory_auth["Authorization"][7:],
                                              "presentation_text": json.dumps(mallory.present(client, credential))})
    assert form.status_code == 403
    assert "This credential belongs to someone else" in form.text and ada.did in form.text
    assert people(client, competence=COMPETENCE) == []

    ada_auth = profile(client, "ada", "Ada Lovelace")
    published = publish(client, "ada", ada_auth, ada.present(client, credential))
    assert published.status_code == 201, published.text  # type: ignore[attr-defined]
    assert published.json()["holder_proof"] == "data-integrity"  # type: ignore[attr-defined]
    assert people(client, competence=COMPETENCE) == ["Ada Lovelace"]
    page = client.get("/pool/people/ada")
    assert "Holder proven: a presentation signed with the key of the credential's holder" in html.unescape(page.text)
    assert client.get("/pool/people/ada", params={"lang": "es"}).text.count("Titular demostrado") == 1


def test_the_form_publishes_adas_vp_jwt(client: TestClient) -> None:
    ada = Holder()
    credential = issue(client, "Ada Lovelace", holder=ada)["credential"]
    auth = profile(client, "ada", "Ada Lovelace")
    page = client.get("/pool/publish")
    challenge = page.text.split('<dt>Challenge</dt><dd><code>', 1)[1].split("</code>", 1)[0]
    assert "<dd><code>testserver</code></dd>" in page.text
    token = ada.present(None, credential, challenge=challenge, domain="testserver", jwt=True)
    done = client.post("/pool/publish", data={"handle": "ada", "token": auth["Authorization"][7:],
                                              "presentation_text": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/pool/people/ada?done=published&entry=")
    entry = client.get("/pool/people/ada", headers={"Accept": "application/json"}).json()["credentials"][0]
    assert entry["holder_proof"] == "jwt" and entry["holder_did"] == ada.did


def test_a_vc_jose_credential_is_presented_enveloped(client: TestClient) -> None:
    ada = Holder()
    body = {"design": "glam-mc-rights", "learner": {"name": "Ada", "id": ada.did}, "format": "jwt"}
    token = client.post("/api/credentials", json=body, headers={"Authorization": "Bearer change-me-dev-only"})
    assert token.status_code == 201, token.text
    auth = profile(client, "ada", "Ada")
    published = publish(client, "ada", auth, ada.present(client, token.json()["credential"]))
    assert published.status_code == 201, published.text  # type: ignore[attr-defined]


def test_a_presentation_over_another_challenge_or_domain_is_refused(client: TestClient) -> None:
    ada = Holder()
    credential = issue(client, "Ada Lovelace", holder=ada)["credential"]
    auth = profile(client, "ada", "Ada Lovelace")

    made_up = publish(client, "ada", auth, ada.present(None, credential, challenge="my-own", domain="testserver"))
    assert made_up.status_code == 422  # type: ignore[attr-defined]
    assert made_up.json()["error"] == "challenge_invalid"  # type: ignore[attr-defined]
    assert "was not issued by this site" in made_up.json()["message"]  # type: ignore[attr-defined]

    issued = ada.challenge(client)
    elsewhere = ada.present(None, credential, challenge=issued["challenge"], domain="evil.example")
    wrong_domain = publish(client, "ada", auth, elsewhere)
    assert wrong_domain.status_code == 422  # type: ignore[attr-defined]
    assert "not for 'testserver'" in wrong_domain.json()["message"]  # type: ignore[attr-defined]
    jwt_elsewhere = ada.present(None, credential, challenge=issued["challenge"], domain="evil.example", jwt=True)
    assert "not for 'testserver'" in publish(client, "ada", auth, jwt_elsewhere).json()["message"]  # type: ignore[attr-defined]

    once = ada.present(None, credential, challenge=issued["challenge"], domain="testserver")
    assert publish(client, "ada", auth, once).status_code == 201  # type: ignore[attr-defined]
    replay = publish(client, "ada", auth, once)
    assert replay.status_code == 422 and "already used" in replay.json()["message"]  # type: ignore[attr-defined]

    other = ada.challenge(client)["challenge"]
    tampered = ada.present(None, credential, challenge=other, domain="testserver")
    assert isinstance(tampered, dict)
    tampered["proof"]["challenge"] = ada.challenge(client)["challenge"]  # claims a fresh challenge it did not sign
    refused = publish(client, "ada", auth, tampered)
    assert refused.status_code == 422 and "signature does not verify" in refused.json()["message"]  # type: ignore[attr-defined]


def test_a_bare_or_name_only_credential_cannot_be_published_through_the_api(client: TestClient) -> None:
    ada = Holder()
    bound = issue(client, "Ada Lovelace", holder=ada)["credential"]
    name_only = issue(client, "Ada Lovelace")["credential"]
    auth = profile(client, "ada", "Ada Lovelace")
    bare = client.post("/api/pool/profiles/ada/credentials", json={"credential": bound}, headers=auth)
    assert bare.status_code == 422 and bare.json()["error"] == "holder_proof_required"
    assert "POST /api/pool/challenges" in bare.json()["message"]
    unprovable = client.post("/api/pool/profiles/ada/credentials", json={"credential": name_only}, headers=auth)
    assert unprovable.status_code == 403 and unprovable.json()["error"] == "holder_not_provable"
    assert "inside the course (LMS)" in unprovable.json()["message"]
    presented = publish(client, "ada", auth, ada.present(client, name_only))
    assert presented.status_code == 403  # type: ignore[attr-defined]
    assert presented.json()["error"] == "holder_not_provable"  # type: ignore[attr-defined]
    form = client.post("/pool/publish", data={"handle": "ada", "token": auth["Authorization"][7:],
                                              "presentation_text": json.dumps(name_only)})
    assert form.status_code == 403 and "names no holder key" in form.text
    wrong_token = client.post("/api/pool/profiles/ada/credentials", json={"credential": bound},
                              headers={"Authorization": "Bearer nope"})
    assert wrong_token.status_code == 403 and wrong_token.json()["error"] == "forbidden"


def test_a_presentation_signed_by_the_digital_bazaar_reference_library_publishes(client: TestClient,
                                                                                  tmp_path: Path) -> None:
    """An independent holder implementation (@digitalbazaar/vc signPresentation, pinned in tests/node)."""
    ada = Holder()
    credential = issue(client, "Ada Lovelace", holder=ada)["credential"]
    auth = profile(client, "ada", "Ada Lovelace")
    seed = ada.signer.private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                                serialization.NoEncryption())
    (tmp_path / "key.json").write_text(json.dumps({"secretKeyMultibase": encode_private_key(seed),
                                                   "publicKeyMultibase": ada.signer.public_key_multibase,
                                                   "verificationMethod": ada.method}))
    (tmp_path / "c.json").write_text(json.dumps(credential))

    def node_present(challenge: str, domain: str) -> dict[str, object]:
        node = shutil.which("node")
        assert node is not None, "node is needed: the reference holder runs on it"
        done = subprocess.run([node, str(NODE_DIR / "present.mjs"), str(tmp_path / "c.json"),
                               str(tmp_path / "key.json"), "--challenge", challenge, "--domain", domain],
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        presented: dict[str, object] = json.loads(done.stdout)
        return presented

    elsewhere = node_present(ada.challenge(client)["challenge"], "evil.example")
    refused = publish(client, "ada", auth, elsewhere)
    assert refused.status_code == 422 and "not for 'testserver'" in refused.json()["message"]  # type: ignore[attr-defined]
    issued = ada.challenge(client)
    published = publish(client, "ada", auth, node_present(issued["challenge"], issued["domain"]))
    assert published.status_code == 201, published.text  # type: ignore[attr-defined]


def test_publishing_again_answers_the_same_entry_and_records_a_proof_it_lacked(client: TestClient) -> None:
    """The API answered 500 (the entry's competences read after its session closed), and an entry published before
    holders proved holding stayed unproven when its holder then proved it."""
    from sqlalchemy import update

    from bridge.pool.tables import PoolEntry

    ada = Holder()
    credential = issue(client, "Ada Lovelace", holder=ada)["credential"]
    auth = profile(client, "ada", "Ada Lovelace")
    first = publish(client, "ada", auth, ada.present(client, credential))
    assert first.status_code == 201  # type: ignore[attr-defined]
    with client.app.state.db.session() as session:  # type: ignore[attr-defined]
        session.execute(update(PoolEntry).values(holder_proof=None, holder_did=None))  # as before decision 012
    again = publish(client, "ada", auth, ada.present(client, credential))
    assert again.status_code == 201, again.text  # type: ignore[attr-defined]
    body = again.json()  # type: ignore[attr-defined]
    assert body["id"] == first.json()["id"] and body["competences"] == [COMPETENCE]  # type: ignore[attr-defined]
    assert body["holder_proof"] == "data-integrity" and body["holder"] == ada.did


def test_odd_presentations_are_refused_in_words_not_500s(client: TestClient) -> None:
    """Each was a 500: a VP-JWT exp or nbf out of any calendar (OverflowError), a did:jwk whose x is not base64url
    (binascii.Error), a challenge holding a lone surrogate (UnicodeEncodeError in the nonce's MAC)."""
    import base64

    ada = Holder()
    credential = issue(client, "Ada Lovelace", holder=ada)["credential"]
    auth = profile(client, "ada", "Ada Lovelace")
    for claims in ({"exp": 1e20}, {"exp": 10**30}, {"nbf": -1e20}):
        odd = ada.present(client, credential, jwt=True, claims=claims)
        r = publish(client, "ada", auth, odd)
        assert r.status_code == 422 and r.json()["error"] == "presentation_invalid", r.text  # type: ignore[attr-defined]
    jwk = base64.urlsafe_b64encode(json.dumps({"kty": "OKP", "crv": "Ed25519", "x": "a"}).encode()).rstrip(b"=")
    odd = ada.present(client, credential, method=f"did:jwk:{jwk.decode()}#0")
    assert publish(client, "ada", auth, odd).status_code == 422  # type: ignore[attr-defined]
    for made_up in ("x\ud800.1999999999.AAAA", "abc.123.\u00e9"):
        odd = ada.present(None, credential, challenge=made_up, domain="testserver", jwt=True)
        r = publish(client, "ada", auth, odd)
        assert 400 <= r.status_code < 500, r.text  # type: ignore[attr-defined]
