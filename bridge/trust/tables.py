"""Issuers this installation's administrators trust (``leads issuers trust``, ``POST /api/issuers/trusted``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db.base import Base, utcnow


class TrustedIssuerRow(Base):
    __tablename__ = "trusted_issuers"
    did: Mapped[str] = mapped_column(String(500), primary_key=True)
    name: Mapped[str] = mapped_column(String(300), doc="the name LEADS shows for this issuer")
    url: Mapped[str | None] = mapped_column(String(1000))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
