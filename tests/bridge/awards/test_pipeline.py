"""The outbox on SQLite and PostgreSQL: grade → decision → job in one transaction, workers, leases, retries."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bridge.awards import operations, service
from bridge.awards.issuer_port import IssuedCredential, IssueRequest, PermanentIssueError
from bridge.awards.rules import AwardRules
from bridge.awards.service import GradeInput
from bridge.awards.tables import Award, GradeEvent, Job
from bridge.awards.worker import Worker
from bridge.dataspace import service as dataspace
from bridge.db import Database
from bridge.db.base import utcnow
from bridge.errors import LeadsError
from tests.bridge.awards import fakes

STACK = "glam-archive-to-commons-certificate"
QUIZ, PORTFOLIO, PROJECT = "glam-as-rights-quiz", "glam-as-digitisation-portfolio", "glam-as-upload-project"


@pytest.fixture
def rules(db: Database) -> AwardRules:
    dataspace.store(db, dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET))
    fakes.reset(db)
    with db.session() as session:
        return service.load_rules(session)


def grade(learner: str, assessment: str, score: float, maximum: float = 100, **kw: object) -> GradeInput:
    kw.setdefault("learner_name", f"Learner {learner}")  # a credential is only signed to a name
    return GradeInput(source="test", learner=learner, design=STACK, assessment=assessment, score=score,
                      maximum=maximum, **kw)  # type: ignore[arg-type]


def passing(learner: str) -> list[GradeInput]:
    return [grade(learner, QUIZ, 7, 10), grade(learner, PORTFOLIO, 60), grade(learner, PROJECT, 0.8, 1)]


def count(db: Database, model: Any, *where: Any) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_grade_decision_and_job_are_stored_together(db: Database, rules: AwardRules) -> None:
    with db.session() as session:
        outcomes = service.record_all(session, rules, passing("ada"))
    assert [len(o.awarded) for o in outcomes] == [1, 1, 2]  # the last grade earns its part and the stack
    assert count(db, GradeEvent) == 3
    assert count(db, Award, Award.state == "pending") == 4
    assert count(db, Job, Job.kind == "issue", Job.state == "queued") == 4


def test_a_failing_transaction_stores_nothing(db: Database, rules: AwardRules) -> None:
    with pytest.raises(LeadsError, match="not an assessment"), db.session() as session:
        service.record(session, rules, grade("ada", QUIZ, 9, 10))
        service.record(session, rules, grade("ada", "glam-as-nonsense", 1))
    assert count(db, GradeEvent) == count(db, Award) == count(db, Job) == 0


def test_replayed_event_id_is_stored_once(db: Database, rules: AwardRules) -> None:
    for _ in range(2):
        with db.session() as session:
            outcome = service.record(session, rules, grade("ada", QUIZ, 9, 10, event_id="e-1"))
    assert outcome.duplicate and count(db, GradeEvent) == 1 and count(db, Award) == 1


def test_worker_issues_each_award_once(db: Database, rules: AwardRules) -> None:
    with db.session() as session:
        service.record_all(session, rules, passing("ada") + passing("grace"))
    worker = Worker(db, fakes.TableIssuer(db), batch=3)
    assert worker.run(threading.Event(), once=True) == 8
    assert count(db, Award, Award.state == "issued", Award.credential_id.is_not(None)) == 8
    assert count(db, Job, Job.state == "done") == 8
    assert fakes.count_calls(db) == 8
    assert worker.run_once() == 0


def test_later_lower_grade_keeps_the_award(db: Database, rules: AwardRules) -> None:
    with db.session() as session:
        service.record_all(session, rules, passing("ada"))
        outcome = service.record(session, rules, grade("ada", QUIZ, 1, 10))
    assert outcome.awarded == () and outcome.decision.revoke == ()
    assert count(db, Award, Award.state == "pending") == 4


class Flaky:
    """Fails the first ``n`` calls, then issues."""

    def __init__(self, n: int) -> None:
        self.n = n

    def issue(self, request: IssueRequest) -> IssuedCredential:
        if self.n > 0:
            self.n -= 1
            raise ConnectionError("signer unreachable")
        return IssuedCredential(f"cred-{request.award_id}")

    def revoke(self, award_id: str, credential_id: str, reason: str) -> None:
        raise AssertionError("not revoked in this test")


def aware(dt: datetime) -> datetime:
    """SQLite gives naive datetimes back; they are UTC like everything stored."""
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


def one_award(db: Database, rules: AwardRules) -> str:
    with db.session() as session:
        [award_id] = service.record(session, rules, grade("ada", QUIZ, 10, 10)).awarded
    return award_id


def job_of(db: Database, award_id: str) -> Job:
    with db.session() as session:
        return session.scalars(select(Job).where(Job.award_id == award_id)).one()


def test_retries_back_off_exponentially_then_fail_visibly_and_retry(db: Database, rules: AwardRules) -> None:
    award_id = one_award(db, rules)
    with db.session() as session:
        session.execute(update(Job).values(max_attempts=3))
    clock = Clock()
    worker = Worker(db, Flaky(3), backoff_base=10, clock=clock)
    assert worker.run_once() == 1
    first = job_of(db, award_id)
    assert first.state == "queued" and first.attempts == 1 and "signer unreachable" in (first.last_error or "")
    assert aware(first.next_attempt_at) == clock.now + timedelta(seconds=10)
    assert worker.run_once() == 0  # not before its time
    clock.now += timedelta(seconds=10)
    assert worker.run_once() == 1
    assert aware(job_of(db, award_id).next_attempt_at) == clock.now + timedelta(seconds=20)
    clock.now += timedelta(seconds=20)
    worker.run_once()
    failed = job_of(db, award_id)
    assert failed.state == "failed" and failed.attempts == 3
    with db.session() as session:
        assert [j.id for j in operations.failed_page(session).jobs] == [failed.id]
        assert session.get(Award, award_id).state == "failed"  # type: ignore[union-attr]
        operations.retry(session, failed.id)
    assert worker.run_once() == 1
    assert job_of(db, award_id).state == "done"
    with db.session() as session:
        award = session.get(Award, award_id)
        assert award is not None and award.state == "issued" and award.credential_id == f"cred-{award_id}"
        with pytest.raises(LeadsError, match="only failed jobs"):
            operations.retry(session, failed.id)


def test_expired_lease_is_taken_over_and_the_late_worker_changes_nothing(db: Database, rules: AwardRules) -> None:
    award_id = one_award(db, rules)
    clock = Clock()
    issuer = fakes.TableIssuer(db)
    dead = Worker(db, issuer, name="dead", lease=timedelta(seconds=30), clock=clock)
    alive = Worker(db, issuer, name="alive", lease=timedelta(seconds=30), clock=clock)
    assert dead.claim() != []
    assert alive.claim() == []  # still leased
    clock.now += timedelta(seconds=31)
    assert alive.run_once() == 1
    dead.process(job_of(db, award_id).id)  # comes back after its lease: must not touch the job
    job = job_of(db, award_id)
    assert (job.state, job.attempts, job.locked_by) == ("done", 2, None)
    assert count(db, fakes.credentials) == 1


def test_revoke_needs_a_reason_and_updates_the_credential(db: Database, rules: AwardRules) -> None:
    award_id = one_award(db, rules)
    worker = Worker(db, fakes.TableIssuer(db))
    worker.run_once()
    with db.session() as session:
        with pytest.raises(LeadsError, match="say why"):
            service.revoke(session, award_id, "  ")
        service.revoke(session, award_id, "plagiarism in the quiz")
    worker.run_once()
    with db.engine.connect() as conn:
        assert conn.execute(select(fakes.credentials.c.revoked)).scalar_one() == "plagiarism in the quiz"
    with db.session() as session:
        assert operations.award_page(session, design=STACK).counts == {"revoked": 1}
        with pytest.raises(LeadsError, match="already revoked"):
            service.revoke(session, award_id, "twice")


def test_reissue_replaces_the_credential_and_revokes_the_old_one(db: Database, rules: AwardRules) -> None:
    award_id = one_award(db, rules)
    worker = Worker(db, fakes.TableIssuer(db))
    worker.run_once()
    with db.session() as session:
        first = session.get(Award, award_id)
        assert first is not None and first.state == "issued"
        old_credential = first.credential_id
        job = service.reissue(session, award_id)
        assert service.reissue(session, award_id).id == job.id  # asking twice queues one issuance
    assert worker.run_once() == 2  # revoke the old credential, issue the new one
    with db.session() as session:
        award = session.get(Award, award_id)
        assert award is not None and (award.state, award.generation) == ("issued", 1)
        assert award.credential_id not in (None, old_credential)
    with db.engine.connect() as conn:
        rows = {k: v for k, v in conn.execute(select(fakes.credentials.c.award_id, fakes.credentials.c.revoked))}
    assert rows == {award_id: "replaced by a re-issued credential", f"{award_id}-1": None}


def test_award_revoked_before_issuance_is_never_issued(db: Database, rules: AwardRules) -> None:
    award_id = one_award(db, rules)
    with db.session() as session:
        service.revoke(session, award_id, "entered by mistake")
    Worker(db, fakes.TableIssuer(db)).run_once()
    assert fakes.count_calls(db) == 0 and job_of(db, award_id).state == "done"


def _parallel(n: int, fn: Callable[[int], None]) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        try:
            barrier.wait()
            fn(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.parametrize("db", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_two_workers_on_the_same_jobs_issue_each_once(db: Database, rules: AwardRules) -> None:
    with db.session() as session:
        for i in range(60):
            service.record_all(session, rules, passing(f"learner-{i}"))
    issuer = fakes.TableIssuer(db, delay=0.001)
    workers = [Worker(db, issuer, name=f"w{i}", batch=5) for i in range(2)]
    claimed = [0, 0]

    def work(i: int) -> None:
        claimed[i] = workers[i].run(threading.Event(), once=True)

    _parallel(2, work)
    assert sum(claimed) == 240 and min(claimed) > 0  # both worked, no job claimed twice
    assert fakes.count_calls(db) == 240
    assert count(db, Award, Award.state == "issued") == 240
    assert count(db, Job, Job.state == "done") == 240


@pytest.mark.parametrize("db", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_concurrent_grades_completing_a_stack_award_it_exactly_once(db: Database, rules: AwardRules) -> None:
    for i in range(20):
        learner = f"learner-{i}"

        def send(k: int, learner: str = learner) -> None:
            with db.session() as session:
                service.record(session, rules, passing(learner)[k])

        _parallel(3, send)
    assert count(db, Award, Award.achievement == STACK) == 20
    assert count(db, Award) == 80 and count(db, Job) == 80


class RevokedWhileSigning:
    """An instructor revokes the award while the worker is signing it."""

    def __init__(self, db: Database) -> None:
        self.db, self.inner = db, fakes.TableIssuer(db)

    def issue(self, request: IssueRequest) -> IssuedCredential:
        with self.db.session() as session:
            service.revoke(session, request.award_id, "wrong learner")
        return self.inner.issue(request)

    def revoke(self, award_id: str, credential_id: str, reason: str) -> None:
        self.inner.revoke(award_id, credential_id, reason)


def test_award_revoked_while_being_signed_gets_its_credential_revoked(db: Database, rules: AwardRules) -> None:
    award_id = one_award(db, rules)
    worker = Worker(db, RevokedWhileSigning(db))
    assert worker.run_once() == 1
    assert worker.run_once() == 1  # the revoke job queued by the finish
    with db.engine.connect() as conn:
        assert conn.execute(select(fakes.credentials.c.revoked)).scalar_one() == "wrong learner"
    with db.session() as session:
        award = session.get(Award, award_id)
        assert award is not None and award.state == "revoked" and award.credential_id is not None


def test_sqlite_intake_and_worker_side_by_side_never_lock_out(db: Database, rules: AwardRules) -> None:
    """Web requests record grades while the one worker issues: every writer waits its turn, none fails."""
    stop = threading.Event()
    worker = Worker(db, fakes.TableIssuer(db), batch=5)
    runner = threading.Thread(target=worker.run, args=(stop,), kwargs={"idle": 0.01})
    runner.start()
    try:
        def intake(t: int) -> None:
            for i in range(10):
                with db.session() as session:
                    service.record(session, rules, grade(f"t{t}-{i}", QUIZ, 9, 10, event_id=f"e{t}-{i}"))

        _parallel(4, intake)
        deadline = utcnow() + timedelta(seconds=60)
        while count(db, Job, Job.state == "done") < 40 and utcnow() < deadline:
            threading.Event().wait(0.05)
    finally:
        stop.set()
        runner.join()
    assert count(db, Award, Award.state == "issued") == 40


class Batching:
    """Signs a claimed batch at once; ``broken`` learners make the batch fail (the worker then goes one by one)."""

    def __init__(self, db: Database, broken: str = "") -> None:
        self.inner, self.broken = fakes.TableIssuer(db), broken
        self.batches: list[int] = []

    def issue_many(self, requests: list[IssueRequest]) -> list[IssuedCredential]:
        self.batches.append(len(requests))
        if any(r.learner == self.broken for r in requests):
            raise RuntimeError("one bad award in the batch")
        return [self.inner.issue(r) for r in requests]

    def issue(self, request: IssueRequest) -> IssuedCredential:
        if request.learner == self.broken:
            raise PermanentIssueError("no name for this learner")
        return self.inner.issue(request)

    def revoke(self, award_id: str, credential_id: str, reason: str) -> None:
        self.inner.revoke(award_id, credential_id, reason)


def test_batch_issuer_gets_the_claimed_batch_and_one_bad_award_fails_alone(db: Database, rules: AwardRules) -> None:
    with db.session() as session:
        service.record_many(session, rules, [g for who in ("ada", "bob", "eve") for g in passing(who)])
    issuer = Batching(db, broken="eve")
    worker = Worker(db, issuer, batch=20)
    assert worker.run_once() == 12
    assert issuer.batches == [12]
    assert count(db, Award, Award.state == "issued") == 8
    assert count(db, Award, Award.state == "failed") == 4 and count(db, Job, Job.state == "failed") == 4
