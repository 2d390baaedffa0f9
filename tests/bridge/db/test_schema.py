"""The migrations build exactly the schema the models describe: a model changed without a migration (or a migration
without its model, like a hand-written partial index) shows here as a difference, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import bridge.tables  # noqa: F401  (every domain's tables join the metadata)
from bridge.db import Base, Database


def test_migrated_database_matches_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"
    assert len(Base.metadata.tables) >= 30
