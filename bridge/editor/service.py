"""Editor use cases: check, keep drafts, publish (to the Wikibase as the person, or locally), sessions, history.

Publishing runs the same ``bridge.dataspace.service.check`` as ``leads data validate``, against everything stored;
a single problem stops it and nothing is written anywhere. A draft is kept per entity key until it is published,
so someone can stop half-way and come back; drafts are not part of the data space and only signed-in editors
read them (a practice's draft reopens with its activities' drafts).
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bridge.dataspace.api import KIND_TERMS, DesignSet, Entity, EntityBase, EntityRepository
from bridge.dataspace.api import check as check_designs
from bridge.db import Database
from bridge.db.base import aware
from bridge.editor.tables import Draft, EditorSession, HistoryRow, LocalEditor
from bridge.errors import LeadsError, Problem, Term, ValidationFailed
from issuer.documents.names import name_problem

SESSION_HOURS = 8
_entity: TypeAdapter[Entity] = TypeAdapter(Entity)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Person:
    name: str
    source: str  # "wikibase" | "local"
    token: str | None = None


@dataclass
class Published:
    keys: list[str]
    revisions: dict[str, int] = field(default_factory=dict)


def known(db: Database) -> dict[str, EntityBase]:
    with db.session() as session:
        return {e.key: e for e in EntityRepository(session).list()}


KEY = Term("key")


def problems_of(entities: list[EntityBase], db: Database, shape: list[Problem] | None = None) -> list[Problem]:
    """Every problem of the edited entities against the stored data space (the messages of ``leads data validate``)."""
    if shape:
        return shape
    stored = known(db)
    taken = [Problem(e.key, KEY, "this key already names an entity of another kind (%(kind)s); choose another "
                     "key", {"kind": KIND_TERMS[old.kind]})
             for e in entities if (old := stored.get(e.key)) is not None and old.kind != e.kind]
    if taken:  # an entity never changes kind under its key: before, a practice form replaced a design and every
        return taken  # course, award and link that named it broke (found by an audit)
    try:
        check_designs(DesignSet(entities=[_entity.validate_python(e.model_dump(mode="json")) for e in entities]),
                      stored)
    except ValidationFailed as exc:
        return list(exc.problems)
    return []


# --- sessions -------------------------------------------------------------------------------------------------

def open_session(db: Database, person: Person, now: datetime | None = None) -> str:
    session_id = secrets.token_urlsafe(32)
    now = now or datetime.now(UTC)
    with db.session() as session:
        session.execute(delete(EditorSession).where(EditorSession.expires_at < now))
        session.add(EditorSession(id_hash=_hash(session_id), username=person.name, source=person.source,
                                  token=person.token, expires_at=now + timedelta(hours=SESSION_HOURS)))
    return session_id


def person_of(db: Database, session_id: str | None, now: datetime | None = None) -> Person | None:
    if not session_id:
        return None
    now = now or datetime.now(UTC)
    with db.session() as session:
        row = session.get(EditorSession, _hash(session_id))
        if row is None:
            return None
        expires = aware(row.expires_at)
        if expires < now:
            return None
        return Person(row.username, row.source, row.token)


def close_session(db: Database, session_id: str | None) -> None:
    if session_id:
        with db.session() as session:
            session.execute(delete(EditorSession).where(EditorSession.id_hash == _hash(session_id)))


# --- local editors (no Wikibase) ------------------------------------------------------------------------------

def add_local_editor(db: Database, name: str) -> str:
    """Give ``name`` the editor role: returns the sign-in token (shown once; only its hash is kept)."""
    problem = name_problem(name, 255)  # the one name rule: a name shown on pages holds no control characters
    if problem:
        raise LeadsError("the editor's name: %(problem)s", code="editor_name_invalid", status=422,
                         params={"problem": problem})
    name = unicodedata.normalize("NFC", name).strip()
    token = secrets.token_urlsafe(24)
    with db.session() as session:
        row = session.get(LocalEditor, name)
        if row is None:
            session.add(LocalEditor(name=name, token_hash=_hash(token)))
        else:
            row.token_hash = _hash(token)
            _end_sessions(session, name)  # a new token (a leaked one replaced) ends what the old one opened
    return token


def remove_local_editor(db: Database, name: str) -> bool:
    """Take the role away, and every session it opened: before, a removed editor kept publishing for 8 hours."""
    with db.session() as session:
        _end_sessions(session, name)
        return bool(session.execute(delete(LocalEditor).where(LocalEditor.name == name)).rowcount)  # type: ignore[attr-defined]


def _end_sessions(session: Session, name: str) -> None:
    session.execute(delete(EditorSession).where(EditorSession.source == "local", EditorSession.username == name))


def check_local_editor(db: Database, name: str, token: str) -> bool:
    with db.session() as session:
        row = session.get(LocalEditor, name.strip())
        return row is not None and secrets.compare_digest(row.token_hash.encode(), _hash(token).encode())


# --- drafts and history ---------------------------------------------------------------------------------------

def save_draft(db: Database, entities: list[EntityBase], author: str, base_revs: Mapping[str, int]) -> None:
    """Keep the form as typed, each entity with the revision its form was opened at (its own base)."""
    with db.session() as session:
        for entity in entities:
            row = session.get(Draft, entity.key) or Draft(key=entity.key)
            row.kind, row.data, row.author = str(entity.kind), entity.model_dump(mode="json"), author
            row.base_rev = base_revs.get(entity.key)
            row.updated_at = datetime.now(UTC)
            session.add(row)


def draft(db: Database, key: str) -> tuple[EntityBase, int | None, str] | None:
    with db.session() as session:
        row = session.get(Draft, key)
        return (_entity.validate_python(row.data), row.base_rev, row.author) if row else None


def drafts(db: Database) -> list[tuple[str, str, str]]:
    """(key, kind, author) of every draft."""
    with db.session() as session:
        return [(r.key, r.kind, r.author) for r in session.scalars(select(Draft).order_by(Draft.key))]


def history(db: Database, key: str) -> list[dict[str, Any]]:
    with db.session() as session:
        rows = session.scalars(select(HistoryRow).where(HistoryRow.key == key).order_by(HistoryRow.id.desc()))
        return [{"author": r.author, "summary": r.summary, "revision": r.revision, "at": r.at.isoformat(),
                 "label": _entity.validate_python(r.data).label()} for r in rows]


def record_published(db: Database, entities: list[EntityBase], author: str, summary: str,
                     revisions: Mapping[str, int], also: Callable[[EntityRepository], None] | None = None) -> None:
    """Store the published entities locally, note each in the history and drop their drafts; ``also`` writes
    what goes with them (the wiki's sync records) in the same transaction."""
    with db.session() as session:
        repo = EntityRepository(session)
        repo.upsert_many(entities)
        if also is not None:
            also(repo)
        for entity in entities:
            session.add(HistoryRow(key=entity.key, author=author, summary=summary,
                                   revision=revisions.get(entity.key), data=entity.model_dump(mode="json")))
        session.execute(delete(Draft).where(Draft.key.in_([e.key for e in entities])))


def publish_locally(db: Database, entities: list[EntityBase], person: Person, summary: str) -> Published:
    problems = problems_of(entities, db)
    if problems:
        raise ValidationFailed("%(count)s problem(s); nothing was saved", problems, params={"count": len(problems)})
    record_published(db, entities, person.name, summary, {})
    return Published([e.key for e in entities])
