"""Database: SQLAlchemy 2 engine/session factory and Alembic migrations applied at start.

The names below load SQLAlchemy when first used, not when the package is imported: ``bridge.db.heads`` (what
``leads verify`` checks before reading the embedded SQLite file with the standard library) must not pay for it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bridge.db.base import Base
    from bridge.db.engine import Database, OutagePauses, make_database, outage, outage_words, upgrade

_WHERE = {"Base": "bridge.db.base", "Database": "bridge.db.engine", "make_database": "bridge.db.engine",
          "upgrade": "bridge.db.engine", "outage": "bridge.db.engine", "outage_words": "bridge.db.engine",
          "OutagePauses": "bridge.db.engine"}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(where), name)
    globals()[name] = value
    return value


__all__ = ["Base", "Database", "OutagePauses", "make_database", "outage", "outage_words", "upgrade"]
