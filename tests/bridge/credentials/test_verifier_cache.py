"""The web process's verifier keeps this installation's status lists loaded (docs/decisions/024), yet a
revocation, a suspension and its lifting show at the very next verification; and it keeps a bounded number."""

from __future__ import annotations

import json
from unittest.mock import patch

from bridge.credentials import verification
from bridge.credentials.reasons import PUBLIC_KEY_RETIRED, key_retired_reason
from bridge.credentials.service import CredentialService, IssueInput
from bridge.credentials.verification import Verifier
from bridge.dataspace import service as dataspace_service
from bridge.db import Database
from bridge.settings import Settings
from bridge.trust.organisations import IssuerOrg
from tests.bridge.db.sent import sent_to


def test_a_shared_verifier_sees_every_status_change_at_once(settings: Settings, db: Database) -> None:
    dataspace_service.load_sample_if_empty(db)
    service = CredentialService(db, settings)
    row = service.issue(IssueInput(design_key="glam-mc-rights", learner_name="Ada Lovelace"))
    verifier = Verifier(service)
    loads = 0
    real = verifier.status._load

    def counted(url: str) -> object:
        nonlocal loads
        loads += 1
        return real(url)

    with patch.object(verifier.status, "_load", counted):
        # the first verification signs the lists (their signed version moves), the second keeps what it loads
        assert verifier.verify(row.document).verdict == "verified"
        assert verifier.verify(row.document).verdict == "verified"
        first = loads
        assert verifier.verify(row.document).verdict == "verified"
        assert loads == first  # kept: nothing loaded or proof-checked again
        service.suspend(row.id, "checking")
        assert verifier.verify(row.document).verdict == "suspended"
        service.unsuspend(row.id, "done")
        assert verifier.verify(row.document).verdict == "verified"
        service.revoke(row.id, "mistake")
        assert verifier.verify(row.document).verdict == "revoked"
    verifier.close()


def test_the_kept_lists_are_bounded(settings: Settings, db: Database) -> None:
    dataspace_service.load_sample_if_empty(db)
    service = CredentialService(db, settings)
    row = service.issue(IssueInput(design_key="glam-mc-rights", learner_name="Ada Lovelace"))
    verifier = Verifier(service)
    with patch.object(verification, "LOCAL_LISTS_KEPT", 1):
        assert verifier.verify(row.document).verdict == "verified"  # two lists: revocation and suspension
    assert len(verifier.status._kept) == 1  # type: ignore[attr-defined]
    verifier.close()


def test_a_credential_in_good_standing_costs_one_query(settings: Settings, db: Database) -> None:
    """The versions of both its status lists in one query, outside any transaction (no BEGIN and COMMIT round
    trips); the revocation reason is read only when a status check failed (docs/decisions/024)."""
    dataspace_service.load_sample_if_empty(db)
    service = CredentialService(db, settings)
    row = service.issue(IssueInput(design_key="glam-mc-rights", learner_name="Ada Lovelace"))
    verifier = Verifier(service)
    for _ in range(2):  # the first signs the lists (their signed version moves), the second keeps what it loads
        assert verifier.verify(row.document).verdict == "verified"
    with sent_to(db) as sent:
        assert verifier.verify(row.document).verdict == "verified"
    assert len(sent.statements) == 1 and "status_lists" in sent.statements[0], sent.statements
    assert sent.transactions == 0
    service.revoke(row.id, key_retired_reason("laptop stolen"))
    with sent_to(db) as sent:
        report = verifier.verify(row.document)
    assert report.verdict == "revoked"
    status = next(c.message for c in report.checks if c.name == "status")
    assert f"(the issuer's reason: {PUBLIC_KEY_RETIRED})" in status
    assert any("issued_credentials" in s for s in sent.statements), sent.statements
    verifier.close()


def test_a_key_rotated_by_another_process_verifies_and_only_the_issuers_index_is_checked(
        settings: Settings, db: Database) -> None:
    """Two issuing organisations; another process (its own directory and key stores on the same data directory)
    rotates the second one's key and issues with it: this process's verifier re-reads that DID document without a
    restart, and looks at the key index of the credential's issuer only (one ``stat``, not one per issuer)."""
    dataspace_service.load_sample_if_empty(db)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "issuers.json").write_text(json.dumps([
        {"slug": "leads", "names": {"en": "LEADS"}, "legal_identifier": "L-1", "root": True},
        {"slug": "museum", "names": {"en": "Museum"}, "legal_identifier": "M-1"}]), encoding="utf-8")
    here, there = CredentialService(db, settings), CredentialService(db, settings)
    before = here.issue(IssueInput(design_key="glam-mc-rights", learner_name="Ada Lovelace", issuer_slug="museum"))
    verifier = Verifier(here)
    assert verifier.verify(before.document).verdict == "verified"

    there.directory.keys(there.directory.get("museum")).rotate()
    after = there.issue(IssueInput(design_key="glam-mc-rights", learner_name="Grace Hopper", issuer_slug="museum"))
    assert after.document["proof"]["verificationMethod"] != before.document["proof"]["verificationMethod"]
    looked: list[str] = []
    real = here.directory.keys_stamp

    def stamp(org: IssuerOrg) -> tuple[int, int] | None:
        looked.append(org.slug)
        return real(org)

    with patch.object(here.directory, "keys_stamp", stamp):
        assert verifier.verify(after.document).verdict == "verified"
        assert set(looked) == {"museum"}
        looked.clear()
        assert verifier.verify(json.dumps(before.document)).verdict == "verified"  # text: no issuer known before
    assert sorted(set(looked)) == ["leads", "museum"]
    verifier.close()
