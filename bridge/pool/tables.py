"""Pool tables: a profile per person who opted in, an entry per published credential, a row per competence; and
Wikimedia sign-in and the Capacity Exchange link (decision 027).

A wiki username reaches a pool profile only through the OAuth 2 login of the configured wiki; a profile's sign-in
link and the browser session are kept hashed (the OAuth ``state`` itself is sealed, not stored: ``wikilogin``). A
CapX link remembers, per profile, which capacities LEADS itself added to the person's CapX profile (and for which
pool entries), so that LEADS removes only those, never what the person typed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bridge.db.base import Base, utcnow


class PoolProfile(Base):
    __tablename__ = "pool_profiles"
    __table_args__ = (Index("ix_pool_profiles_search_order", "display_name", "id"),)  # the search's pages
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    handle: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    wiki_username: Mapped[str | None] = mapped_column(
        String(200), doc="set only by the Wikimedia OAuth login of the configured wiki (decision 027), never typed")
    wiki_sub: Mapped[str | None] = mapped_column(
        String(64), unique=True, doc="the wiki's central user id of that login: one wiki account, one profile")
    wiki_verified_at: Mapped[datetime | None] = mapped_column(doc="when the login proved the wiki username")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact: Mapped[str | None] = mapped_column(String(500), doc="how to reach them, as the person chose to show it")
    token_hash: Mapped[str] = mapped_column(String(64))
    learner: Mapped[str | None] = mapped_column(
        String(300), unique=True, doc="the award pipeline's learner id, for profiles opened from an LTI launch"
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    emptied_at: Mapped[datetime | None] = mapped_column(
        default=utcnow, index=True, doc="since when nothing is published on it (None while something is): a profile "
        "empty for LEADS_POOL_KEEP_EMPTY_DAYS is deleted (bridge.pool.retention)")
    entries: Mapped[list[PoolEntry]] = relationship(back_populates="profile", cascade="all, delete-orphan")


class PoolEntry(Base):
    __tablename__ = "pool_entries"
    __table_args__ = (UniqueConstraint("profile_id", "fingerprint"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("pool_profiles.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64), doc="sha256 of the credential as published")
    credential: Mapped[Any] = mapped_column(JSON, doc="the credential (JSON-LD object, or a JWT string)")
    issuer: Mapped[str] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(500))
    design_key: Mapped[str | None] = mapped_column(String(200))
    local_credential_id: Mapped[str | None] = mapped_column(
        String(36),
        index=True,
        doc="issued_credentials.id when this installation issued it: its revocation shows at once",
    )
    valid_until: Mapped[datetime | None] = mapped_column()
    verified_at: Mapped[datetime] = mapped_column(default=utcnow, doc="when it last verified")
    issuer_name: Mapped[str] = mapped_column(String(300), default="", doc="the issuer's trusted name")
    state: Mapped[str] = mapped_column(
        String(20), default="verified",
        doc="verified | unchecked (status could not be checked: listed, retried) | suspended | untrusted | invalid "
            "(hidden, kept, re-checked); revoked and expired entries are deleted",
    )
    checked_at: Mapped[datetime | None] = mapped_column(doc="the last re-check, whatever its outcome")
    failures: Mapped[int] = mapped_column(Integer, default=0, doc="re-checks in a row that could not decide")
    next_check_at: Mapped[datetime | None] = mapped_column(doc="not re-checked before this (backoff)")
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    holder_proof: Mapped[str | None] = mapped_column(
        String(20), doc="how the publisher proved holding it: lms | data-integrity | jwt (None: before proofs)"
    )
    holder_did: Mapped[str | None] = mapped_column(String(500), doc="the DID that signed the presentation")
    profile: Mapped[PoolProfile] = relationship(back_populates="entries")
    competences: Mapped[list[PoolCompetence]] = relationship(back_populates="entry", cascade="all, delete-orphan")


class PoolCompetence(Base):
    __tablename__ = "pool_competences"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("pool_entries.id", ondelete="CASCADE"), index=True)
    competence_key: Mapped[str] = mapped_column(String(200), index=True)
    level: Mapped[int | None] = mapped_column(Integer)
    entry: Mapped[PoolEntry] = relationship(back_populates="competences")


class WikiLoginState(Base):
    """A profile's sign-in in flight, before a browser took it: the single-use link its owner opens (hashed), the
    PKCE verifier the sign-in will use and the profile. One per profile at most (a new link voids the earlier one);
    the plain sign-in of "My certificates" stores nothing (its ``state`` is sealed, ``wikilogin.authorize``)."""

    __tablename__ = "wiki_login_states"
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True, doc="sha256 of the link's secret")
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
