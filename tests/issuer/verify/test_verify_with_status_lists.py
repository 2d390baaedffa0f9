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
