"""verify_credential: every check reported; tampered, expired, revoked, wrongly-keyed credentials fail by name."""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import OKPKey

from issuer.did import DidResolver, did_key_verification_method, did_web_document
from issuer.errors import IssuerError
from issuer.keys import Ed25519Signer, FileKeyStore, encode_private_key
from issuer.proofs.dataintegrity import sign
from issuer.proofs.jose import sign_jwt, verify_jwt
from issuer.verify import IssuerTrust, VerificationReport, verify_credential
from tests.issuer.samples import ob3_credential

NOW = datetime(2025, 6, 1, tzinfo=UTC)
CREATED = "2025-03-01T10:00:00Z"
DID = "did:web:leads.example.org:issuers:wmde"


@pytest.fixture
def store(tmp_path: Path) -> FileKeyStore:
    return FileKeyStore(tmp_path / "keys")


def _web_resolver(store: FileKeyStore) -> DidResolver:
    def handler(request: httpx.Request) -> httpx.Response:
        if str(request.url) == "https://leads.example.org/issuers/wmde/did.json":
            return httpx.Response(200, json=did_web_document(DID, store.keys()))
        return httpx.Response(404)

    return DidResolver(transport=httpx.MockTransport(handler))


def _signed(store: FileKeyStore, **kwargs: Any) -> dict[str, Any]:
    signer = store.active()
    return sign(ob3_credential(DID, **kwargs), signer, f"{DID}#{signer.key_id}", created=CREATED)


def _outcomes(report: VerificationReport) -> dict[str, str]:
    return {c.name: c.outcome for c in report.checks}


def test_valid_credential_passes_every_check(store: FileKeyStore) -> None:
    report = verify_credential(_signed(store), resolver=_web_resolver(store), now=NOW)
    assert report.ok, report.summary()
    assert _outcomes(report) == {"proof": "passed", "proof_purpose": "passed", "issuer": "passed",
                                 "validity": "passed", "status": "skipped", "shape": "skipped"}
    body = report.as_dict()
    assert body["verified"] is True and body["format"] == "data-integrity"


def test_one_changed_character_fails_the_proof_check(store: FileKeyStore) -> None:
    credential = _signed(store)
    credential["credentialSubject"]["identifier"][0]["identityHash"] = "Ada Lovelacf"
    report = verify_credential(credential, resolver=_web_resolver(store), now=NOW)
    assert not report.ok
    assert [c.name for c in report.failed] == ["proof"]
    assert "changed after signing" in report.failed[0].message
    assert "proof:" in report.summary()
    # after a failed signature nothing else the document says is worth reporting: every other check is "not run"
    assert {c.name: c.outcome for c in report.checks if c.name != "proof"} == dict.fromkeys(
        ("proof_purpose", "issuer", "validity", "status", "shape"), "not_run")
    assert report.verdict == "invalid"


def test_rotation_keeps_earlier_credentials_verifiable(store: FileKeyStore) -> None:
    before = _signed(store)
    store.rotate()
    after = _signed(store)
    assert before["proof"]["verificationMethod"] != after["proof"]["verificationMethod"]
    resolver = _web_resolver(store)
    assert verify_credential(before, resolver=resolver, now=NOW).ok
    assert verify_credential(after, resolver=resolver, now=NOW).ok


def test_validity_dates(store: FileKeyStore) -> None:
    resolver = _web_resolver(store)
    expired = _signed(store, valid_until="2025-05-01T00:00:00Z")
    report = verify_credential(expired, resolver=resolver, now=NOW)
    assert [c.name for c in report.failed] == ["validity"] and "expired" in report.failed[0].message
    assert report.verdict == "expired"
    future = _signed(store, valid_from="2026-01-01T00:00:00Z")
    report = verify_credential(future, resolver=resolver, now=NOW)
    assert [c.name for c in report.failed] == ["validity"] and "not valid yet" in report.failed[0].message
    assert report.verdict == "not_yet_valid"


def test_vc11_dates_are_checked() -> None:
    from issuer.verify import check_validity

    assert not check_validity({"expirationDate": "2025-01-01T00:00:00Z"}, NOW).ok
    assert not check_validity({"issuanceDate": "2026-01-01T00:00:00Z"}, NOW).ok
    assert check_validity({"issuanceDate": "2024-01-01T00:00:00Z"}, NOW).ok
    assert "not a date-time" in check_validity({"validFrom": "yesterday"}, NOW).message


@dataclass
class _Entry:
    valid: bool
    message: str


