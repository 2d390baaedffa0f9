"""The worker: claims jobs under a lease, runs them outside any transaction, marks them done or retries.

Claiming picks ready jobs, issuance work before follow-ups (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so workers
never wait for each other); a job whose lease ran out (its worker died) is ready again. Completion is
conditional on still holding the lease. Issuance is idempotent on the award id, so the window between
"signed" and "marked done" costs at most a repeated, harmless ``issue`` call — never a second credential.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, delete, or_, select, update

from bridge.awards import people
from bridge.awards.issuer_port import EdcIssuer, Issuer, IssueRequest, PdfRenderer, PermanentIssueError
from bridge.awards.mail import Mailer, award_message
from bridge.awards.retention import clean_up
from bridge.awards.service import write_lock
from bridge.awards.tables import URGENT_QUEUE, Award, Job, WorkerHeartbeat
from bridge.dataspace.api import EntityRepository
from bridge.db import Database, OutagePauses, outage, outage_words
from bridge.db.base import utcnow
from bridge.db.bulk import insert_rows, one_of, update_rows
from bridge.metrics import JOB_FAILURES

log = logging.getLogger("leads.awards.worker")
URGENT_KINDS = ("issue", "revoke", "edc")  # claimed before follow-up work (pdf, email)
FOLLOW_UP_BATCH = 4
HEARTBEAT_EVERY = timedelta(seconds=15)
CLEAN_EVERY = 3600.0  # seconds between clean-ups of finished work while it finds less than a chunk


def request_for(award: Award, course_title: str | None = None) -> IssueRequest:
    """What the issuer signs for an award (the course line: the LMS's course title, when known)."""
    return IssueRequest(award_id=award.issue_key, learner=award.learner, learner_name=award.learner_name,
                        learner_email=award.learner_email, design=award.design, achievement=award.achievement,
                        context=award.context, awarded_at=award.created_at, course_title=course_title)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class Worker:
    db: Database
    issuer: Issuer
    name: str = ""
    lease: timedelta = timedelta(seconds=120)
    batch: int = 20
    backoff_base: float = 10.0
    backoff_max: float = 3600.0
    clock: Callable[[], datetime] = utcnow
    pdf: PdfRenderer | None = None  # set: a PDF job follows each issuance (first download served from cache)
    mailer: Mailer | None = None  # set: an e-mail job follows each issuance to a learner with an address
    mail_from: str = "LEADS <leads@example.org>"
    base_url: str = "http://127.0.0.1:8000"
    keep_done: timedelta | None = None  # set: done jobs and receipts older than this go when the queue is empty
    _next_clean: float = field(default=0.0, init=False, repr=False)  # time.monotonic() of the next clean-up
    _titles: dict[str, str] = field(default_factory=dict, init=False, repr=False)  # course titles of a batch
    _last_beat: datetime | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.name = self.name or worker_name()

    def backoff(self, attempts: int) -> timedelta:
        """Exponential: base, 2·base, 4·base … capped at ``backoff_max`` seconds."""
        return timedelta(seconds=min(self.backoff_max, self.backoff_base * 2 ** max(0, attempts - 1)))

    def claim(self) -> list[int]:
        now = self.clock()
        queued = and_(Job.state == "queued", Job.next_attempt_at <= now)
        expired = and_(Job.state == "running", Job.locked_until < now)
        urgent = Job.kind.in_(URGENT_KINDS)
        values = {"state": "running", "locked_by": self.name, "locked_until": now + self.lease,
                  "attempts": Job.attempts + 1, "updated_at": now}
        with self.db.session() as session:
            if self.db.is_sqlite:
                # one statement, so the transaction starts by writing (SQLite has one writer; no stale read)
                ready = or_(queued, expired)
                first = (select(Job.id).where(ready).order_by(case((urgent, 0), else_=1), Job.next_attempt_at, Job.id)
                         .limit(self.batch))
                stmt = update(Job).where(Job.id.in_(first.scalar_subquery()), ready).values(**values)
                return sorted(session.execute(stmt.returning(Job.id)).scalars().all())
            # PostgreSQL: lock ready rows other workers have not locked, then take them (a LIMIT inside
            # UPDATE … IN (subquery) is not a bound there: the subquery may run again per row). Three picks, each
            # an index range scan (one OR over both states made every claim sort the whole queue): expired
            # leases, then issuance work, then follow-ups (PDF, e-mail) — a burst of awards is signed first.
            def pick(where: ColumnElement[bool], limit: int) -> list[int]:
                stmt = (select(Job.id).where(where).order_by(Job.next_attempt_at, Job.id).limit(limit)
                        .with_for_update(skip_locked=True))
                return list(session.execute(stmt).scalars().all())

            ids = pick(expired, self.batch)
            if len(ids) < self.batch:  # written as the partial index ix_jobs_urgent_queue is (literal values)
                ids += pick(and_(Job.next_attempt_at <= now, URGENT_QUEUE), self.batch - len(ids))
            if not ids:  # follow-ups (a PDF takes tens of ms) in small batches: new issuance work waits little
                ids = pick(and_(queued, ~urgent), min(self.batch, FOLLOW_UP_BATCH))
            if ids:
                session.execute(update(Job).where(one_of(session, Job.id, ids)).values(**values)
                                .execution_options(synchronize_session=False))
            return sorted(ids)

    def beat(self) -> None:
        """Say this worker is alive (readiness and the heartbeat-age metric read it); forget long-gone workers."""
        now = self.clock()
        with self.db.session() as session:  # one short statement per beat; the first beat also prunes
            if self._last_beat is None:
                session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.seen_at < now - timedelta(days=1)))
                session.add(WorkerHeartbeat(name=self.name, started_at=now, seen_at=now))
            else:
                session.execute(update(WorkerHeartbeat).where(WorkerHeartbeat.name == self.name)
                                .values(seen_at=now))
        self._last_beat = now

    def run_once(self) -> int:
        """Claim one batch and work through it; the number of jobs claimed (0 = nothing to do)."""
        if self._last_beat is None or self.clock() - self._last_beat >= HEARTBEAT_EVERY:
            self.beat()
        ids = self.claim()
        if ids:
            self.process(ids)
        return len(ids)

    def run(self, stop: threading.Event, idle: float = 1.0, once: bool = False) -> int:
        """Claim and run jobs until ``stop``. The database away for a moment (``bridge.db.outage``) does not end
        the loop: it waits (``bridge.db.OutagePauses``: ``idle`` first, doubling) and tries again; a batch cut
        short meanwhile is taken up again when its lease expires, as after a crash."""
        done, pauses = 0, OutagePauses(idle)
        while not stop.is_set():
            try:
                n = self.run_once()
                if n == 0:
                    self.tidy()
            except Exception as exc:
                kind = outage(exc)
                if once or kind is None:
                    raise
                pause = pauses.failed()
                log.warning("worker %s: %s; trying again in %.1f s", self.name, outage_words(kind, exc), pause)
                stop.wait(pause)
                continue
            pauses.worked()
            done += n
            if n == 0:
                if once:
                    break
                stop.wait(idle)
        return done

    def tidy(self) -> None:
        """With nothing to do: remove a chunk of finished work past ``keep_done`` (``bridge.awards.retention``),
        again at the next idle moment while chunks come back full, else in an hour."""
        if self.keep_done is None or time.monotonic() < self._next_clean:
            return
        cleaned = clean_up(self.db, self.keep_done, self.clock())
        if cleaned.jobs or cleaned.receipts:
            log.info("worker %s removed %d done jobs and %d event receipts older than %s", self.name, cleaned.jobs,
                     cleaned.receipts, self.keep_done)
        self._next_clean = time.monotonic() + (0.0 if cleaned.more() else CLEAN_EVERY)

    def _load(self, ids: list[int]) -> list[tuple[int, str, dict[str, object], Award | None]]:
        with self.db.session() as session:
            rows = session.execute(
                select(Job, Award).outerjoin(Award, Award.id == Job.award_id)
                .where(one_of(session, Job.id, ids), Job.state == "running", Job.locked_by == self.name)
                .order_by(Job.id)).all()
            self._titles = people.titles_of(session, [award.context for _, award in rows if award is not None])
            return [(job.id, job.kind, dict(job.payload or {}), award) for job, award in rows]

    def process(self, ids: int | list[int]) -> None:
        """Run claimed jobs (outside any transaction), then record all outcomes in one transaction."""
        done: list[tuple[int, str | None]] = []
        failed: list[tuple[int, Exception]] = []
        jobs = self._load([ids] if isinstance(ids, int) else ids)
        nameless = [(job_id, award) for job_id, kind, _, award in jobs
                    if kind in ("issue", "edc") and award is not None and not award.learner_name]
        if nameless:  # never signed to an internal id: the award waits for a name (the dashboard says so)
            self._park(nameless)
            parked = {job_id for job_id, _ in nameless}
            jobs = [j for j in jobs if j[0] not in parked]
        batch = getattr(self.issuer, "issue_many", None)
        if callable(batch):  # an issuer that signs a batch at once (status indexes and storage in one go)
            issues = [(job_id, award) for job_id, kind, _, award in jobs
                      if kind == "issue" and award is not None and award.state != "revoked"]
            try:
                results = batch([self._request(award) for _, award in issues]) if issues else []
                done += [(job_id, r.credential_id) for (job_id, _), r in zip(issues, results, strict=True)]
                handled = {job_id for job_id, _ in issues}
                jobs = [j for j in jobs if j[0] not in handled]
            except Exception as exc:  # one bad award must not fail the others: fall back to one by one
                log.warning("batch issuance failed (%s); issuing one by one", exc)
        for job_id, kind, payload, award in jobs:
            try:
                done.append((job_id, self._run(job_id, kind, payload, award)))
            except Exception as exc:  # any failure is stored on the job; the loop keeps going
                log.warning("job %s (%s) failed: %s", job_id, kind, exc)
                JOB_FAILURES.labels(kind).inc()
                failed.append((job_id, exc))
        if done:
            self._finish(done)
        for job_id, error in failed:
            self._fail(job_id, error)

    def _request(self, award: Award) -> IssueRequest:
        return request_for(award, self._titles.get(award.context or ""))

    def _park(self, jobs: list[tuple[int, Award]]) -> None:
        """Jobs of awards without a learner name: done, and the award back to waiting for a name (no credential);
        naming the learner queues a fresh issue job (``people.remember_person``)."""
        now = self.clock()
        with self.db.session() as session:
            mine = session.execute(
                update(Job).where(Job.id.in_([j for j, _ in jobs]), Job.state == "running", Job.locked_by == self.name)
                .values(state="done", done_at=now, updated_at=now, locked_by=None, locked_until=None,
                        last_error="waiting for the learner's name")
                .returning(Job.award_id, Job.kind).execution_options(synchronize_session=False)).all()
            waiting = sorted({award_id for award_id, kind in mine if award_id and kind == "issue"})
            if waiting:
                session.execute(update(Award).where(Award.id.in_(waiting), Award.state.in_(("pending", "failed")),
                                                    Award.learner_name.is_(None))
                                .values(state=people.NEEDS_NAME).execution_options(synchronize_session=False))

    def _run(self, job_id: int, kind: str, payload: dict[str, object], award: Award | None) -> str | None:
        if award is None:
            raise PermanentIssueError(f"job {job_id} ({kind}) has no award")
        if kind == "issue":
            if award.state == "revoked":
                return None
            return self.issuer.issue(self._request(award)).credential_id
        if kind == "revoke":  # the award's credential, or the one a re-issue replaced (named in the payload)
            key = str(payload.get("issue_key") or award.issue_key)
            credential = payload.get("credential_id") or award.credential_id
            if credential is not None:
                self.issuer.revoke(key, str(credential), str(payload.get("reason", "")))
            return None
        if kind == "edc":
            return self._edc(payload, award)
        if kind == "pdf":
            if self.pdf is not None and award.credential_id and award.state == "issued":
                self.pdf.render(award.credential_id)
            return None
        if kind == "email":
            if self.mailer is not None and award.learner_email and award.credential_id:
                self.mailer.send(award_message(sender=self.mail_from, to=award.learner_email,
                                               name=award.learner_name, label=self._label(award.achievement),
                                               credential_id=award.credential_id, base_url=self.base_url,
                                               notice=str(payload["notice"]) if payload.get("notice") else None))
            return None
        raise PermanentIssueError(f"job {job_id} has an unknown kind {kind!r}")

    def _edc(self, payload: dict[str, object], award: Award) -> str | None:
        """The learner asked for the EDC of an issued award: sign it (once per award key), and revoke it at once
        if the award was revoked or re-issued meanwhile (a revoke job that ran before it existed missed it)."""
        key = str(payload.get("issue_key") or award.issue_key)
        if award.state != "issued" or award.issue_key != key:
            return None  # revoked or replaced before it was prepared: nothing to sign
        if not isinstance(self.issuer, EdcIssuer):
            raise PermanentIssueError("the configured issuer does not produce European Digital Credentials")
        credential_id = self.issuer.issue_edc(self._request(award)).credential_id
        with self.db.session() as session:
            current = session.get(Award, award.id)
        if current is None or current.state == "revoked" or current.issue_key != key:
            reason = (current.revoke_reason if current else None) or "award revoked"
            self.issuer.revoke(key, credential_id, reason)
        return credential_id

    def _label(self, key: str) -> str:
        with self.db.session() as session:
            entity = EntityRepository(session).get(key)
            return entity.label() if entity is not None else key

    def _finish(self, done: list[tuple[int, str | None]]) -> None:
        """Record a batch's outcomes in one transaction, with a handful of statements whatever the batch size:
        mark the jobs still leased to this worker done, then update their awards and queue the follow-up jobs."""
        now = self.clock()
        results = dict(done)
        with self.db.session() as session:
            mine = session.execute(
                update(Job).where(one_of(session, Job.id, sorted(results)), Job.state == "running",
                                  Job.locked_by == self.name)
                .values(state="done", done_at=now, updated_at=now, locked_by=None, locked_until=None,
                        last_error=None)
                .returning(Job.id, Job.award_id, Job.kind, Job.payload)
                .execution_options(synchronize_session=False)).all()  # jobs whose lease was lost stay as they are
            issued: dict[str, str] = {}
            notices: dict[str, str] = {}  # a re-issue's word to the learner, passed on to the e-mail job
            for job_id, award_id, kind, payload in mine:
                credential_id = results.get(job_id)
                if credential_id is None or award_id is None:
                    continue
                if kind == "edc":  # the learner's page links the EDC named here
                    session.execute(update(Job).where(Job.id == job_id).values(
                        payload={**(payload or {}), "credential_id": credential_id}))
                elif kind == "issue":
                    issued[award_id] = credential_id
                    if (payload or {}).get("notice"):
                        notices[award_id] = str(payload["notice"])
            if not issued:
                return
            # pending (or failed) → issued in one statement; it locks the rows, like a revocation does. The state
            # test is written as "not issued, not revoked" so that PostgreSQL looks the rows up by primary key: with
            # "IN (pending, failed)" a planner without fresh statistics scanned every pending award of the cohort
            # (PostgreSQL: the batch's values as one JSON parameter, rows found through the key array by primary key)
            newly = update_rows(session, Award, "id", [{"id": a, "credential_id": issued[a]} for a in sorted(issued)],
                                where="awards.state != 'issued' AND awards.state != 'revoked'",
                                returning=("id", "learner_email"), state="issued", issued_at=now)
            follow: list[dict[str, object]] = []
            for award_id, email in newly:
                kinds = ["pdf"] if self.pdf is not None else []
                kinds += ["email"] if self.mailer is not None and email else []
                notice = {"notice": notices[award_id]} if award_id in notices else {}
                follow += [dict(kind=kind, award_id=award_id, payload=dict(notice) if kind == "email" else {},
                                state="queued", attempts=0, max_attempts=5,
                                next_attempt_at=now, created_at=now, updated_at=now) for kind in kinds]
            insert_rows(session, Job, follow)  # the follow-up jobs in one statement
            rest = sorted(set(issued) - {award_id for award_id, _ in newly})
            for award in session.scalars(select(Award).where(Award.id.in_(rest), Award.state == "revoked",
                                                             Award.credential_id.is_(None))
                                         .order_by(Award.id).with_for_update()) if rest else ():
                # revoked while it was being signed: the new credential must not stay valid
                award.credential_id, award.issued_at = issued[award.id], now
                session.add(Job(kind="revoke", award_id=award.id, payload={"reason": award.revoke_reason or ""},
                                state="queued", attempts=0, max_attempts=8, next_attempt_at=now, created_at=now,
                                updated_at=now))

    def _fail(self, job_id: int, exc: Exception) -> None:
        now = self.clock()
        message = f"{exc.__class__.__name__}: {exc}"[:4000]
        with self.db.session() as session:
            write_lock(session)
            job = session.get(Job, job_id)
            if job is None or job.state != "running" or job.locked_by != self.name:
                return
            job.last_error, job.updated_at, job.locked_by, job.locked_until = message, now, None, None
            if isinstance(exc, PermanentIssueError) or job.attempts >= job.max_attempts:
                job.state = "failed"
                if job.kind == "issue" and job.award_id:
                    session.execute(update(Award).where(Award.id == job.award_id, Award.state == "pending")
                                    .values(state="failed"))
            else:
                job.state, job.next_attempt_at = "queued", now + self.backoff(job.attempts)
