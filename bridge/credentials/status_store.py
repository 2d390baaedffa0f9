"""The issuer's ``StatusStore`` on the application database: one open list per issuer and purpose.

Allocation locks the open list row (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite a no-op write first takes the
database write lock, so the read that follows cannot be stale), draws random free indexes with
``issuer.status.pick_free_indexes`` and writes the ``allocated`` bitmap back in the caller's transaction, so an index
is either allocated and stored with its credential, or neither. Allocation writes only ``allocated``; a status
change writes only ``bits``: neither can overwrite the other's work.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bridge.credentials.tables import StatusListRow
from bridge.db.base import utcnow
from issuer.status import (
    MIN_LENGTH,
    Bitstring,
    StatusAllocation,
    StatusListState,
    StatusPurpose,
    apply_status,
    pick_free_indexes,
)


def _state(row: StatusListRow) -> StatusListState:
    return StatusListState(
        list_id=row.id,
        purpose=StatusPurpose(row.purpose),
        bits=Bitstring(row.length, row.bits),
        allocated=Bitstring(row.length, row.allocated),
        version=row.version,
        allocated_count=row.allocated_count,
    )


def lock_for_write(session: Session) -> None:
    """SQLite: take the write lock now (a write that changes nothing), so that reads in this transaction are fresh
    and concurrent writers wait (busy_timeout) instead of working on stale rows. PostgreSQL uses row locks."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE status_lists SET version = version WHERE 1 = 0"))


class DbStatusStore:
    """Status lists of one issuing organisation, inside the caller's session (the caller owns the transaction)."""

    def __init__(self, session: Session, issuer_slug: str, length: int = MIN_LENGTH) -> None:
        self.session = session
        self.issuer_slug = issuer_slug
        self.length = max(length, MIN_LENGTH)

    def allocate(self, purpose: StatusPurpose, count: int = 1) -> list[StatusAllocation]:
        lock_for_write(self.session)
        out: list[StatusAllocation] = []
        while len(out) < count:
            row = self._open_row(purpose)
            state = _state(row)
            take = min(count - len(out), state.free)
            out += [StatusAllocation(row.id, purpose, i) for i in pick_free_indexes(state, take)]
            row.allocated = state.allocated.to_bytes()
            row.allocated_count = state.allocated_count
            row.updated = utcnow()
        self.session.flush()
        return out

    def _open_row(self, purpose: StatusPurpose) -> StatusListRow:
        stmt = (
            select(StatusListRow)
            .where(StatusListRow.issuer_slug == self.issuer_slug, StatusListRow.purpose == purpose.value,
                   StatusListRow.allocated_count < StatusListRow.length)
            .order_by(StatusListRow.created, StatusListRow.id)
            .limit(1)
            .with_for_update()
        )
        row = self.session.scalars(stmt).first()
        if row is None:
            empty = bytes(self.length // 8)
            row = StatusListRow(id=uuid.uuid4().hex, issuer_slug=self.issuer_slug, purpose=purpose.value,
                                length=self.length, bits=empty, allocated=empty, allocated_count=0, version=1,
                                signed=None, signed_version=0, created=utcnow(), updated=utcnow())
            self.session.add(row)
            self.session.flush()
        return row

    def get_list(self, list_id: str) -> StatusListState | None:
        row = self.session.get(StatusListRow, list_id)
        return _state(row) if row is not None else None

    def row(self, list_id: str, *, for_update: bool = False) -> StatusListRow | None:
        if for_update:
            stmt = select(StatusListRow).where(StatusListRow.id == list_id).with_for_update()
            return self.session.scalars(stmt).first()
        return self.session.get(StatusListRow, list_id)

    def set_status(self, list_id: str, index: int, value: bool) -> StatusListState:
        from issuer.errors import IssuerError

        lock_for_write(self.session)
        row = self.row(list_id, for_update=True)
        if row is None:
            raise IssuerError(f"no status list {list_id!r}", code="status_list_unknown", status=404)
        state = _state(row)
        if apply_status(state, index, value):
            row.bits = state.bits.to_bytes()
            row.version = state.version
            row.updated = utcnow()
            self.session.flush()
        return state
