"""Imports every domain's tables so that Alembic and tests see one complete metadata."""

from bridge.dataspace.repository import EntityRow, MetaRow
from bridge.pool.repository import PoolCompetence, PoolEntry, PoolProfile

__all__ = ["EntityRow", "MetaRow", "PoolCompetence", "PoolEntry", "PoolProfile"]
