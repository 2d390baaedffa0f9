"""The course generation queue: one row per job, so any web process shows its progress and a worker runs it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String
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
