"""OpenID4VCI offers and single-use holder nonces (key-proof nonces and pool challenges).

Codes, tokens and nonces are stored as SHA-256 hashes: a copy of the database cannot redeem an offer.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db.base import Base, utcnow


class WalletOffer(Base):
    """A credential offer for one award: its pre-authorized code is redeemed once for an access token."""

    __tablename__ = "wallet_offers"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: uuid.uuid4().hex)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    award_id: Mapped[str] = mapped_column(String(32), index=True)
    learner: Mapped[str] = mapped_column(String(200))
    configurations: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    redeemed_at: Mapped[datetime | None] = mapped_column()
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime | None] = mapped_column()
    holder_hash: Mapped[str | None] = mapped_column(String(64))  # the one wallet key its token issues to


class HolderNonce(Base):
    """A nonce this site gave out: ``oid4vci`` (c_nonce of a key proof) or ``pool`` (a presentation challenge)."""

    __tablename__ = "holder_nonces"
    value_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None] = mapped_column()


