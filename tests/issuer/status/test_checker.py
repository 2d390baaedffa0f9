"""The status check a verifier runs: fetch the list credential, verify its proof, read the bit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from issuer.did import DidResolver, did_key, did_key_verification_method
from issuer.errors import IssuerError
from issuer.keys import Ed25519Signer
from issuer.proofs import dataintegrity
from issuer.status import Bitstring, BitstringStatusChecker, InMemoryStatusStore, StatusPurpose, status_list_credential
from issuer.verify import verify_credential

NOW = datetime(2026, 3, 2, tzinfo=UTC)
BASE = "https://leads.example/status/"


class Setup:
    def __init__(self) -> None:
        self.signer = Ed25519Signer.generate()
        self.did = did_key(self.signer.public_key_multibase)
        self.store = InMemoryStatusStore()
        self.revocation = self.store.allocate(StatusPurpose.REVOCATION)[0]
        self.suspension = self.store.allocate(StatusPurpose.SUSPENSION)[0]
        self.credential: dict[str, Any] = {"issuer": self.did,
                                           "credentialStatus": [
                                               self.revocation.entry(BASE + self.revocation.list_id),
                                               self.suspension.entry(BASE + self.suspension.list_id)]}
        self.tamper = False

    def fetch(self, url: str) -> Mapping[str, Any]:
        state = self.store.get_list(url.removeprefix(BASE))
        if state is None:
            raise ConnectionError(f"HTTP 404 for {url}")
        unsigned = status_list_credential(state, list_url=url, issuer=self.did, valid_from=NOW)
        signed = dataintegrity.sign(unsigned, self.signer, did_key_verification_method(self.did[8:]), created=NOW)
        if self.tamper:
            other = Bitstring(state.bits.length, state.bits.to_bytes())
            other.set(0, not other.get(0))  # flip one bit after signing
            signed["credentialSubject"]["encodedList"] = other.encode()
        return signed

    def verify_list(self, document: Mapping[str, Any]) -> None:
        report = verify_credential(dict(document), resolver=DidResolver(), now=NOW, require_status=False)
        if not report.ok:
            raise IssuerError(report.summary(), code="status_verification")

    def checker(self) -> BitstringStatusChecker:
        return BitstringStatusChecker(self.fetch, self.verify_list)


def test_a_fresh_credential_is_valid_on_both_purposes() -> None:
    setup = Setup()
    results = setup.checker().check(setup.credential)
    assert [(r.purpose, r.valid) for r in results] == [("revocation", True), ("suspension", True)]
    assert results[0].index == setup.revocation.index


def test_revoked_and_suspended_bits_are_reported() -> None:
    setup = Setup()
    setup.store.set_status(setup.revocation.list_id, setup.revocation.index, True)
    setup.store.set_status(setup.suspension.list_id, setup.suspension.index, True)
    results = setup.checker().check(setup.credential)
    assert [r.message for r in results] == ["revoked", "suspended"]
    assert not any(r.valid for r in results)


def test_a_tampered_list_credential_is_not_trusted() -> None:
    setup = Setup()
    setup.tamper = True
    with pytest.raises(IssuerError) as err:
        setup.checker().check(setup.credential)
    assert err.value.code == "status_verification"


def test_retrieval_failure_and_purpose_mismatch_are_errors() -> None:
    setup = Setup()
    gone = {"credentialStatus": {**setup.credential["credentialStatus"][0],
                                 "statusListCredential": BASE + "missing"}}
    with pytest.raises(IssuerError) as err:
        setup.checker().check(gone)
    assert err.value.code == "status_retrieval"
    wrong = {"issuer": setup.did,
             "credentialStatus": {**setup.credential["credentialStatus"][0], "statusPurpose": "suspension"}}
    with pytest.raises(IssuerError, match="not 'suspension'"):
        setup.checker().check(wrong)


def test_it_plugs_into_the_verifier_as_its_status_checker() -> None:
    setup = Setup()
    setup.store.set_status(setup.revocation.list_id, setup.revocation.index, True)
    credential = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
                  "issuer": setup.did, "validFrom": "2026-01-01T00:00:00Z",
                  "credentialSubject": {"id": "did:example:ada"}, **setup.credential}
    vm = did_key_verification_method(setup.signer.public_key_multibase)
    signed = dataintegrity.sign(credential, setup.signer, vm, created=NOW)
    report = verify_credential(signed, resolver=DidResolver(), now=NOW, status_checker=setup.checker())
    status = report.check("status")
    assert report.check("proof") is not None and report.check("proof").ok  # type: ignore[union-attr]
    assert status is not None and not status.ok and status.message == "revoked"
