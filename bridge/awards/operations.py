"""What an operator runs at MOOC size: failed jobs counted and listed a page at a time and queued again all at once
(after an outage of the key store or the database, thousands fail together), and every award a page at a time.

A failed job keeps its last error until it runs again; queuing it gives it a fresh attempt budget and puts its award
back to "being signed". Lists are keyset pages (bridge.db.keyset), newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, tuple_, update
from sqlalchemy.orm import Session

from bridge.awards.service import write_lock
from bridge.awards.tables import Award, Job
from bridge.db import keyset
from bridge.db.base import ROW_ID_MAX, utcnow
from bridge.errors import LeadsError, NotFound

FAILED_PAGE = 200
AWARDS_PAGE = 500


@dataclass(frozen=True)
class FailedPage:
    jobs: Sequence[Job]
    by_kind: dict[str, int]  # every failed job, by kind (issue, revoke, edc, pdf …)
    after: str | None


@dataclass(frozen=True)
class AwardPage:
    awards: Sequence[Award]
    counts: dict[str, int]  # the awards selected by design (all designs: every award), by state
    after: str | None


def _failed(kind: str | None) -> list[ColumnElement[bool]]:
    return [Job.state == "failed", *([Job.kind == kind] if kind else [])]


def failed_page(session: Session, *, kind: str | None = None, after: str | None = None,
                limit: int | None = None) -> FailedPage:
    """The failed jobs, the most recently failed first, with how many there are of each kind."""
    limit = limit or FAILED_PAGE
    position = keyset.read(after, datetime, int) if after else None
    by_kind = {str(k): int(n) for k, n in session.execute(
        select(Job.kind, func.count()).where(Job.state == "failed").group_by(Job.kind))}
    stmt = select(Job).where(*_failed(kind))
    if position is not None:
        stmt = stmt.where(tuple_(Job.updated_at, Job.id) < tuple_(*position))
    jobs, following = keyset.cut(
        session.scalars(stmt.order_by(Job.updated_at.desc(), Job.id.desc()).limit(limit + 1)).all(), limit,
        lambda j: (j.updated_at, j.id))
    return FailedPage(jobs, by_kind, following)


def _requeue(session: Session, rules: list[ColumnElement[bool]], now: datetime) -> int:
    """Failed jobs back in the queue, their issue awards back to pending (before: the jobs still read as failed)."""
    issue_awards = select(Job.award_id).where(*rules, Job.kind == "issue", Job.award_id.is_not(None))
    session.execute(update(Award).where(Award.id.in_(issue_awards), Award.state == "failed")
                    .values(state="pending").execution_options(synchronize_session=False))
    queued = session.execute(update(Job).where(*rules).values(
        state="queued", attempts=0, next_attempt_at=now, updated_at=now, locked_by=None, locked_until=None)
        .execution_options(synchronize_session=False))
    return int(getattr(queued, "rowcount", 0) or 0)


def retry(session: Session, job_id: int, now: datetime | None = None) -> Job:
    """A failed job back in the queue with a fresh attempt budget; its last error stays visible until it runs."""
    write_lock(session)
    job = session.get(Job, job_id) if 1 <= job_id <= ROW_ID_MAX else None  # a bigger id is a driver error
    if job is None:
        raise NotFound(f"no job {job_id}")
    if job.state != "failed":
        raise LeadsError(f"job {job_id} is {job.state}, only failed jobs are retried", code="not_failed", status=409)
    _requeue(session, [Job.id == job_id, *_failed(None)], now or utcnow())
    session.refresh(job)
    return job


def retry_failed(session: Session, *, kind: str | None = None, now: datetime | None = None) -> int:
    """Every failed job (or every one of ``kind``) back in the queue at once; how many."""
    write_lock(session)
    return _requeue(session, _failed(kind), now or utcnow())


def award_page(session: Session, *, design: str | None = None, learner: str | None = None,
               after: str | None = None, limit: int | None = None) -> AwardPage:
    """Awards newest first (of a design, of a learner), with the design's counts by state."""
    limit = limit or AWARDS_PAGE
    position = keyset.read(after, datetime, str) if after else None
    counted = select(Award.state, func.count()).group_by(Award.state)
    stmt = select(Award)
    if design is not None:
        counted, stmt = counted.where(Award.design == design), stmt.where(Award.design == design)
    if learner is not None:
        stmt = stmt.where(Award.learner == learner)
    if position is not None:
        stmt = stmt.where(tuple_(Award.created_at, Award.id) < tuple_(*position))
    rows, following = keyset.cut(
        session.scalars(stmt.order_by(Award.created_at.desc(), Award.id.desc()).limit(limit + 1)).all(), limit,
        lambda a: (a.created_at, a.id))
    counts = {str(state): int(n) for state, n in session.execute(counted)}
    return AwardPage(rows, counts, following)