def test_status_through_an_injected_checker(store: FileKeyStore) -> None:
    credential = ob3_credential(DID)
    credential["credentialStatus"] = {
        "id": "https://leads.example.org/status/1#42", "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation", "statusListIndex": "42",
        "statusListCredential": "https://leads.example.org/status/1"}
    signer = store.active()
    signed = sign(credential, signer, f"{DID}#{signer.key_id}", created=CREATED)
    resolver = _web_resolver(store)

    class Revoked:
        def check(self, credential: dict[str, Any]) -> list[_Entry]:
            return [_Entry(False, "revoked")]

    report = verify_credential(signed, resolver=resolver, now=NOW, status_checker=Revoked())
    assert [c.name for c in report.failed] == ["status"] and report.failed[0].message == "revoked"
    report = verify_credential(signed, resolver=resolver, now=NOW, status_checker=lambda c: [_Entry(True, "ok")])
    assert report.ok
    report = verify_credential(signed, resolver=resolver, now=NOW)
    assert [c.name for c in report.failed] == ["status"]

    def unreachable(credential: dict[str, Any]) -> list[_Entry]:
        raise IssuerError("could not fetch the status list")

    report = verify_credential(signed, resolver=resolver, now=NOW, status_checker=unreachable)
    assert "could not fetch" in report.failed[0].message
    # a status that cannot be checked is unknown, never revoked
    assert report.failed[0].outcome == "unknown" and report.verdict == "unchecked"

    @dataclass
    class _Purposed:
        valid: bool
        message: str
        purpose: str

    suspended = [_Purposed(True, "revocation: not set", "revocation"), _Purposed(False, "suspended", "suspension")]
    report = verify_credential(signed, resolver=resolver, now=NOW, status_checker=lambda c: suspended)
    assert report.verdict == "suspended" and report.check("status").reason == "suspended"  # type: ignore[union-attr]
    both = [_Purposed(False, "revoked", "revocation"), _Purposed(False, "suspended", "suspension")]
    assert verify_credential(signed, resolver=resolver, now=NOW, status_checker=lambda c: both).verdict == "revoked"


def test_who_issued_it_is_a_separate_answer(store: FileKeyStore) -> None:
    """A genuine credential from an issuer nobody vouches for is not verified; a trusted one is, under its
    trusted name, and a different name in the credential is flagged."""
    signed = _signed(store)
    resolver = _web_resolver(store)

    def unknown(credential: dict[str, Any]) -> IssuerTrust:
        return IssuerTrust(DID, "unknown", claimed_name="LEADS learning data space")

    report = verify_credential(signed, resolver=resolver, now=NOW, trust=unknown)
    assert report.genuine and not report.ok and report.verdict == "untrusted"
    body = report.as_dict()
    assert body["verified"] is False and body["genuine"] is True and body["issuer"]["standing"] == "unknown"
    assert DID in report.summary() and "does not know" in report.summary()

    def listed(credential: dict[str, Any]) -> IssuerTrust:
        return IssuerTrust(DID, "registry", name="Example University", registry="Test registry",
                           claimed_name="Example  university")

    report = verify_credential(signed, resolver=resolver, now=NOW, trust=listed)
    assert report.ok and report.verdict == "verified" and not report.trust.name_differs  # type: ignore[union-attr]
    renamed = IssuerTrust(DID, "registry", name="Example University", claimed_name="LEADS learning data space")
    assert renamed.name_differs
    assert not IssuerTrust(DID, "unknown", claimed_name="Anything").name_differs


def test_shape_through_an_injected_checker(store: FileKeyStore) -> None:
    def shape(credential: dict[str, Any]) -> None:
        raise IssuerError("credentialSubject.achievement: missing criteria (shape AchievementShape)")

    report = verify_credential(_signed(store), resolver=_web_resolver(store), now=NOW, shape_checker=shape)
    assert [c.name for c in report.failed] == ["shape"] and "AchievementShape" in report.failed[0].message


def test_wrong_purpose_and_foreign_key_fail(store: FileKeyStore) -> None:
    signer = store.active()
    resolver = _web_resolver(store)
    auth = sign(ob3_credential(DID), signer, f"{DID}#{signer.key_id}", created=CREATED,
                proof_purpose="authentication")
    assert [c.name for c in verify_credential(auth, resolver=resolver, now=NOW).failed] == ["proof_purpose"]
    stranger = Ed25519Signer.generate()
    foreign = sign(ob3_credential(DID), stranger, did_key_verification_method(stranger.public_key_multibase),
                   created=CREATED)
    report = verify_credential(foreign, resolver=resolver, now=NOW)
    assert [c.name for c in report.failed] == ["issuer"]
    assert "not to the issuer" in report.failed[0].message
    unsigned = ob3_credential(DID)
    assert "no proof" in verify_credential(unsigned, resolver=resolver, now=NOW).failed[0].message
    not_a_vc = {**ob3_credential(DID), "type": ["OpenBadgeCredential"]}
    report = verify_credential(not_a_vc, resolver=resolver, now=NOW)
    assert report.failed[0].name == "format" and "VerifiableCredential" in report.failed[0].message


