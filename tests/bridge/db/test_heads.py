"""``HEADS`` (the revisions a current database stands at, checked at every command's start without reading a
migration script) is the scripts' heads: a new migration fails here until it is added to the list."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from bridge.db.engine import MIGRATIONS, alembic_config, make_database, migration_heads
from bridge.db.heads import HEADS


def test_heads_are_the_heads_of_the_migration_scripts() -> None:
    db = make_database("sqlite://")
    try:
        alembic_heads = set(ScriptDirectory.from_config(alembic_config(db.engine)).get_heads())
    finally:
        db.engine.dispose()
    assert set(HEADS) == alembic_heads == migration_heads(), f"add to bridge.db.heads.HEADS: {alembic_heads}"
    assert (MIGRATIONS / "versions").is_dir()
