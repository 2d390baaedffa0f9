"""Which remote course a design became on which target, and how far its creation got (to resume, not repeat)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from bridge.db.base import Base, utcnow


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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CourseLinks:
    """Reads and writes links inside the caller's session (the caller owns the transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, design_key: str, target: str) -> CourseLink | None:
        stmt = select(CourseLink).where(CourseLink.design_key == design_key, CourseLink.target == target)
        return self.session.scalars(stmt).one_or_none()

    def list(self, design_key: str | None = None) -> list[CourseLink]:
        stmt = select(CourseLink).order_by(CourseLink.design_key, CourseLink.target)
        if design_key:
            stmt = stmt.where(CourseLink.design_key == design_key)
        return list(self.session.scalars(stmt))

    def save(self, design_key: str, target: str, lms: str, *, steps: dict[str, Any], status: str,
             remote_id: str | None, url: str | None, error: str | None) -> CourseLink:
        link = self.get(design_key, target)
        if link is None:
            link = CourseLink(design_key=design_key, target=target, lms=lms, created_at=utcnow())
            self.session.add(link)
        link.lms = lms
        link.steps = dict(steps)
        link.status = status
        link.remote_id = remote_id
        link.url = url
        link.error = error
        link.updated_at = utcnow()
        self.session.flush()
        return link
