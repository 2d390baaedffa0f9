"""Single-use nonces this site hands out: OpenID4VCI ``c_nonce`` values and pool presentation challenges.

Handing one out stores nothing: the value carries its purpose's expiry and an HMAC under a key derived from
``LEADS_SECRET_KEY``, so anyone may ask for nonces as fast as they like without growing the database (each used to
be a row kept a day past its expiry: an unauthenticated write per request). Spending one checks the MAC and the
expiry, then inserts its hash (``ON CONFLICT DO NOTHING``): two requests racing with the same nonce cannot both
succeed, on SQLite as on PostgreSQL, and a spent nonce's row goes a day after it expired. Refusals say which of
unknown, spent or expired.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bridge.db.bulk import insert_rows
from bridge.errors import LeadsError
from bridge.wallets.tables import HolderNonce

KEY_PROOF = "oid4vci"
POOL = "pool"
LIFETIME = {KEY_PROOF: timedelta(minutes=5), POOL: timedelta(minutes=15)}
_CONTEXT = b"leads holder nonce v1"


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _mac(secret: str, purpose: str, body: str) -> str:
    key = hmac.new(secret.encode("utf-8"), _CONTEXT, hashlib.sha256).digest()
    tag = hmac.new(key, f"{purpose}.{body}".encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(tag).decode("ascii")


def issue(secret: str, purpose: str, now: datetime) -> tuple[str, datetime]:
    """A fresh nonce for ``purpose`` and when it expires (nothing stored)."""
    expires = (now + LIFETIME[purpose]).replace(microsecond=0)
    body = f"{secrets.token_urlsafe(18)}.{int(expires.timestamp())}"
    return f"{body}.{_mac(secret, purpose, body)}", expires


def _expiry(secret: str, value: str, purpose: str) -> datetime | None:
    """When a nonce this site issued for ``purpose`` expires; None when it did not issue it."""
    if not value.isascii():  # this site's nonces are ASCII; a lone surrogate could not even be encoded
        return None
    body, _, tag = value.rpartition(".")
    _, _, stamp = body.partition(".")
    if not tag or not stamp.isdigit() or len(value) > 200:
        return None
    if not hmac.compare_digest(_mac(secret, purpose, body).encode(), tag.encode("utf-8", "replace")):  # any text
        return None
    return datetime.fromtimestamp(int(stamp), UTC)


def spend(session: Session, secret: str, value: str | None, purpose: str, now: datetime, *, code: str,
          what: str) -> None:
    """Use the nonce up, or raise ``LeadsError(code)`` saying why it cannot be used."""
    if not value:
        raise LeadsError("the %(what)s is missing; ask this site for a fresh one", code=code, status=400,
                         params={"what": what})
    expires = _expiry(secret, value, purpose)
    if expires is None:
        why = "was not issued by this site"
    elif expires <= now:
        why = "has expired"
    else:
        session.execute(delete(HolderNonce).where(HolderNonce.expires_at < now - timedelta(days=1)))
        spent = insert_rows(session, HolderNonce, [{"value_hash": digest(value), "purpose": purpose,
                                                    "created_at": now, "expires_at": expires, "used_at": now}],
                            skip_conflicts=True, returning=("value_hash",))
        if spent:
            return
        why = "was already used"
    raise LeadsError("the %(what)s %(why)s; ask this site for a fresh one and sign again", code=code, status=400,
                     params={"what": what, "why": why})
