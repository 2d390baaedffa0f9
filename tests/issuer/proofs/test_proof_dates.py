"""Data Integrity 1.0: a proof whose ``expires`` has passed is invalid, and one ``created`` well after the moment
of verification is not to be believed (a little clock skew aside). ``created`` is optional.

Written for the lead's change to issuer/proofs/dataintegrity.py (and its wiring in the engine): these fail until
the proof's dates are checked."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from issuer.canon import get_canonicaliser
from issuer.keys.multikey import b58encode
from issuer.proofs.dataintegrity import with_data_integrity_context
from issuer.verify import verify_credential
from tests.issuer.samples import ob3_credential
from tests.issuer.verify.test_verify_with_status_lists import DID, NOW, _Issuer


def _stamp(delta: timedelta) -> str:
    return (NOW + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def _signed(issuer: _Issuer, **dates: str) -> dict[str, Any]:
    """An OB3 credential with a proof carrying ``dates`` (created, expires), signed over them as DI requires."""
    signer = issuer.keys.active()
    doc = with_data_integrity_context(ob3_credential(DID))
    proof: dict[str, Any] = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", **dates,
                             "verificationMethod": f"{DID}#{signer.key_id}", "proofPurpose": "assertionMethod"}
    canon = get_canonicaliser()
    data = (hashlib.sha256(canon.canonicalize({**proof, "@context": doc["@context"]}).encode()).digest()
            + hashlib.sha256(canon.canonicalize(doc).encode()).digest())
    return {**doc, "proof": {**proof, "proofValue": "z" + b58encode(signer.sign(data))}}


@pytest.mark.parametrize(("dates", "word"), [
    ({"created": "2025-03-01T10:00:00Z", "expires": "2025-04-01T00:00:00Z"}, "expires"),
    ({"created": "2025-03-01T10:00:00Z", "expires": _stamp(-timedelta(minutes=10))}, "expires"),
    ({"created": "2030-01-01T00:00:00Z"}, "created"),
    ({"created": _stamp(timedelta(days=1))}, "created"),
    ({"created": "2025-03-01T10:00:00Z", "expires": "next year"}, "expires"),
    ({"created": "yesterday"}, "created"),
])
def test_an_expired_or_future_proof_is_invalid(tmp_path: Path, dates: dict[str, str], word: str) -> None:
    issuer = _Issuer(tmp_path)
    report = verify_credential(_signed(issuer, **dates), resolver=issuer.resolver, now=NOW)
    proof = report.check("proof")
    assert proof is not None and proof.outcome == "failed", report.summary()
    assert word in proof.message
    assert report.verdict == "invalid"


@pytest.mark.parametrize("dates", [
    {"created": "2025-03-01T10:00:00Z", "expires": "2026-03-01T00:00:00Z"},
    {"created": _stamp(timedelta(seconds=30))},  # clock skew between signer and verifier
    {},  # created is optional in Data Integrity 1.0
])
def test_a_proof_within_its_dates_verifies(tmp_path: Path, dates: dict[str, str]) -> None:
    issuer = _Issuer(tmp_path)
    report = verify_credential(_signed(issuer, **dates), resolver=issuer.resolver, now=NOW)
    assert report.verdict == "verified", report.summary()
