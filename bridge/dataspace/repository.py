"""Reads and writes the local copy of the data space (its tables are in `tables.py`; the Wikibase is the master)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bridge.dataspace.model import Entity, EntityBase, Kind
from bridge.dataspace.tables import EntityRow, MetaRow
from bridge.db.base import utcnow

_entity = TypeAdapter(Entity)

#: A token that changes with every write to the entities, in the writer's transaction: readers in any process keep
#: the whole graph in memory while it stays the same (``queries.current_index``).
REVISION = "revision"


class EntityRepository:
    """Reads and writes entities inside the caller's session (the caller owns the transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: str) -> Entity | None:
        row = self.session.get(EntityRow, key)
        return _entity.validate_python(row.data) if row else None

    def list(self, kind: Kind | None = None) -> list[Entity]:
        stmt = select(EntityRow).order_by(EntityRow.kind, EntityRow.key)
        if kind is not None:
            stmt = stmt.where(EntityRow.kind == kind.value)
        return [_entity.validate_python(r.data) for r in self.session.scalars(stmt)]

    def count(self) -> int:
        return len(self.session.scalars(select(EntityRow.key)).all())

    def upsert_many(self, entities: Iterable[EntityBase]) -> int:
        n = 0
        for entity in entities:
            data = entity.model_dump(mode="json")
            row = self.session.get(EntityRow, entity.key)
            if row is None:
                row = EntityRow(key=entity.key)
                self.session.add(row)
            row.kind = str(data["kind"])
            row.wikibase_id = entity.wikibase_id
            row.data = data
            row.updated_at = utcnow()
            n += 1
        self.touch()
        self.session.flush()
        return n

    def replace_all(self, entities: Iterable[EntityBase]) -> int:
        self.session.execute(delete(EntityRow))
        return self.upsert_many(entities)

    def delete(self, keys: Iterable[str]) -> None:
        self.session.execute(delete(EntityRow).where(EntityRow.key.in_(list(keys))))
        self.touch()

    def touch(self) -> None:
        """A new revision: every write to the entities goes through here, or kept copies would be stale."""
        self.set_meta(REVISION, uuid.uuid4().hex)

    def revision(self) -> str | None:
        """None for a data space written before revisions existed (its first write sets one)."""
        value = self.get_meta(REVISION)
        return str(value) if value is not None else None

    def get_meta(self, name: str) -> Any:
        row = self.session.get(MetaRow, name)
        return row.value if row else None

    def set_meta(self, name: str, value: Any) -> None:
        row = self.session.get(MetaRow, name)
        if row is None:
            self.session.add(MetaRow(name=name, value=value))
        else:
            row.value = value
