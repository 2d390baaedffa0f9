"""The lease of each scheduled job and the record of every run (docs/decisions/024).

Times are seconds since the epoch (floats) on the claiming host's clock: the same comparison on SQLite and
PostgreSQL, no time-zone conversions. Hosts must keep their clocks in step (NTP), as they must for JWTs anyway.
"""

from __future__ import annotations

from sqlalchemy import Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db.base import Base


class Lease(Base):
    """One row per scheduled job: which period ran last, who holds the job now and until when."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    slot: Mapped[int] = mapped_column(Integer, default=-1)  # the last period claimed: floor(epoch / period)
    holder: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[float] = mapped_column(Float, default=0.0)


class ScheduledRun(Base):
    """One run of a scheduled job; ``(name, slot)`` is unique, so a period can never be recorded twice."""

    __tablename__ = "scheduled_runs"
    __table_args__ = (UniqueConstraint("name", "slot", name="uq_scheduled_runs_name_slot"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(60))
    slot: Mapped[int] = mapped_column(Integer)
    holder: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str | None] = mapped_column(Text)
