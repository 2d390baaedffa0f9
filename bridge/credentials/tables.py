"""Issued credentials and their status lists.

A status list row keeps two bitstrings: ``bits`` (what verifiers read: revoked / suspended) and ``allocated``
(which indexes were ever handed out, so none is handed out twice). The unique constraints on the credentials'
(list, index) pairs make reuse impossible even if two processes raced past the allocator.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, LargeBinary, String, Text, UniqueConstraint, or_, text
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db.base import Base, utcnow


class IssuedCredentialRow(Base):
    """One issued credential; ``credential_id`` (``urn:uuid:<id>``) is what documents and verifiers see."""

    __tablename__ = "issued_credentials"
    __table_args__ = (
        UniqueConstraint("revocation_list", "revocation_index", name="uq_issued_credentials_revocation"),
        UniqueConstraint("suspension_list", "suspension_index", name="uq_issued_credentials_suspension"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUID; the credential id is urn:uuid:<id>
    award_id: Mapped[str | None] = mapped_column(String(64), unique=True)  # idempotency key of the award pipeline
    design_key: Mapped[str] = mapped_column(String(200), index=True)
    issuer_slug: Mapped[str] = mapped_column(String(60))
    learner_name: Mapped[str] = mapped_column(String(300))
    learner_id: Mapped[str | None] = mapped_column(String(300), index=True)
    learner_email_hash: Mapped[str | None] = mapped_column(String(100))
    format: Mapped[str] = mapped_column(String(10))  # ob3 | edc | jwt
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # the signed credential; a JWT as {"jwt": token}
    revocation_list: Mapped[str | None] = mapped_column(String(32))
    revocation_index: Mapped[int | None] = mapped_column(Integer)
    suspension_list: Mapped[str | None] = mapped_column(String(32))
    suspension_index: Mapped[int | None] = mapped_column(Integer)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column()
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    suspended_reason: Mapped[str | None] = mapped_column(Text)
    suspended_at: Mapped[datetime | None] = mapped_column()
    created: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def credential_id(self) -> str:
        return f"urn:uuid:{self.id}"


# the designs an issuer has issued (its public page, /issuers/{slug}): one probe per design
Index("ix_issued_credentials_issuer_design", IssuedCredentialRow.issuer_slug, IssuedCredentialRow.design_key)

#: A revoked or suspended credential: the condition of the partial index below, written so that a query's own
#: ``WITHDRAWN`` lets the database use it (SQLite needs the same terms, PostgreSQL proves it).
WITHDRAWN = or_(IssuedCredentialRow.revoked, IssuedCredentialRow.suspended)
WITHDRAWN_SQL = {"sqlite": text("revoked = 1 OR suspended = 1"), "postgresql": text("revoked OR suspended")}
# the few withdrawn credentials, by id: the award pages read an award's standing from here (bridge.awards.standing)
Index("ix_issued_credentials_withdrawn", IssuedCredentialRow.id, sqlite_where=WITHDRAWN_SQL["sqlite"],
      postgresql_where=WITHDRAWN_SQL["postgresql"])


class StatusListRow(Base):
    __tablename__ = "status_lists"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    issuer_slug: Mapped[str] = mapped_column(String(60), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    length: Mapped[int] = mapped_column(Integer)
    bits: Mapped[bytes] = mapped_column(LargeBinary)
    allocated: Mapped[bytes] = mapped_column(LargeBinary)
    allocated_count: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumped on every status change (the ETag)
    signed: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the signed list credential of ``signed_version``
    signed_version: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[datetime] = mapped_column(default=utcnow)
    updated: Mapped[datetime] = mapped_column(default=utcnow)
