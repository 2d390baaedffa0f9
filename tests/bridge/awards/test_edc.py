"""The learner's EDC: asked for on the page, signed by a worker (never in the request), one per award, revoked with
the award — with the real credential service and verifier, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from bridge.awards import service
from bridge.awards.credential_adapters import CredentialsServiceIssuer
from bridge.awards.pages import edc_view
from bridge.awards.service import GradeInput
from bridge.awards.tables import Award, Job
from bridge.awards.worker import Worker, request_for
from bridge.credentials.service import CredentialService
from bridge.credentials.tables import IssuedCredentialRow
from bridge.credentials.verification import Verifier
from bridge.dataspace import service as dataspace
from bridge.db import Database
from bridge.errors import LeadsError
from bridge.settings import Settings

STACK = "glam-archive-to-commons-certificate"
RIGHTS = "glam-mc-rights"


def _issued_rights_award(db: Database, settings: Settings) -> tuple[Worker, str]:
    dataspace.store(db, dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET))
    with db.session() as session:
        rules = service.load_rules(session)
        service.record(session, rules, GradeInput(source="test", learner="moodle:7", learner_name="Ada Lovelace",
                                                  design=STACK, assessment="glam-as-rights-quiz", score=9,
                                                  maximum=10))
    worker = Worker(db, CredentialsServiceIssuer(CredentialService(db, settings)), batch=10)
    assert worker.run(threading.Event(), once=True) == 1
    with db.session() as session:
        award = session.scalars(select(Award).where(Award.achievement == RIGHTS)).one()
    assert award.state == "issued"
    return worker, award.id


def _credentials(db: Database) -> list[IssuedCredentialRow]:
    with db.session() as session:
        return list(session.scalars(select(IssuedCredentialRow).order_by(IssuedCredentialRow.format)))


def test_edc_is_prepared_by_a_worker_once_and_verifies(db: Database, settings: Settings) -> None:
    worker, award_id = _issued_rights_award(db, settings)
    with db.session() as session:
        award = session.get(Award, award_id)
        assert award is not None
        assert edc_view(award, service.edc_jobs(session, [award]).get(award_id), settings.base_url)["state"] == "none"
        first = service.request_edc(session, award_id)
    with db.session() as session:
        again = service.request_edc(session, award_id)  # asking twice queues one job
        award = session.get(Award, award_id)
        assert award is not None and again.id == first.id
        assert edc_view(award, again, settings.base_url) == {"state": "preparing", "url": None}
    assert [r.format for r in _credentials(db)] == ["ob3"]  # nothing signed by asking

    assert worker.run(threading.Event(), once=True) == 1
    with db.session() as session:
        award = session.get(Award, award_id)
        assert award is not None
        job = service.edc_jobs(session, [award])[award_id]
        view = edc_view(award, job, settings.base_url)
        assert service.request_edc(session, award_id).id == job.id  # done: asking again changes nothing
    assert view["state"] == "ready" and view["url"] is not None
    edc, ob3 = _credentials(db)
    assert (edc.format, edc.award_id, ob3.award_id) == ("edc", f"{award_id}:edc", award_id)
    assert view["url"].endswith(f"/credentials/{edc.id}?format=json")
    assert "EuropeanDigitalCredential" in edc.document["type"]
    assert edc.document["credentialSubject"]["id"] == ob3.document["credentialSubject"]["id"] == "moodle:7"

    # a retried job (a worker killed after signing) returns the same EDC, never a second one
    with db.session() as session:
        award = session.get(Award, award_id)
        assert award is not None
        issuer = CredentialsServiceIssuer(CredentialService(db, settings))
        assert issuer.issue_edc(request_for(award)).credential_id == edc.credential_id
    assert len(_credentials(db)) == 2

    verifier = Verifier(CredentialService(db, settings))
    try:
        report = verifier.verify(edc.document)
        assert report.ok, report.failed
        with db.session() as session:
            service.revoke(session, award_id, "wrong learner")
        assert worker.run(threading.Event(), once=True) == 1  # one revoke job takes both formats
        assert all(r.revoked for r in _credentials(db))
        after = verifier.verify(edc.document)
        assert not after.ok and [c.name for c in after.failed] == ["status"], after.failed
    finally:
        verifier.close()
    with pytest.raises(LeadsError, match="issued awards only"), db.session() as session:
        service.request_edc(session, award_id)


def test_award_revoked_while_the_edc_is_prepared_leaves_no_valid_edc(db: Database, settings: Settings) -> None:
    worker, award_id = _issued_rights_award(db, settings)
    with db.session() as session:
        service.request_edc(session, award_id)
    claimed = worker.claim()
    with db.session() as session:  # revoked after the worker took the job, before its EDC exists
        service.revoke(session, award_id, "withdrawn")
    worker.run(threading.Event(), once=True)  # the revoke job first: it finds no EDC yet
    worker.process(claimed)  # the award is revoked: nothing is signed
    with db.session() as session:
        edc_job = session.scalars(select(Job).where(Job.kind == "edc")).one()
    assert edc_job.state == "done" and [r.format for r in _credentials(db)] == ["ob3"]


def test_award_revoked_while_the_edc_is_signed_revokes_the_new_edc(db: Database, settings: Settings) -> None:
    worker, award_id = _issued_rights_award(db, settings)
    with db.session() as session:
        service.request_edc(session, award_id)
    revoked = threading.Event()

    class RevokingIssuer(CredentialsServiceIssuer):
        def issue_edc(self, request):  # type: ignore[no-untyped-def]
            with db.session() as session:  # the instructor revokes while the EDC is being signed
                service.revoke(session, award_id, "withdrawn")
            worker.run(threading.Event(), once=True)  # the revoke job runs before the EDC exists: it misses it
            revoked.set()
            return super().issue_edc(request)

    worker.issuer = RevokingIssuer(CredentialService(db, settings))
    worker.run(threading.Event(), once=True)
    assert revoked.is_set()
    rows = _credentials(db)
    assert [r.format for r in rows] == ["edc", "ob3"] and all(r.revoked for r in rows)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Job).where(Job.state == "failed")) == 0
