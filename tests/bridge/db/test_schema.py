"""The migrations build exactly the schema the models describe: a model changed without a migration (or a migration
without its model, like a hand-written partial index) shows here as a difference, on SQLite and on PostgreSQL.

Each run migrates a database of its own: the shared test databases also hold tables other tests create."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import bridge.tables  # noqa: F401  (every domain's tables join the metadata)
from bridge.db import Base, make_database, upgrade
from tests.conftest import _postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'schema.db'}"
    else:
        yield from _postgres_database()


def test_migrated_database_matches_the_models(fresh_url: str) -> None:
    db = make_database(fresh_url)
    try:
        upgrade(db)
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
    finally:
        db.engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
    assert len(Base.metadata.tables) >= 30
