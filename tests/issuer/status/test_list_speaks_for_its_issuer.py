"""A status list answers only for its own issuer's credentials, and only from its own id: a genuine list signed by
someone else, or the issuer's own list served at another list's URL, must not clear a revoked credential. The
status is then unknown (not verified), with the reason in the check's message."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from issuer.did import DidResolver, did_key_verification_method, did_web_document
from issuer.keys import Ed25519Signer
from issuer.proofs.dataintegrity import sign
from issuer.status import InMemoryStatusStore, StatusPurpose, status_list_credential
from issuer.verify import verify_credential
from tests.issuer.verify.test_verify_with_status_lists import DID, LIST_URL, NOW, _Issuer

OTHER_URL = "https://leads.example.org/status/revocation/2"


@pytest.fixture
def revoked(tmp_path: Path) -> tuple[_Issuer, dict[str, Any]]:
    """An issuer and one of its credentials, revoked on the list its entry names."""
    issuer = _Issuer(tmp_path)
    credential, list_id, index = issuer.issue()
    issuer.store.set_status(list_id, index, True)
    issuer.publish(list_id)
    report = verify_credential(credential, resolver=issuer.resolver, now=NOW, status_checker=issuer.checker())
    assert report.verdict == "revoked"
    return issuer, credential


def _clean_list(url: str, issuer: str) -> dict[str, Any]:
    store = InMemoryStatusStore()
    [allocation] = store.allocate(StatusPurpose.REVOCATION)
    state = store.get_list(allocation.list_id)
    assert state is not None
    return status_list_credential(state, list_url=url, issuer=issuer, valid_from=datetime(2025, 1, 1, tzinfo=UTC))


def _status(issuer: _Issuer, credential: dict[str, Any]) -> tuple[str, str, str]:
    report = verify_credential(credential, resolver=issuer.resolver, now=NOW, status_checker=issuer.checker())
    status = report.check("status")
    assert status is not None
    return report.verdict, status.outcome, status.message


def test_a_list_signed_by_another_did_at_the_same_url_does_not_clear_a_revocation(
        revoked: tuple[_Issuer, dict[str, Any]]) -> None:
    issuer, credential = revoked
    mallory = Ed25519Signer.generate()
    mallory_did = "did:key:" + mallory.public_key_multibase
    issuer.published[LIST_URL] = sign(_clean_list(LIST_URL, mallory_did), mallory,
                                       did_key_verification_method(mallory.public_key_multibase),
                                       created="2025-05-01T00:00:00Z")
    verdict, outcome, message = _status(issuer, credential)
    assert (verdict, outcome) == ("unchecked", "unknown")
    assert f"issued by {mallory_did}, not by the credential's issuer {DID}" in message


def test_the_issuers_own_list_served_under_another_id_does_not_clear_a_revocation(
        revoked: tuple[_Issuer, dict[str, Any]]) -> None:
    issuer, credential = revoked
    issuer.published[LIST_URL] = issuer._sign(_clean_list(OTHER_URL, DID))  # genuine, but another list
    verdict, outcome, message = _status(issuer, credential)
    assert (verdict, outcome) == ("unchecked", "unknown")
    assert f"gives its id as {OTHER_URL!r}" in message


def test_an_issuer_given_as_an_object_matches_the_lists_issuer(tmp_path: Path) -> None:
    issuer = _Issuer(tmp_path)
    credential, _, _ = issuer.issue()
    credential = {k: v for k, v in credential.items() if k != "proof"}
    credential["issuer"] = {"id": DID, "type": ["Profile"], "name": "LEADS"}
    credential = issuer._sign(credential)
    published = {k: v for k, v in issuer.published[LIST_URL].items() if k != "proof"}
    issuer.published[LIST_URL] = issuer._sign({**published, "issuer": {"id": DID, "name": "LEADS"}})
    assert _status(issuer, credential) == ("verified", "passed", f"revocation: not set (index {_index(credential)})")


def test_the_list_re_signed_after_a_key_rotation_still_answers(tmp_path: Path) -> None:
    issuer = _Issuer(tmp_path)
    credential, list_id, index = issuer.issue()  # signed with the first key
    issuer.keys.rotate()
    issuer.resolver = DidResolver(known={DID: did_web_document(DID, issuer.keys.keys())})
    issuer.publish(list_id)  # the list, re-signed with the new key: same DID
    assert _status(issuer, credential)[:2] == ("verified", "passed")
    issuer.store.set_status(list_id, index, True)
    issuer.publish(list_id)
    assert _status(issuer, credential)[:2] == ("revoked", "failed")


def _index(credential: dict[str, Any]) -> str:
    return str(credential["credentialStatus"]["statusListIndex"])
