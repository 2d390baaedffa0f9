"""The migrations build exactly the schema the models describe: a model changed without a migration (or a migration
without its model, like a hand-written partial index) shows here as a difference, on SQLite and on PostgreSQL.

Each run migrates a database of its own: the shared test databases also hold tables other tests create."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import bridge.tables  # noqa: F401  (every domain's tables join the metadata)
from bridge.db import Base, make_database, upgrade


def test_migrated_database_matches_the_models(empty_database_url: str) -> None:
    db = make_database(empty_database_url)
    try:
        upgrade(db)
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
    finally:
        db.engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
    assert len(Base.metadata.tables) >= 30
