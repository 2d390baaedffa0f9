"""Declarative base shared by every table; each domain keeps its tables in its own folder."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROW_ID_MAX = 2_147_483_647
"""The largest integer row id: PostgreSQL's INTEGER. Past it (or past SQLite's 64 bits) the drivers raise, as a
server error; callers taking an id from outside check it against this first."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: DateTime(timezone=True)}


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """A stored moment in UTC: SQLite hands ``DateTime(timezone=True)`` columns back naive (they were stored in UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
