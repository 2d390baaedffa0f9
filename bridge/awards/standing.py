"""An award's state as its learner and instructor see it: the credential's own standing counts.

An administrator suspends or revokes a credential through ``/api/credentials/{id}/…`` or ``leads credential`` — the
credentials domain, below this one, which never writes awards (decision 019) — and the award stays "issued". The
pages read the credential instead: an issued award whose current credential is revoked reads ``revoked``, suspended
``suspended`` (lifted: ``issued`` again), so My certificates offers no PDF or LinkedIn link that would answer 410 or
409 and the dashboard counts what is true. Nothing is copied, so nothing drifts. A credential the pipeline did not
make (another ``Issuer`` adapter, not ``urn:uuid:``) is never found, and its award reads as it is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, case, func, not_, or_, select
from sqlalchemy.orm import Session

from bridge.awards.tables import Award
from bridge.credentials.api import WITHDRAWN, IssuedCredentialRow

URN = "urn:uuid:"
CHUNK = 500  # ids in one IN list (SQLite's bound parameters)
Cols = TypeVarTuple("Cols")


def _joins() -> ColumnElement[bool]:
    """An issued award and its current credential (the row keyed by the id in ``credential_id``) when that is
    withdrawn: the probe reads only the small partial index ``ix_issued_credentials_withdrawn`` (same condition), not
    the credentials' wide rows (a course of 100,000 awards counted 14 times slower through the table on SQLite)."""
    return and_(Award.state == "issued",
                IssuedCredentialRow.id == func.substr(Award.credential_id, len(URN) + 1), WITHDRAWN)


def seen_state() -> ColumnElement[str]:
    """The award's state with its credential's standing (needs ``with_credential`` in the statement)."""
    return case((IssuedCredentialRow.revoked, "revoked"), (IssuedCredentialRow.id.is_not(None), "suspended"),
                else_=Award.state)


def with_credential(stmt: Select[*Cols]) -> Select[*Cols]:
    """``stmt`` (over awards) joined to each issued award's credential when it is withdrawn."""
    return stmt.outerjoin(IssuedCredentialRow, _joins())


def seen_is(state: str) -> ColumnElement[bool]:
    """``seen_state() == state``, written so that the database estimates it well (an anti-join for ``issued``),
    for a state the credential decides; needs ``with_credential``."""
    if state == "issued":
        return and_(Award.state == "issued", IssuedCredentialRow.id.is_(None))
    if state == "revoked":
        return or_(Award.state == "revoked", IssuedCredentialRow.revoked)
    return and_(IssuedCredentialRow.id.is_not(None), not_(IssuedCredentialRow.revoked))


def seen_states(session: Session, awards: Iterable[Award]) -> dict[str, str]:
    """Award id -> ``revoked`` | ``suspended`` for the listed issued awards whose credential is withdrawn."""
    keys = {a.credential_id.removeprefix(URN): a.id for a in awards
            if a.state == "issued" and a.credential_id and a.credential_id.startswith(URN)}
    found: dict[str, str] = {}
    ids = sorted(keys)
    for start in range(0, len(ids), CHUNK):
        for cid, revoked in session.execute(
                select(IssuedCredentialRow.id, IssuedCredentialRow.revoked)
                .where(IssuedCredentialRow.id.in_(ids[start:start + CHUNK]), WITHDRAWN)):
            found[keys[cid]] = "revoked" if revoked else "suspended"
    return found
