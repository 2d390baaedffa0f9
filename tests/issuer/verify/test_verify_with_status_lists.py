"""The verification engine with the real Bitstring Status List checker (issuer.status): a revoked credential is
reported revoked, and a status list whose proof fails is reported as such."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from issuer.did import DidResolver, did_web_document
from issuer.errors import ProofInvalid
from issuer.keys import FileKeyStore
from issuer.proofs.dataintegrity import sign
from issuer.status import BitstringStatusChecker, InMemoryStatusStore, StatusPurpose, status_list_credential
from issuer.verify import verify_credential
from tests.issuer.samples import ob3_credential

DID = "did:web:leads.example.org"
NOW = datetime(2025, 6, 1, tzinfo=UTC)
LIST_URL = "https://leads.example.org/status/revocation/1"


class _Issuer:
    def __init__(self, folder: Path) -> None:
        self.keys = FileKeyStore(folder)
        self.store = InMemoryStatusStore()
        self.published: dict[str, dict[str, Any]] = {}
        self.resolver = DidResolver(known={DID: did_web_document(DID, self.keys.keys())})

    def _sign(self, doc: dict[str, Any]) -> dict[str, Any]:
        signer = self.keys.active()
        return sign(doc, signer, f"{DID}#{signer.key_id}", created="2025-03-01T10:00:00Z")

    def issue(self) -> tuple[dict[str, Any], str, int]:
        [allocation] = self.store.allocate(StatusPurpose.REVOCATION)
        doc = ob3_credential(DID)
        doc["credentialStatus"] = allocation.entry(LIST_URL)
        self.publish(allocation.list_id)
        return self._sign(doc), allocation.list_id, allocation.index

    def publish(self, list_id: str) -> None:
        state = self.store.get_list(list_id)
        assert state is not None
        unsigned = status_list_credential(state, list_url=LIST_URL, issuer=DID,
                                          valid_from=datetime(2025, 1, 1, tzinfo=UTC))
        self.published[LIST_URL] = self._sign(unsigned)

    def verify_list(self, doc: Any) -> None:
        report = verify_credential(dict(doc), resolver=self.resolver, now=NOW, require_status=False)
        if not report.ok:
            raise ProofInvalid(f"the status list credential does not verify: {report.summary()}")

    def checker(self) -> BitstringStatusChecker:
        return BitstringStatusChecker(lambda url: self.published[url], self.verify_list)


@pytest.fixture
def issuer(tmp_path: Path) -> _Issuer:
    return _Issuer(tmp_path)


def test_active_then_revoked(issuer: _Issuer) -> None:
    credential, list_id, index = issuer.issue()
    report = verify_credential(credential, resolver=issuer.resolver, now=NOW, status_checker=issuer.checker())
    assert report.ok, report.summary()
    status = report.check("status")
    assert status is not None and status.outcome == "passed"

    issuer.store.set_status(list_id, index, True)
    issuer.publish(list_id)
    report = verify_credential(credential, resolver=issuer.resolver, now=NOW, status_checker=issuer.checker())
    assert [c.name for c in report.failed] == ["status"]
    assert "revoked" in report.failed[0].message


def test_tampered_status_list_is_reported(issuer: _Issuer) -> None:
    credential, _, _ = issuer.issue()
    issuer.published[LIST_URL]["validFrom"] = "2025-01-02T00:00:00Z"
    report = verify_credential(credential, resolver=issuer.resolver, now=NOW, status_checker=issuer.checker())
    assert [c.name for c in report.failed] == ["status"]
    assert "status list credential does not verify" in report.failed[0].message


def _issue_with(issuer: _Issuer, extra: Any) -> dict[str, Any]:
    [allocation] = issuer.store.allocate(StatusPurpose.REVOCATION)
    doc = ob3_credential(DID)
    doc["@context"] = [*doc["@context"], "https://w3id.org/vc/status-list/2021/v1"]
    doc["credentialStatus"] = [allocation.entry(LIST_URL), extra]
    issuer.publish(allocation.list_id)
    return issuer._sign(doc)


def test_an_entry_of_a_type_this_verifier_cannot_read_leaves_the_status_unknown(issuer: _Issuer) -> None:
    """Before, a StatusList2021 revocation entry beside a clear Bitstring one was dropped unread, and the credential
    was "verified": its revocation may be in the entry nobody read."""
    other = {"id": "https://leads.example.org/status2021/1#5", "type": "StatusList2021Entry",
             "statusPurpose": "revocation", "statusListIndex": "5",
             "statusListCredential": "https://leads.example.org/status2021/1"}
    report = verify_credential(_issue_with(issuer, other), resolver=issuer.resolver, now=NOW,
                               status_checker=issuer.checker())
    status = report.check("status")
    assert not report.ok and report.verdict == "unchecked"
    assert status is not None and status.outcome == "unknown" and "StatusList2021Entry" in status.message


@pytest.mark.parametrize("purpose", [5, True, [1], []])
def test_a_list_whose_purpose_is_not_text_is_a_status_that_cannot_be_checked(issuer: _Issuer, purpose: Any) -> None:
    """Before, a number there raised TypeError: a 500 for anyone's self-signed credential and list."""
    credential, list_id, _ = issuer.issue()
    state = issuer.store.get_list(list_id)
    assert state is not None
    unsigned = status_list_credential(state, list_url=LIST_URL, issuer=DID, valid_from=datetime(2025, 1, 1, tzinfo=UTC))
    unsigned["credentialSubject"]["statusPurpose"] = purpose
    issuer.published[LIST_URL] = issuer._sign(unsigned)
    report = verify_credential(credential, resolver=issuer.resolver, now=NOW, status_checker=issuer.checker())
    assert report.verdict == "unchecked" and "names no statusPurpose as text" in str(report.check("status"))
