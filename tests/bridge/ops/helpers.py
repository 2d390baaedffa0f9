"""Test helpers for the operations endpoints."""

from __future__ import annotations

from bridge.awards.tables import WorkerHeartbeat
from bridge.db import Database
from bridge.db.base import utcnow


def worker_alive(db: Database, name: str = "test-worker") -> None:
    """A heartbeat as a running award worker leaves it (``Worker.beat``)."""
    with db.session() as session:
        row = session.get(WorkerHeartbeat, name)
        if row is None:
            session.add(WorkerHeartbeat(name=name, started_at=utcnow(), seen_at=utcnow()))
        else:
            row.seen_at = utcnow()
