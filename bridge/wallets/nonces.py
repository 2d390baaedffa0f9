"""Single-use nonces this site hands out: OpenID4VCI ``c_nonce`` values and pool presentation challenges.

A nonce is spent by one conditional UPDATE (``used_at IS NULL AND expires_at > now``), so two requests racing with
the same nonce cannot both succeed, on SQLite as on PostgreSQL. Refusals say which of unknown, spent or expired.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from bridge.errors import LeadsError
from bridge.wallets.tables import HolderNonce

KEY_PROOF = "oid4vci"
POOL = "pool"
LIFETIME = {KEY_PROOF: timedelta(minutes=5), POOL: timedelta(minutes=15)}


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def issue(session: Session, purpose: str, now: datetime) -> tuple[str, datetime]:
    """A fresh nonce and when it expires; expired nonces are swept on the way."""
    session.execute(delete(HolderNonce).where(HolderNonce.expires_at < now - timedelta(days=1)))
    value = secrets.token_urlsafe(24)
    expires = now + LIFETIME[purpose]
    session.add(HolderNonce(value_hash=digest(value), purpose=purpose, created_at=now, expires_at=expires))
    return value, expires


def spend(session: Session, value: str | None, purpose: str, now: datetime, *, code: str, what: str) -> None:
    """Mark the nonce used, or raise ``LeadsError(code)`` saying why it cannot be used."""
    if not value:
        raise LeadsError(f"the {what} is missing; ask this site for a fresh one", code=code, status=400)
    spent = session.execute(
        update(HolderNonce)
        .where(HolderNonce.value_hash == digest(value), HolderNonce.purpose == purpose,
               HolderNonce.used_at.is_(None), HolderNonce.expires_at > now)
        .values(used_at=now)
    )
    if getattr(spent, "rowcount", 0) == 1:
        return
    row = session.get(HolderNonce, digest(value))
    if row is None or row.purpose != purpose:
        why = "was not issued by this site"
    elif row.used_at is not None:
        why = "was already used"
    else:
        why = "has expired"
    raise LeadsError(f"the {what} {why}; ask this site for a fresh one and sign again", code=code, status=400)
