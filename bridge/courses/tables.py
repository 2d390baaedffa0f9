"""Course generation's tables: the queue (one row per job, so any web process shows its progress and a worker runs
it) and which remote course a design became on which target, and how far its creation got (to resume, not repeat)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db.base import Base, utcnow


class CourseJob(Base):
    """A course to create or update on a target; ``steps`` is the progress the job page shows."""

    __tablename__ = "course_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    design: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)  # queued|running|done|failed
    steps: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    worker: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CourseLink(Base):
    """design + target → remote course; ``steps`` holds what each finished step created (ids, URLs)."""

    __tablename__ = "course_links"
    __table_args__ = (UniqueConstraint("design_key", "target", name="uq_course_links_design_target"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    design_key: Mapped[str] = mapped_column(String(200), index=True)
    target: Mapped[str] = mapped_column(String(100))
    lms: Mapped[str] = mapped_column(String(20))
    remote_id: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | partial | done
    steps: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(String(2000))
    #: the LMS course whose instructor's launch first asked for it (``lti:<issuer>:<context>``); None: the admin
    created_by: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
