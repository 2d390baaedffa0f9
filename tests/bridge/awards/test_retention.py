"""Finished award work is not kept for ever: done jobs (not EDC ones) and LMS event receipts go after the kept
days, a chunk at a time, by an idle worker; queued, running and failed jobs stay, and so does the record."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bridge.awards import retention
from bridge.awards import worker as worker_module
from bridge.awards.issuer_port import IssuedCredential, IssueRequest
from bridge.awards.tables import Award, Job, WebhookReceipt
from bridge.awards.worker import Worker
from bridge.db import Database

STACK = "glam-archive-to-commons-certificate"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
KEEP = timedelta(days=30)


class Unused:
    def issue(self, request: IssueRequest) -> IssuedCredential:
        raise AssertionError("nothing to issue")

    def revoke(self, award_id: str, credential_id: str, reason: str) -> None:
        raise AssertionError("nothing to revoke")


def _work(db: Database, old_done: int = 0, who: str = "ada") -> dict[str, int]:
    """Jobs of every kind and state, old and recent, and receipts; their ids by label."""
    long_ago, lately = NOW - KEEP - timedelta(days=1), NOW - timedelta(days=2)
    ids: dict[str, int] = {}
    with db.session() as session:
        award = Award(learner=f"t:{who}", learner_name=who, design=STACK, achievement=STACK, context="c",
                      state="issued")
        session.add(award)
        session.flush()

        def job(label: str, kind: str, state: str, done_at: datetime | None) -> None:
            row = Job(kind=kind, award_id=award.id, payload={"credential_id": "urn:uuid:x"} if kind == "edc" else {},
                      state=state, attempts=1, max_attempts=8, next_attempt_at=long_ago, created_at=long_ago,
                      updated_at=done_at or long_ago, done_at=done_at)
            session.add(row)
            session.flush()
            ids[label] = row.id

        job("old issue", "issue", "done", long_ago)
        job("old pdf", "pdf", "done", long_ago)
        job("old revoke", "revoke", "done", long_ago)
        job("old edc", "edc", "done", long_ago)  # the learner's page links the EDC it names
        job("old failed", "issue", "failed", None)
        job("old queued", "pdf", "queued", None)
        job("recent issue", "issue", "done", lately)
        for i in range(old_done):
            job(f"more {i}", "pdf", "done", long_ago)
        session.add_all([WebhookReceipt(source="moodle", event_id=f"old {who}", received_at=long_ago),
                         WebhookReceipt(source="moodle", event_id=f"recent {who}", received_at=lately)])
    return ids


def _left(db: Database) -> tuple[set[int], set[str]]:
    with db.session() as session:
        return set(session.scalars(select(Job.id))), set(session.scalars(select(WebhookReceipt.event_id)))


def test_done_jobs_and_receipts_past_the_kept_days_go_and_everything_else_stays(db: Database) -> None:
    ids = _work(db)
    cleaned = retention.clean_up(db, KEEP, NOW)
    assert (cleaned.jobs, cleaned.receipts, cleaned.more()) == (3, 1, False)
    jobs, receipts = _left(db)
    assert jobs == {ids[k] for k in ("old edc", "old failed", "old queued", "recent issue")}
    assert receipts == {"recent ada"}
    with db.session() as session:  # the record stays
        assert session.scalar(select(func.count()).select_from(Award)) == 1
    assert retention.clean_up(db, KEEP, NOW) == retention.Cleaned(0, 0)
    assert not retention.Cleaned(0, 0).more()


def test_a_chunk_at_a_time(db: Database) -> None:
    _work(db, old_done=7)
    first = retention.clean_up(db, KEEP, NOW, limit=4)
    assert (first.jobs, first.more()) == (4, True)
    rest = [retention.clean_up(db, KEEP, NOW, limit=4).jobs for _ in range(3)]
    assert rest == [4, 2, 0]


def _old_done(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Job).where(
            Job.state == "done", Job.kind != "edc", Job.done_at < NOW - KEEP)) or 0)


def test_an_idle_worker_cleans_then_waits_an_hour_unless_the_chunk_was_full(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    _work(db, old_done=3)  # six old done jobs to remove
    monkeypatch.setattr(worker_module, "clean_up", lambda db, keep, now: retention.clean_up(db, keep, now, limit=2))
    clock = [1000.0]
    monkeypatch.setattr(worker_module.time, "monotonic", lambda: clock[0])
    worker = Worker(db, Unused(), clock=lambda: NOW, keep_done=KEEP)
    assert worker.run(threading.Event(), once=True) == 1  # the queued PDF job (no renderer: done), then idle: clean
    left = [_old_done(db)]
    for _ in range(3):  # idle moments: a full chunk means more at once
        worker.tidy()
        left.append(_old_done(db))
    assert left == [4, 2, 0, 0]
    _work(db, who="bo")  # three more old done jobs: the last chunk was not full, so nothing until the hour has passed
    worker.tidy()
    assert _old_done(db) == 3
    clock[0] += worker_module.CLEAN_EVERY
    worker.tidy()
    assert _old_done(db) == 1
    assert _left(db)[1] == {"recent ada", "recent bo"}


def test_a_worker_without_kept_days_removes_nothing(db: Database) -> None:
    _work(db)
    before = _left(db)
    Worker(db, Unused(), clock=lambda: NOW).tidy()
    assert _left(db) == before
