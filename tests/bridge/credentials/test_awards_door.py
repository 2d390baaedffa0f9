"""The award pipeline's door: one award → one credential, however often the worker retries; revoke by award."""

from __future__ import annotations

from datetime import datetime

from bridge.awards.issuer_port import IssueRequest
from bridge.credentials.service import CredentialService
from bridge.dataspace import service as dataspace_service
from bridge.db import Database
from bridge.settings import Settings


def test_issue_is_idempotent_on_the_award_and_revoke_by_award(db: Database, settings: Settings) -> None:
    dataspace_service.load_sample_if_empty(db)
    request = IssueRequest(award_id="award-1", learner="moodle:42", learner_name="Ada Lovelace",
                           learner_email="ada@example.org", design="glam-archive-to-commons-certificate",
                           achievement="glam-mc-rights", context="GLAM course", awarded_at=datetime(2026, 3, 1))
    first = CredentialService(db, settings).issue_award(request)
    again = CredentialService(db, settings).issue_award(request)
    assert first.id == again.id and first.credential_id == f"urn:uuid:{first.id}"
    subject = first.document["credentialSubject"]
    assert subject["id"] == "moodle:42" and subject["activityEndDate"] == "2026-03-01T00:00:00Z"
    CredentialService(db, settings).revoke_award("award-1", "grade withdrawn")
    CredentialService(db, settings).revoke_award("award-1", "again")
    CredentialService(db, settings).revoke_award("no-such-award", "nothing")
    row = CredentialService(db, settings).get(first.id)
    assert row.revoked and row.revoked_reason == "grade withdrawn"
