"""Finding people by verified competence, a page at a time.

A MOOC's pool holds tens of thousands of people: the search answers one page of them (in name order, the page
after the last one shown, a keyset: no page costs more for being far down the list) with the number of people
matching, and never reads the published credentials themselves (a few kilobytes each), only what the list shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, cast, exists, func, select, tuple_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, defer

from bridge.dataspace.api import Competence, current_index
from bridge.db import Database, keyset
from bridge.pool.service import live_entries, proven_username
from bridge.pool.tables import PoolCompetence, PoolEntry, PoolProfile

PAGE_SIZE = 50
# the languages a profile offers to list, each named in itself (the search names them in the reader's language)
LANGUAGE_CHOICES = (("en", "English"), ("es", "Español"), ("fr", "Français"), ("de", "Deutsch"),
                    ("pt", "Português"), ("it", "Italiano"), ("ar", "العربية"))
COUNT_UP_TO = 1_000  # past this a page says "more than 1,000": counting every match would cost each page O(pool)


@dataclass(frozen=True)
class Holder:
    handle: str
    display_name: str
    wiki_username: str | None
    languages: list[str]
    contact: str | None
    competences: list[dict[str, Any]]


@dataclass(frozen=True)
class HolderPage:
    holders: list[Holder]
    total: int  # people matching, on every page, counted up to COUNT_UP_TO
    exact: bool  # False: more than ``total`` match
    after: str | None  # the cursor of the next page; None on the last


def _speaks(session: Session, language: str) -> ColumnElement[bool]:
    """The profile lists ``language`` (the JSON list of language codes, read by the database)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(PoolProfile.languages, JSONB).contains([language])
    each = func.json_each(PoolProfile.languages).table_valued("value")
    return exists(select(1).select_from(each).where(each.c.value == language))


def search(
    db: Database,
    *,
    competence: str | None = None,
    practice: str | None = None,
    min_level: int | None = None,
    language: str | None = None,
    after: str | None = None,
    limit: int | None = None,
    now: datetime | None = None,
    lang: str = "en",
) -> HolderPage:
    """People holding verified credentials for the competence (or any competence of the practice), one page."""
    entities = current_index(db).of_kinds(Competence)
    now, limit = now or datetime.now(UTC), limit or PAGE_SIZE
    position = keyset.read(after, str, int) if after else None
    rules: list[ColumnElement[bool]] = [live_entries(now)]
    if competence:
        rules.append(PoolCompetence.competence_key == competence)
    if practice:
        in_practice = [k for k, e in entities.items() if isinstance(e, Competence) and e.part_of == practice]
        rules.append(PoolCompetence.competence_key.in_(in_practice))
    if min_level is not None:
        rules.append(PoolCompetence.level >= min_level)
    holding = select(PoolEntry.profile_id).join(PoolCompetence, PoolCompetence.entry_id == PoolEntry.id).where(*rules)
    with db.session() as session:
        people = select(PoolProfile).where(PoolProfile.id.in_(holding))
        if language:
            people = people.where(_speaks(session, language))
        counted = session.scalar(select(func.count()).select_from(people.limit(COUNT_UP_TO + 1).subquery())) or 0
        if position is not None:
            people = people.where(tuple_(PoolProfile.display_name, PoolProfile.id) > tuple_(*position))
        page, following = keyset.cut(
            session.scalars(people.order_by(PoolProfile.display_name, PoolProfile.id).limit(limit + 1)).all(), limit,
            lambda p: (p.display_name, p.id))
        holders = {p.id: Holder(p.handle, p.display_name, proven_username(p), list(p.languages), p.contact, [])
                   for p in page}
        rows = session.execute(
            select(PoolCompetence, PoolEntry)
            .join(PoolEntry, PoolCompetence.entry_id == PoolEntry.id)
            .options(defer(PoolEntry.credential), defer(PoolEntry.holder_proof))
            .where(PoolEntry.profile_id.in_(list(holders)), *rules)
            .order_by(PoolEntry.id, PoolCompetence.competence_key)
        )
        for comp, entry in rows:
            label = entities[comp.competence_key].label(lang) if comp.competence_key in entities \
                else comp.competence_key
            holders[entry.profile_id].competences.append({
                "competence": comp.competence_key,
                "level": comp.level,
                "credential": entry.id,
                "title": entry.title,
                "issuer": entry.issuer,
                "issuer_name": entry.issuer_name or entry.issuer,
                "state": entry.state,
                "verified_at": entry.verified_at.isoformat(),
                "label": label,
            })
        return HolderPage(list(holders.values()), min(counted, COUNT_UP_TO), counted <= COUNT_UP_TO,
                          following)
