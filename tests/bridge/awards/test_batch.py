"""Batch issuance and claim order: a batch signs each award once (whoever races it), and issuance work is claimed
before follow-ups (PDF), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bridge.awards import service
from bridge.awards.issuer_port import IssueRequest
from bridge.awards.service import GradeInput
from bridge.awards.tables import Award, Job
from bridge.awards.worker import Worker
from bridge.credentials.service import CredentialService
from bridge.credentials.tables import IssuedCredentialRow
from bridge.credentials.verification import Verifier
from bridge.dataspace import service as dataspace
from bridge.db import Database
from bridge.db.base import utcnow
from bridge.settings import Settings
from tests.bridge.awards import fakes

STACK = "glam-archive-to-commons-certificate"
PARTS = ("glam-mc-rights", "glam-mc-digitisation", "glam-mc-commons-upload", STACK)


def _request(n: int, achievement: str = "glam-mc-rights") -> IssueRequest:
    return IssueRequest(award_id=f"award-{n}", learner=f"moodle:{n}", learner_name=f"Learner {n}",
                        learner_email=None, design=STACK, achievement=achievement, context="GLAM course",
                        awarded_at=datetime(2026, 3, 1))


def test_a_batch_issues_each_award_once_in_order(db: Database, settings: Settings) -> None:
    dataspace.load_sample_if_empty(db)
    single = CredentialService(db, settings).issue_award(_request(0))
    requests = [_request(n, PARTS[n % 4]) for n in range(6)] + [_request(3, PARTS[3])]
    rows = CredentialService(db, settings).issue_awards(requests)
    assert [r.award_id for r in rows] == [r.award_id for r in requests]
    assert rows[0].id == single.id and rows[3].id == rows[6].id  # already issued / twice in the batch
    assert CredentialService(db, settings).issue_awards(requests)[1].id == rows[1].id  # a retried batch: the same rows
    with db.session() as session:
        stored = session.scalars(select(IssuedCredentialRow)).all()
    assert len(stored) == 6
    pairs = {(r.revocation_list, r.revocation_index) for r in stored}
    assert len(pairs) == 6 and len({(r.suspension_list, r.suspension_index) for r in stored}) == 6
    assert {r.design_key for r in stored} == set(PARTS)
    verifier = Verifier(CredentialService(db, settings))
    try:
        for row in rows[:4]:
            report = verifier.verify(row.document)
            assert report.ok, report.failed
    finally:
        verifier.close()


def test_racing_batches_store_one_credential_per_award(db: Database, settings: Settings) -> None:
    dataspace.load_sample_if_empty(db)
    requests = [_request(n) for n in range(12)]
    results: list[list[str]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def run(batch: list[IssueRequest]) -> None:
        try:
            barrier.wait()
            results.append([r.id for r in CredentialService(db, settings).issue_awards(batch)])
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(requests[i:] + requests[:i],)) for i in (0, 4, 8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with db.session() as session:
        stored = {r.award_id: r.id for r in session.scalars(select(IssuedCredentialRow))}
    assert len(stored) == 12 and len(results) == 3
    assert all(set(ids) == set(stored.values()) for ids in results)  # every caller got the stored credentials


def test_issuance_is_claimed_before_follow_ups(db: Database) -> None:
    dataspace.store(db, dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET))
    fakes.reset(db)
    with db.session() as session:
        rules = service.load_rules(session)
        service.record_many(session, rules, [
            GradeInput(source="t", learner="ada", learner_name="Ada", design=STACK, assessment=a, score=s, maximum=m)
            for a, s, m in (("glam-as-rights-quiz", 7, 10), ("glam-as-digitisation-portfolio", 60, 100),
                            ("glam-as-upload-project", 1, 1))])
        award = session.scalars(select(Award).where(Award.achievement == STACK)).one()
        old = utcnow() - timedelta(hours=1)  # a PDF job queued long before the issuance jobs
        session.add(Job(kind="pdf", award_id=award.id, payload={}, state="queued", attempts=0, max_attempts=5,
                        next_attempt_at=old, created_at=old, updated_at=old))
    worker = Worker(db, fakes.TableIssuer(db), batch=4)
    with db.session() as session:
        kinds = {i: k for i, k in session.execute(select(Job.id, Job.kind))}
    assert [kinds[i] for i in worker.claim()] == ["issue"] * 4
    assert [kinds[i] for i in worker.claim()] == ["pdf"]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Job).where(Job.state == "running")) == 5
