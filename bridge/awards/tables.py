"""The award outbox: grade events, awards (one per learner, design and achievement) and jobs for the workers.

A grade event, the decision it leads to and the issuance job are written in one transaction, so a crash
between them cannot leave an award without a job or a job without its award.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db.base import Base, utcnow


def new_id() -> str:
    return uuid.uuid4().hex


class GradeEvent(Base):
    """One grade as it arrived, from any intake path; ``(source, event_id)`` is stored once (replays ignored)."""

    __tablename__ = "grade_events"
    __table_args__ = (UniqueConstraint("source", "event_id", name="uq_grade_events_source_event"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(60))  # ags | claim | webhook:moodle | csv | ...
    event_id: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # score | course_passed
    learner: Mapped[str] = mapped_column(String(200))
    design: Mapped[str] = mapped_column(String(200))  # the root design of the course
    context: Mapped[str | None] = mapped_column(String(300))
    assessment: Mapped[str | None] = mapped_column(String(200))
    score: Mapped[float | None] = mapped_column(Float)
    maximum: Mapped[float | None] = mapped_column(Float)
    percent: Mapped[float | None] = mapped_column(Float)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


Index("ix_grade_events_learner_design", GradeEvent.learner, GradeEvent.design)


class Award(Base):
    """A decision that ``learner`` earned ``achievement`` under ``design``; its id keys the credential."""

    __tablename__ = "awards"
    __table_args__ = (
        UniqueConstraint("learner", "design", "achievement", name="uq_awards_learner_design_achievement"),
    )
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    learner: Mapped[str] = mapped_column(String(200))
    learner_name: Mapped[str | None] = mapped_column(String(300))
    learner_email: Mapped[str | None] = mapped_column(String(300))
    design: Mapped[str] = mapped_column(String(200))
    achievement: Mapped[str] = mapped_column(String(200))
    context: Mapped[str | None] = mapped_column(String(300))
    # needs_name (no job until a name is known) | pending | issued | failed | revoked
    state: Mapped[str] = mapped_column(String(20), default="pending")
    grade_event_id: Mapped[int | None] = mapped_column(ForeignKey("grade_events.id"))
    credential_id: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    generation: Mapped[int] = mapped_column(Integer, default=0)  # +1 per re-issue: a new credential each time

    @property
    def issue_key(self) -> str:
        """What the credential is keyed by: the award id, suffixed after a re-issue."""
        return self.id if not self.generation else f"{self.id}-{self.generation}"


Index("ix_awards_design_state", Award.design, Award.state)
Index("ix_awards_course_board", Award.context, Award.created_at, Award.id)  # the instructor's dashboard pages


class Job(Base):
    """Outbox row: work a worker claims under a lease, retried with exponential back-off."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))  # issue | revoke
    award_id: Mapped[str | None] = mapped_column(ForeignKey("awards.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(20), default="queued")  # queued | running | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    locked_by: Mapped[str | None] = mapped_column(String(120))
    locked_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column()


Index("ix_jobs_state_next", Job.state, Job.next_attempt_at)
URGENT_QUEUE = text("state = 'queued' AND kind IN ('issue', 'revoke', 'edc')")  # what a claim takes first
Index("ix_jobs_urgent_queue", Job.next_attempt_at, Job.id, postgresql_where=URGENT_QUEUE, sqlite_where=URGENT_QUEUE)
Index("ix_jobs_award", Job.award_id)


class WebhookReceipt(Base):
    """Every accepted LMS event id, stored once: a replayed delivery is recognised and ignored."""

    __tablename__ = "webhook_receipts"
    source: Mapped[str] = mapped_column(String(60), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgsTarget(Base):
    """A course context and a design linked in it whose results LEADS polls: remembered from a launch that carried
    the AGS endpoint (a course linking two micro-credentials has two rows, ``intake.remember_target``)."""

    __tablename__ = "ags_targets"
    context: Mapped[str] = mapped_column(String(300), primary_key=True)
    design: Mapped[str] = mapped_column(String(200), primary_key=True)
    source: Mapped[str] = mapped_column(String(300))
    issuer: Mapped[str] = mapped_column(String(300))
    client_id: Mapped[str] = mapped_column(String(300))
    endpoint: Mapped[dict[str, Any]] = mapped_column(JSON)
    roster: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the NRPS claim: names of who the poll finds
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    polled_at: Mapped[datetime | None] = mapped_column()


class LmsPerson(Base):
    """A learner's name (and e-mail where the platform's privacy settings share it), as an LMS last said it: a
    launch, the course roster (NRPS), an LMS event, or the instructor. Credentials are issued to this name."""

    __tablename__ = "lms_people"
    learner: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(300))
    origin: Mapped[str] = mapped_column(String(20))  # launch | roster | event | instructor
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LmsContext(Base):
    """A course as the LMS titles it (the launch's context claim): the course line of its credentials."""

    __tablename__ = "lms_contexts"
    context: Mapped[str] = mapped_column(String(300), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkerHeartbeat(Base):
    """An award worker's heartbeat: readiness and the heartbeat-age gauge read them from the shared database, so
    they work whatever machine the worker runs on."""

    __tablename__ = "worker_heartbeats"
    name: Mapped[str] = mapped_column(String(120), primary_key=True)  # host:pid:random, as Worker names itself
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