def test_unresolvable_issuer(store: FileKeyStore) -> None:
    other = "did:web:elsewhere.example"
    signer = store.active()
    credential = sign(ob3_credential(other), signer, f"{other}#{signer.key_id}", created=CREATED)
    report = verify_credential(credential, resolver=_web_resolver(store), now=NOW)
    assert [c.name for c in report.failed] == ["proof"]
    assert "cannot be resolved" in report.failed[0].message  # the reason the key is missing stays with the proof
    assert {c.name: c.outcome for c in report.checks if c.name != "proof"} == dict.fromkeys(
        ("proof_purpose", "issuer", "validity", "status", "shape"), "not_run")
    assert report.verdict == "invalid"


def test_did_key_issuer_and_json_text_input() -> None:
    signer = Ed25519Signer.generate()
    did = f"did:key:{signer.public_key_multibase}"
    credential = sign(ob3_credential(did), signer, did_key_verification_method(signer.public_key_multibase),
                      created=CREATED)
    import json

    report = verify_credential(json.dumps(credential), resolver=DidResolver(), now=NOW)
    assert report.ok, report.summary()
    assert verify_credential("{not json", resolver=DidResolver(), now=NOW).failed[0].name == "format"


# -- VC-JOSE ---------------------------------------------------------------------------------------------------


def test_jose_round_trip_and_header(store: FileKeyStore) -> None:
    signer = store.active()
    token = sign_jwt(ob3_credential(DID), signer, f"{DID}#{signer.key_id}")
    header = jws.extract_compact(token.encode()).protected
    assert header == {"alg": "Ed25519", "typ": "vc+jwt", "cty": "vc", "kid": f"{DID}#{signer.key_id}"}
    report = verify_credential(token, resolver=_web_resolver(store), now=NOW)
    assert report.ok, report.summary()
    assert report.format == "vc-jose" and report.credential == ob3_credential(DID)
    # joserfc itself accepts what we produce
    key = OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": _x(signer)})
    assert jws.deserialize_compact(token, key, algorithms=["Ed25519"]).payload


def _x(signer: Ed25519Signer) -> str:
    import base64

    raw = signer.private_key.public_key().public_bytes_raw()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_jose_tampered_payload_fails(store: FileKeyStore) -> None:
    import base64
    import json

    signer = store.active()
    token = sign_jwt(ob3_credential(DID), signer, f"{DID}#{signer.key_id}")
    head, _, sig = token.split(".")
    forged = ob3_credential(DID, name="Ada Lovelacf")
    body = base64.urlsafe_b64encode(json.dumps(forged, separators=(",", ":")).encode()).rstrip(b"=").decode()
    report = verify_credential(f"{head}.{body}.{sig}", resolver=_web_resolver(store), now=NOW)
    assert [c.name for c in report.failed] == ["proof"]
    with pytest.raises(IssuerError, match="does not verify"):
        verify_jwt(f"{head}.{body}.{sig}", signer.public_key_multibase)


def test_jose_accepts_eddsa_tokens_made_by_joserfc() -> None:
    signer = Ed25519Signer.generate()
    did = f"did:key:{signer.public_key_multibase}"
    vm = did_key_verification_method(signer.public_key_multibase)
    key = OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": _x(signer),
                             "d": _d(signer)})
    import json

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="EdDSA is deprecated")
        token = jws.serialize_compact({"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc", "kid": vm},
                                      json.dumps(ob3_credential(did)).encode(), key, algorithms=["EdDSA"])
    report = verify_credential(token, resolver=DidResolver(), now=NOW)
    assert report.ok, report.summary()
    with pytest.raises(IssuerError, match="embedded proof"):
        sign_jwt({**ob3_credential(did), "proof": {}}, signer, vm)
    assert copy.deepcopy(report.credential) == ob3_credential(did)


def _d(signer: Ed25519Signer) -> str:
    import base64

    from cryptography.hazmat.primitives import serialization

    raw = signer.private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                           serialization.NoEncryption())
    assert encode_private_key(raw).startswith("z")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
