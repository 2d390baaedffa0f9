"""Database: SQLAlchemy 2 engine/session factory and Alembic migrations applied at start."""

from bridge.db.base import Base
from bridge.db.engine import Database, make_database, upgrade

__all__ = ["Base", "Database", "make_database", "upgrade"]
