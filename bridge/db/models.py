"""Imports every domain's tables so that Alembic and tests see one complete metadata."""

from bridge.dataspace.repository import EntityRow, MetaRow

__all__ = ["EntityRow", "MetaRow"]
