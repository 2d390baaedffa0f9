"""Claiming a period of a scheduled job in the database: one conditional UPDATE, the same on SQLite and PostgreSQL.

A job's periods are numbered from the epoch (``slot = floor(t / period)``), so every replica agrees which period it
is without talking to the others. A replica runs the job only if its UPDATE moved the lease's slot forward while
nobody held the lease: the database serialises the UPDATEs on the row, exactly one sees ``rowcount == 1``. The
holder keeps the lease alive while the job runs (a job longer than its lease would otherwise run twice) and lets it
go at the end; a holder that dies stops renewing, and another replica takes the next period once it expires.
"""

from __future__ import annotations

import math
import os
import socket
import uuid
from collections.abc import Callable

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from bridge.db import Database
from bridge.scheduling.tables import Lease, ScheduledRun

Clock = Callable[[], float]


def holder_name() -> str:
    """Who holds a lease, for people reading the table: host, process and a random part (pids repeat)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def slot_of(now: float, period: float) -> int:
    return math.floor(now / period)


def ensure(db: Database, name: str) -> None:
    """The lease row exists (replicas starting together may race to insert it: the loser finds it there)."""
    with db.engine.connect() as conn:
        if conn.execute(select(Lease.name).where(Lease.name == name)).first():
            return
        try:
            conn.execute(insert(Lease).values(name=name, slot=-1, holder=None, expires_at=0.0))
            conn.commit()
        except IntegrityError:
            conn.rollback()


def claim(db: Database, name: str, *, period: float, ttl: float, holder: str, now: float) -> int | None:
    """The current period of ``name`` for ``holder`` (its slot number), or None when it ran already or is held."""
    slot = slot_of(now, period)
    with db.session() as session:
        moved = session.execute(
            update(Lease)
            .where(Lease.name == name, Lease.slot < slot, Lease.expires_at <= now)
            .values(slot=slot, holder=holder, expires_at=now + ttl)
            .execution_options(synchronize_session=False))
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            return None
        session.add(ScheduledRun(name=name, slot=slot, holder=holder, started_at=now))
    return slot


def renew(db: Database, name: str, *, holder: str, ttl: float, now: float) -> bool:
    """Keep holding ``name`` for ``ttl`` more seconds; False when the lease is no longer ours."""
    with db.session() as session:
        moved = session.execute(
            update(Lease).where(Lease.name == name, Lease.holder == holder)
            .values(expires_at=now + ttl).execution_options(synchronize_session=False))
        return bool(moved.rowcount == 1)  # type: ignore[attr-defined]


def release(db: Database, name: str, slot: int, *, holder: str, now: float, outcome: str) -> None:
    """The run of ``slot`` is over: record how it went and let the lease go (the slot stays claimed)."""
    with db.session() as session:
        session.execute(update(Lease).where(Lease.name == name, Lease.holder == holder)
                        .values(holder=None, expires_at=now).execution_options(synchronize_session=False))
        session.execute(update(ScheduledRun).where(ScheduledRun.name == name, ScheduledRun.slot == slot)
                        .values(finished_at=now, outcome=outcome[:2000])
                        .execution_options(synchronize_session=False))
