"""The editor's rows: people's sessions, local editors, drafts, the history of published edits, shared maps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db.base import Base, utcnow


class EditorSession(Base):
    """A signed-in person: only the SHA-256 of the session id is kept; ``token`` is the wiki's bearer token."""

    __tablename__ = "editor_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(20))  # "wikibase" | "local"
    token: Mapped[str | None] = mapped_column(Text, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LocalEditor(Base):
    """Someone an admin lets edit the local data space (no Wikibase): a name and the hash of a sign-in token."""

    __tablename__ = "local_editors"
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Draft(Base):
    """An entity being edited, kept until published (one draft per key)."""

    __tablename__ = "editor_drafts"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    base_rev: Mapped[int | None] = mapped_column(Integer, nullable=True)
    author: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class HistoryRow(Base):
    """One published edit of an entity: who, when, the summary, the wiki revision, the entity as saved."""

    __tablename__ = "editor_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    author: Mapped[str] = mapped_column(String(255))
    summary: Mapped[str] = mapped_column(Text)
    revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class SharedMap(Base):
    """A learner's map she chose to share: the computed map only, never her credentials."""

    __tablename__ = "learner_maps"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
