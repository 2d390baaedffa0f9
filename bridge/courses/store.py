"""Reads and writes course links: which remote course a design became on which target, and how far its creation got."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.courses.tables import CourseLink
from bridge.db.base import utcnow


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

    def claimed(self, target: str, design_key: str) -> dict[str, str]:
        """Remote course id → design, for the other designs' courses on ``target`` that this design may not adopt.

        A course two links name (the old truncated Open edX course numbers could do that) stays with the design whose
        link is older; the younger one is refused."""
        mine = self.get(design_key, target)
        stmt = select(CourseLink).where(CourseLink.target == target, CourseLink.design_key != design_key,
                                        CourseLink.remote_id.is_not(None))
        return {link.remote_id: link.design_key for link in self.session.scalars(stmt)
                if link.remote_id and (mine is None or (link.created_at, link.id) < (mine.created_at, mine.id))}

    def reserve(self, design_key: str, target: str, lms: str, owner: str) -> CourseLink:
        """A link for a course not made yet, kept as ``owner``'s before its job runs (the job then fills it in)."""
        now = utcnow()
        link = CourseLink(design_key=design_key, target=target, lms=lms, status="pending", steps={},
                          created_by=owner, created_at=now, updated_at=now)
        self.session.add(link)
        self.session.flush()
        return link

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
