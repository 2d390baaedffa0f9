"""The PKCS#11 signer against a real token (Debian's SoftHSM2): the key is generated inside the token, never leaves
it, signs a credential's Data Integrity proof that LEADS and the Node reference verifier accept."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from issuer.did import DidResolver, did_key, did_key_verification_method
from issuer.errors import KeyError_
from issuer.keys import FileKeyStore, Pkcs11Signer, Signer, make_signer, verify_ed25519
from issuer.keys.pkcs11 import generate_pkcs11_key
from issuer.proofs.dataintegrity import sign
from issuer.verify import verify_credential
from tests import noderef
from tests.softhsm import make_token

NOW = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> object:
    return make_token(tmp_path_factory.mktemp("softhsm"))


def _credential(issuer: str) -> dict[str, object]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": "urn:uuid:6a3bde0c-5d1b-4b8e-9f3e-0d6f2b1c9a12",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": "HSM test issuer"},
        "validFrom": "2025-03-01T00:00:00Z",
        "name": "Signed in a token",
        "credentialSubject": {"type": ["AchievementSubject"], "achievement": {
            "id": "https://leads.example/entity/Q42", "type": ["Achievement"], "name": "Token signing",
            "description": "A credential signed by a key that never left a PKCS#11 token.",
            "criteria": {"narrative": "Signed through PKCS#11."}}},
    }


def test_a_token_key_signs_a_credential_that_leads_and_node_verify(token: object, tmp_path: Path) -> None:
    from tests.softhsm import Token

    assert isinstance(token, Token)
    signer = generate_pkcs11_key(token.module, token.label, "issuer-1", token.pin)
    assert isinstance(signer, Signer) and signer.algorithm == "Ed25519"
    assert verify_ed25519(signer.public_key_multibase, signer.sign(b"data"), b"data")

    issuer = did_key(signer.public_key_multibase)
    signed = sign(_credential(issuer), signer, did_key_verification_method(signer.public_key_multibase),
                  created="2025-03-01T10:00:00Z")
    report = verify_credential(signed, resolver=DidResolver(), now=NOW, require_status=False)
    assert report.ok, report.summary()
    assert noderef.node_verify(signed, tmp_path) == {"verified": True, "errors": []}
    tampered = {**signed, "name": "Signed in a token!"}
    assert not verify_credential(tampered, resolver=DidResolver(), now=NOW, require_status=False).ok


def test_the_registry_and_the_key_store_reach_the_token(token: object, tmp_path: Path) -> None:
    from tests.softhsm import Token

    assert isinstance(token, Token)
    generate_pkcs11_key(token.module, token.label, "issuer-2", token.pin)
    made = make_signer("pkcs11", module=token.module, token_label=token.label, key_label="issuer-2", pin=token.pin)
    assert isinstance(made, Pkcs11Signer)

    store = FileKeyStore(tmp_path / "keys", backend_secrets={"pkcs11": {"pin": token.pin}})
    first = store.active()  # a file key first; the token key then becomes the active one
    added = store.add_external("pkcs11", {"module": token.module, "token_label": token.label,
                                          "key_label": "issuer-2"})
    assert added.key_id == made.key_id and "pin" not in (tmp_path / "keys" / "keys.json").read_text()
    again = FileKeyStore(tmp_path / "keys", backend_secrets={"pkcs11": {"pin": token.pin}})
    assert again.active().key_id == made.key_id and again.signer(first.key_id).key_id == first.key_id
    assert [(k.backend, k.active) for k in again.keys()] == [("file", False), ("pkcs11", True)]  # noqa: SIM118
    assert verify_ed25519(made.public_key_multibase, again.active().sign(b"x"), b"x")

    with pytest.raises(KeyError_):  # a wrong label is a clear error, not a new key
        make_signer("pkcs11", module=token.module, token_label=token.label, key_label="nope", pin=token.pin)
    with pytest.raises(KeyError_):
        make_signer("pkcs11", module=token.module, token_label="no-such-token", key_label="issuer-2", pin=token.pin)
