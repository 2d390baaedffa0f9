"""How long a pool profile with nothing published is kept: ``LEADS_POOL_KEEP_EMPTY_DAYS`` (30) after it was opened
or its last credential left, then it is deleted.

Anyone may open a profile, and each keeps a name, languages, a contact and a handle nobody else can take. One that
never publishes anything, or whose credentials were all unpublished, revoked or expired, serves nobody: the pool
lists people by their verified credentials. Its page says when it goes (``service.profile_view``), and publishing
anything before then keeps it.

``emptied_at`` is set when a profile is opened and cleared by every publish (under the profile's row lock, so an
expiry running at that moment finds it in use). A credential leaves by several paths (the person, the re-check, a
cascade); rather than each of them, ``tidy`` marks the profiles it finds empty, at most a period late, which only
ever gives a profile more time. It runs after each pool re-check (the scheduled job and ``leads pool recheck``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, update

from bridge.db import Database
from bridge.pool.tables import PoolEntry, PoolProfile


@dataclass(frozen=True)
class Tidied:
    marked: int
    deleted: int

    def text(self) -> str:
        return f"{self.deleted} empty profiles deleted, {self.marked} newly empty"


def tidy(db: Database, now: datetime, keep: timedelta | None) -> Tidied:
    """Note which profiles became empty or were filled again; with ``keep``, delete those empty since before
    ``now - keep``. Three statements, whatever the number of profiles."""
    holds = exists().where(PoolEntry.profile_id == PoolProfile.id)
    with db.session() as session:
        session.execute(update(PoolProfile).where(PoolProfile.emptied_at.is_not(None), holds)
                        .values(emptied_at=None).execution_options(synchronize_session=False))
        marked = session.execute(update(PoolProfile).where(PoolProfile.emptied_at.is_(None), ~holds)
                                 .values(emptied_at=now).execution_options(synchronize_session=False))
        deleted = 0
        if keep:
            gone = session.execute(delete(PoolProfile).where(PoolProfile.emptied_at < now - keep, ~holds)
                                   .execution_options(synchronize_session=False))
            deleted = int(gone.rowcount)  # type: ignore[attr-defined]
    return Tidied(int(marked.rowcount), deleted)  # type: ignore[attr-defined]

