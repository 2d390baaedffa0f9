"""Wikimedia sign-in and the Capacity Exchange link (decision 027).

A wiki username reaches a pool profile only through the OAuth 2 login of the configured wiki; the login state and
the browser session are kept hashed. A CapX link remembers, per profile, which capacities LEADS itself added to the
person's CapX profile (and for which pool entries), so that LEADS removes only those, never what the person typed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db.base import Base, utcnow


class WikiLoginState(Base):
    """One OAuth 2 authorization in flight: its ``state`` (hashed), PKCE verifier and what the login is for."""

    __tablename__ = "wiki_login_states"
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    code_verifier: Mapped[str] = mapped_column(String(128))
    profile_id: Mapped[int | None] = mapped_column(
        ForeignKey("pool_profiles.id", ondelete="CASCADE"), doc="the profile whose wiki username the login sets")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class WikiSession(Base):
    """A browser signed in with Wikimedia (cookie holds the random id; the row holds its hash)."""

    __tablename__ = "wiki_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(255))
    wiki_sub: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class CapxLink(Base):
    """A pool profile connected to its owner's CapX profile, and the ledger of what LEADS added there."""

    __tablename__ = "capx_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("pool_profiles.id", ondelete="CASCADE"), unique=True)
    capx_url: Mapped[str] = mapped_column(String(500))
    capx_user_id: Mapped[int] = mapped_column(Integer)
    token_sealed: Mapped[str | None] = mapped_column(
        String(400), doc="the person's CapX (knox) token, AES-GCM sealed with a key derived from LEADS_SECRET_KEY")
    share_available: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  doc="the learner also offers LEADS's skills (skills_available)")
    added_known: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, doc="capacity id → pool entry ids: what LEADS added to skills_known")
    added_available: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    declined: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, doc='{"known": [ids], "available": [ids]}: what LEADS added and the person removed in '
        "CapX; never added again")
    last_sync_at: Mapped[datetime | None] = mapped_column()
    last_result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
