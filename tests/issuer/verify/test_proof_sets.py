"""A Data Integrity proof set holds only when every proof in it does: a second proof that is broken, signed by a
key nobody authorised, or made for another purpose fails the proof check, which names that proof."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from issuer.did import did_key, did_key_verification_method
from issuer.keys import Ed25519Signer
from issuer.proofs.dataintegrity import sign
from issuer.verify import verify_credential
from tests.issuer.samples import ob3_credential
from tests.issuer.verify.test_verify_with_status_lists import DID, NOW, _Issuer

CREATED = "2025-03-01T10:00:00Z"


@pytest.fixture
def issuer(tmp_path: Path) -> _Issuer:
    return _Issuer(tmp_path)


def _witness() -> tuple[Ed25519Signer, str]:
    signer = Ed25519Signer.generate()
    return signer, did_key_verification_method(signer.public_key_multibase)


def _verify(issuer: _Issuer, credential: dict[str, Any]) -> tuple[str, str]:
    report = verify_credential(credential, resolver=issuer.resolver, now=NOW)
    proof = report.check("proof")
    assert proof is not None
    return report.verdict, proof.message


def test_a_set_of_two_good_proofs_by_two_signers_verifies(issuer: _Issuer) -> None:
    signer, vm = _witness()
    credential = sign(issuer._sign(ob3_credential(DID)), signer, vm, created=CREATED)
    verdict, message = _verify(issuer, credential)
    assert verdict == "verified"
    assert "all 2 eddsa-rdfc-2022 signatures of the proof set are valid" in message


def test_a_broken_second_proof_by_another_signer_fails_the_check_and_is_named(issuer: _Issuer) -> None:
    signer, vm = _witness()
    credential = sign(issuer._sign(ob3_credential(DID)), signer, vm, created=CREATED)
    other = Ed25519Signer.generate()
    credential["proof"][1]["proofValue"] = sign(ob3_credential(DID), other, vm, created=CREATED)["proof"][
        "proofValue"]  # a signature, but by another key than the one the proof names
    verdict, message = _verify(issuer, credential)
    assert verdict == "invalid"
    assert message.startswith(f"proof 2 of 2 ({vm}): the signature does not match")


def test_a_broken_second_proof_by_the_same_key_fails_too(issuer: _Issuer) -> None:
    credential = issuer._sign(issuer._sign(ob3_credential(DID)))
    credential["proof"][1]["proofValue"] = credential["proof"][0]["proofValue"][:-2] + "11"
    verdict, message = _verify(issuer, credential)
    assert verdict == "invalid"
    assert message.startswith("proof 2 of 2 (")


def test_a_second_proof_for_another_purpose_fails(issuer: _Issuer) -> None:
    signer, vm = _witness()
    credential = sign(issuer._sign(ob3_credential(DID)), signer, vm, created=CREATED, proof_purpose="authentication")
    verdict, message = _verify(issuer, credential)
    assert verdict == "invalid"
    assert message == f"proof 2 of 2 ({vm}): proofPurpose is 'authentication', not 'assertionMethod'"


def test_a_second_proof_whose_key_cannot_be_resolved_fails(issuer: _Issuer) -> None:
    signer, _ = _witness()
    vm = "did:web:nowhere.invalid#key-1"
    credential = sign(issuer._sign(ob3_credential(DID)), signer, vm, created=CREATED)
    verdict, message = _verify(issuer, credential)
    assert verdict == "invalid"
    assert message.startswith(f"proof 2 of 2 ({vm}): ")


def test_the_issuers_proof_is_the_one_the_key_checks_are_about(issuer: _Issuer) -> None:
    signer, vm = _witness()
    witnessed = sign(ob3_credential(DID), signer, vm, created=CREATED)  # the witness signs first
    credential = issuer._sign(witnessed)
    report = verify_credential(credential, resolver=issuer.resolver, now=NOW)
    assert report.verdict == "verified", report.summary()
    issuer_check = report.check("issuer")
    assert issuer_check is not None and issuer_check.message == f"issuer {DID} resolved; it controls the signing key"
    assert did_key(signer.public_key_multibase) in (report.check("proof") or issuer_check).message


def test_a_lone_proof_reads_as_before(issuer: _Issuer) -> None:
    credential = issuer._sign(ob3_credential(DID))
    broken = copy.deepcopy(credential)
    broken["credentialSubject"]["name"] = "Someone else"
    verdict, message = _verify(issuer, broken)
    assert verdict == "invalid"
    assert message.startswith("the signature does not match the credential")
