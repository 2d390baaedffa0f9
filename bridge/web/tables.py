"""The web kit's one table: the admin's browser sessions (bridge/web/admin.py keeps the queries)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db.base import Base


class AdminSession(Base):
    """A logged-in browser: only the SHA-256 of its random id is stored."""

    __tablename__ = "admin_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
