"""The award workers' heartbeats: readiness and the heartbeat-age gauge read them from the shared database, so
they work whatever machine the worker runs on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db.base import Base, utcnow


class WorkerHeartbeat(Base):
    __tablename__ = "worker_heartbeats"
    name: Mapped[str] = mapped_column(String(120), primary_key=True)  # host:pid:random, as Worker names itself
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
