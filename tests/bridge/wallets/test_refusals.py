"""Each refusal of the OpenID4VCI endpoints, with the OAuth error code and a message saying what to do."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from bridge.app import create_app
from bridge.credentials.service import CredentialService
from bridge.credentials.tables import IssuedCredentialRow
from bridge.dataspace import service as dataspace_service
from bridge.db import Database
from bridge.settings import Settings
from bridge.wallets import nonces
from bridge.wallets.service import WalletService
from bridge.wallets.tables import HolderNonce, WalletOffer
from issuer.keys.multikey import encode_public_key
from tests.bridge.wallets.conftest import ADA, add_award

LDP = "OpenBadgeCredential_ldp_vc"
ISSUER = "http://testserver"


class Key:
    """A wallet key (Ed25519) and its did:key; ``proof`` makes an openid4vci-proof+jwt with it."""

    def __init__(self) -> None:
        self.private = Ed25519PrivateKey.generate()
        raw = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.multibase = encode_public_key(raw)
        self.did = f"did:key:{self.multibase}"

    def proof(self, nonce: str | None, *, aud: str = ISSUER, signer: Key | None = None,
              iat: float | None = None) -> str:
        import base64

        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        header = {"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": f"{self.did}#{self.multibase}"}
        payload: dict[str, Any] = {"aud": aud, "iat": int(iat if iat is not None else time.time())}
        if nonce is not None:
            payload["nonce"] = nonce
        data = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
        return f"{data}.{b64((signer or self).private.sign(data.encode()))}"


@pytest.fixture
def client(tmp_path: Path, db: Database) -> Iterator[TestClient]:
    dataspace_service.load_sample_if_empty(db)
    settings = Settings(data_dir=tmp_path / "var", base_url=ISSUER, load_sample=False)
    with TestClient(create_app(settings, db)) as test_client:
        test_client.app.state.award = add_award(db)  # type: ignore[attr-defined]
        yield test_client


def offer_code(client: TestClient) -> str:
    state = client.app.state  # type: ignore[attr-defined]
    link = WalletService(state.db, CredentialService(state.db, state.settings)).create_offer(state.award, ADA).deep_link
    offer = json.loads(parse_qs(urlsplit(link).query)["credential_offer"][0])
    code: str = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
    return code


def redeem(client: TestClient, code: str) -> Any:
    return client.post("/oid4vci/token", data={"grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                                               "pre-authorized_code": code})


def token(client: TestClient) -> dict[str, str]:
    response = redeem(client, offer_code(client))
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def nonce(client: TestClient) -> str:
    response = client.post("/oid4vci/nonce")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    value: str = response.json()["c_nonce"]
    return value


def ask(client: TestClient, auth: dict[str, str], proof: str) -> Any:
    return client.post("/oid4vci/credential", headers=auth,
                       json={"credential_configuration_id": LDP, "proofs": {"jwt": [proof]}})


def refused(response: Any, status: int, error: str, words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error and words in body["error_description"], body


def test_a_used_pre_authorized_code_is_refused(client: TestClient) -> None:
    code = offer_code(client)
    assert redeem(client, code).status_code == 200
    refused(redeem(client, code), 400, "invalid_grant", "already used")
    refused(redeem(client, "never-issued"), 400, "invalid_grant", "was not issued here")


def test_an_expired_offer_is_refused(client: TestClient, db: Database) -> None:
    code = offer_code(client)
    with db.session() as session:
        session.execute(update(WalletOffer).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    refused(redeem(client, code), 400, "invalid_grant", "expired")


def test_a_stale_nonce_is_refused(client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    auth, key = token(client), Key()
    used = nonce(client)
    first = ask(client, auth, key.proof(used))
    assert first.status_code == 200, first.text
    assert first.json()["credentials"][0]["credential"]["credentialSubject"]["id"] == key.did
    refused(ask(client, auth, key.proof(used)), 400, "invalid_nonce", "already used")
    with monkeypatch.context() as m:
        m.setitem(nonces.LIFETIME, nonces.KEY_PROOF, timedelta(seconds=-1))  # issued already past its time
        old = nonce(client)
    refused(ask(client, auth, key.proof(old)), 400, "invalid_nonce", "has expired")
    body, _, tag = nonce(client).rpartition(".")
    later = f"{body.rpartition('.')[0]}.{int(datetime.now(UTC).timestamp()) + 86400}.{tag}"  # a day longer
    refused(ask(client, auth, key.proof(later)), 400, "invalid_nonce", "not issued by this site")


def test_handing_out_nonces_stores_nothing(client: TestClient, db: Database) -> None:
    """Anyone may ask for nonces and challenges: each used to be a row kept a day past its expiry."""
    def rows() -> int:
        with db.session() as session:
            return int(session.scalar(select(func.count()).select_from(HolderNonce)) or 0)

    before = rows()
    for _ in range(50):
        nonce(client)
        assert client.post("/api/pool/challenges").status_code == 201
    assert rows() == before


def test_a_foreign_or_missing_nonce_is_refused(client: TestClient) -> None:
    auth, key = token(client), Key()
    refused(ask(client, auth, key.proof("made-up-by-the-wallet")), 400, "invalid_nonce", "not issued by this site")
    challenge = client.post("/api/pool/challenges").json()["challenge"]  # a pool challenge is no c_nonce
    refused(ask(client, auth, key.proof(challenge)), 400, "invalid_nonce", "not issued by this site")
    refused(ask(client, auth, key.proof(None)), 400, "invalid_nonce", "missing")


def test_a_proof_signed_by_another_key_is_refused(client: TestClient) -> None:
    auth, key, other = token(client), Key(), Key()
    refused(ask(client, auth, key.proof(nonce(client), signer=other)), 400, "invalid_proof",
            "not signed by the key it names")


def test_a_proof_for_another_audience_is_refused(client: TestClient) -> None:
    auth, key = token(client), Key()
    refused(ask(client, auth, key.proof(nonce(client), aud="https://issuer.example")), 400, "invalid_proof",
            "meant for 'https://issuer.example'")
    refused(ask(client, auth, key.proof(nonce(client), iat=time.time() - 3600)), 400, "invalid_proof", "too old")


def test_requests_without_a_valid_token_or_for_an_unknown_configuration(client: TestClient) -> None:
    key = Key()
    refused(ask(client, {}, key.proof(nonce(client))), 401, "invalid_token", "Bearer")
    refused(ask(client, {"Authorization": "Bearer nope"}, key.proof(nonce(client))), 401, "invalid_token", "not known")
    response = client.post("/oid4vci/credential", headers=token(client),
                           json={"credential_configuration_id": "Diploma", "proofs": {"jwt": [key.proof(None)]}})
    refused(response, 400, "unknown_credential_configuration", "OpenBadgeCredential_ldp_vc")


def test_a_revoked_award_is_no_longer_issued_to_wallets(client: TestClient, db: Database) -> None:
    from bridge.awards.tables import Award

    auth = token(client)
    with db.session() as session:
        session.execute(update(Award).values(state="revoked"))
    refused(ask(client, auth, Key().proof(nonce(client))), 400, "credential_request_denied", "no longer issued")


def test_revoking_the_award_revokes_every_wallet_copy(client: TestClient, db: Database) -> None:
    from bridge.awards.tables import Award

    auth, ada_phone, ada_laptop = token(client), Key(), Key()
    first = ask(client, auth, ada_phone.proof(nonce(client))).json()["credentials"][0]["credential"]
    again = ask(client, auth, ada_phone.proof(nonce(client))).json()["credentials"][0]["credential"]
    assert again["id"] == first["id"]  # the same wallet asking again gets the same copy
    laptop = token(client)  # another wallet: another offer (one token gives the certificate to one key)
    other = ask(client, laptop, ada_laptop.proof(nonce(client))).json()["credentials"][0]["credential"]
    assert other["id"] != first["id"] and other["credentialSubject"]["id"] == ada_laptop.did
    with db.session() as session:
        award = session.query(Award).one()
        key = award.issue_key
    CredentialService(db, client.app.state.settings).revoke_award(key, "plagiarism")  # type: ignore[attr-defined]
    with db.session() as session:
        rows = session.query(IssuedCredentialRow).all()
    assert len(rows) == 2 and all(row.revoked for row in rows)


def _jwk_proof(jwk: dict[str, str], nonce_value: str, iat: object = None) -> str:
    """A key proof naming its key by ``jwk`` (signed by a throwaway key: the key itself is what is odd)."""
    import base64

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = {"typ": "openid4vci-proof+jwt", "alg": "ES256" if jwk["kty"] == "EC" else "EdDSA", "jwk": jwk}
    payload = {"aud": ISSUER, "iat": int(time.time()) if iat is None else iat, "nonce": nonce_value}
    data = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    return f"{data}.{b64(Ed25519PrivateKey.generate().sign(data.encode()))}"


@pytest.mark.parametrize(("jwk", "words"), [
    ({"kty": "OKP", "crv": "Ed25519", "x": "!!notb64"}, "cannot be read"),
    ({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}, "cannot be read"),
    ({"kty": "EC", "crv": "P-256", "x": "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE",
      "y": "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI"}, "cannot be read"),  # a point off the curve
])
def test_a_key_that_cannot_be_read_is_a_refused_proof_not_a_500(client: TestClient, jwk: dict[str, str],
                                                               words: str) -> None:
    refused(ask(client, token(client), _jwk_proof(jwk, nonce(client))), 400, "invalid_proof", words)


@pytest.mark.parametrize("iat", [1e20, -1e300, -1, "NaN"])
def test_an_iat_out_of_any_calendar_is_a_refused_proof(client: TestClient, iat: object) -> None:
    key = Key()
    proof = key.proof(nonce(client))
    header, payload, _ = proof.split(".")
    import base64

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["iat"] = float("nan") if iat == "NaN" else iat
    data = f"{header}.{b64(json.dumps(claims).encode())}"
    odd = f"{data}.{b64(key.private.sign(data.encode()))}"
    refused(ask(client, token(client), odd), 400, "invalid_proof", "'iat'")


def test_a_configuration_that_is_not_a_name_and_json_nested_too_deep_get_oauth_errors(client: TestClient) -> None:
    auth = token(client)
    for odd in (["x"], {"a": 1}):
        response = client.post("/oid4vci/credential", headers=auth, json={"credential_configuration_id": odd})
        refused(response, 400, "unknown_credential_configuration", "OpenBadgeCredential_ldp_vc")
    deep = client.post("/oid4vci/credential", headers={**auth, "Content-Type": "application/json"},
                       content=b"[" * 5000 + b"]" * 5000)
    assert deep.status_code == 400 and deep.json()["error"] == "json_too_deep" and deep.json()["error_description"]


def test_one_access_token_gives_the_certificate_to_one_wallet_key(client: TestClient, db: Database) -> None:
    """Before, each key with a fresh nonce got its own signed copy for the token's 10 minutes (five keys, five
    credentials, five status indexes)."""
    auth, key, other = token(client), Key(), Key()
    for _ in range(2):  # the same wallet may ask again (and for the other format)
        assert ask(client, auth, key.proof(nonce(client))).status_code == 200
    with db.session() as session:
        before = int(session.scalar(select(func.count()).select_from(IssuedCredentialRow)) or 0)
    refused(ask(client, auth, other.proof(nonce(client))), 400, "invalid_proof", "another wallet key")
    with db.session() as session:
        assert int(session.scalar(select(func.count()).select_from(IssuedCredentialRow)) or 0) == before


def test_each_page_view_replaces_the_open_offer_instead_of_adding_one(client: TestClient, db: Database) -> None:
    """My certificates made a new offer row for each certificate at each view, kept a day past its expiry."""
    def rows() -> int:
        with db.session() as session:
            return int(session.scalar(select(func.count()).select_from(WalletOffer)) or 0)

    first = offer_code(client)
    for _ in range(20):
        latest = offer_code(client)
    assert rows() == 1
    refused(redeem(client, first), 400, "invalid_grant", "a newer offer of the same certificate replaced it")
    assert redeem(client, latest).status_code == 200
    offer_code(client)  # a redeemed offer stays (its token is in use); the new one is the open one
    assert rows() == 2


@pytest.mark.parametrize("value", ["abc.123.é", "abc.123.\u00ff"])
def test_a_nonce_of_any_text_is_refused_not_a_500(client: TestClient, value: str) -> None:
    auth, key = token(client), Key()
    refused(ask(client, auth, key.proof(value)), 400, "invalid_nonce", "not issued by this site")
