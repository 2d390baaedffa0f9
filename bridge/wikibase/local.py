"""The local store after a pull or push: the pulled practice replaces what was there, and sync records are kept.

Decision 001 makes the wiki the master and the local store a cache, so a pull *replaces* a practice's entities
(never an entity of another kind under the same key: that pull is refused, as the editor refuses it):
an entity that was part of the practice here but is gone or unlinked on the wiki is removed (unless something else
stored here still refers to it; then it is kept and said so). Per item, the revision and fields last synced
(``sync.record``) are kept under the dataspace meta ``wikibase_sync``, per wiki, as the base of the next push.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bridge.dataspace.api import (
    KIND_TERMS,
    Activity,
    Assessment,
    Competence,
    Course,
    CredentialDesign,
    EntityBase,
    EntityRepository,
    Kind,
    LearningOutcome,
    Practice,
    check,
)
from bridge.db import Database
from bridge.errors import Problem, Term, ValidationFailed
from bridge.wikibase.client import PullResult

Json = dict[str, Any]
SYNC_META = "wikibase_sync"
KEY = Term("key")
#: Kinds whose parts point up at them (part of, leads to credential): a pull reaches those parts backwards.
_REVERSE = {Kind.PRACTICE, Kind.ACTIVITY, Kind.CREDENTIAL_DESIGN}


@dataclass
class PullApplied:
    stored: int
    removed: list[str] = field(default_factory=list)
    kept: list[tuple[str, list[str]]] = field(default_factory=list)  # (key, keys still referring to it)


def references(entity: EntityBase) -> set[str]:
    """Keys this entity refers to (every link a pull follows forwards)."""
    out: set[str] = set()
    if isinstance(entity, Practice | Activity | CredentialDesign):
        out |= {r.key for r in entity.has_part}
    if isinstance(entity, Activity | Competence | CredentialDesign) and entity.part_of:
        out.add(entity.part_of)
    if isinstance(entity, Activity | CredentialDesign):
        out |= {r.key for r in entity.requires}
    if isinstance(entity, LearningOutcome) and entity.competence:
        out.add(entity.competence.key)
    if isinstance(entity, Assessment):
        out |= set(entity.assesses)
    if isinstance(entity, CredentialDesign):
        out |= set(entity.outcomes) | set(entity.assessed_by)
    if isinstance(entity, Course) and entity.design:
        out.add(entity.design)
    return out


def reachable(root: str, entities: Mapping[str, EntityBase]) -> set[str]:
    """What a pull of ``root`` would read from this store: forward links, and backward ones to practices,
    activities and designs, as :meth:`WikibaseClient.pull` follows them on the wiki."""
    back: dict[str, set[str]] = {}
    for key, e in entities.items():
        for target in references(e):
            back.setdefault(target, set()).add(key)
    seen, todo = set(), [root]
    while todo:
        key = todo.pop()
        if key in seen or key not in entities:
            continue
        seen.add(key)
        todo += references(entities[key])
        if Kind(entities[key].kind) in _REVERSE:
            todo += back.get(key, set())
    return seen


def apply_pull(db: Database, result: PullResult, root_key: str, wiki: str) -> PullApplied:
    """Store the pulled practice in one transaction: entities replaced, those gone from it removed, records kept."""
    pulled = result.design_set.by_key()
    with db.session() as session:
        repo = EntityRepository(session)
        known = {e.key: e for e in repo.list()}
        turned = [Problem(key, KEY, "on the wiki this key is of the kind “%(wiki_kind)s”, here “%(kind)s”; an "
                          "entity never changes kind under its key: give one of the two another key",
                          {"wiki_kind": KIND_TERMS[Kind(e.kind)], "kind": KIND_TERMS[Kind(old.kind)]})
                  for key, e in pulled.items() if (old := known.get(key)) is not None and old.kind != e.kind]
        if turned:  # replacing it broke everything stored that named it, and the data space with it
            raise ValidationFailed("the Wikibase data has %(count)s problem(s); nothing was stored", turned,
                                   params={"count": len(turned)})
        gone = reachable(root_key, known) - set(pulled)
        after = {k: e for k, e in known.items() if k not in gone} | pulled
        referrers = {key: sorted(k for k, e in after.items() if key in references(e)) for key in gone}
        kept = [(key, refs) for key, refs in sorted(referrers.items()) if refs]
        removed = sorted(key for key, refs in referrers.items() if not refs)
        if removed:
            repo.delete(removed)
        check(result.design_set, {k: e for k, e in known.items() if k not in removed})
        stored = repo.upsert_many(result.design_set.entities)
        records = _records(repo, wiki)
        for key in removed:
            records.pop(key, None)
        records.update(result.records)
        _save_records(repo, wiki, records)
    return PullApplied(stored, removed, kept)


def load_records(db: Database, wiki: str) -> dict[str, Json]:
    with db.session() as session:
        return _records(EntityRepository(session), wiki)


def save_records(db: Database, wiki: str, records: Mapping[str, Json], removed: Iterable[str] = ()) -> None:
    with db.session() as session:
        merge_records(EntityRepository(session), wiki, records, removed)


def merge_records(repo: EntityRepository, wiki: str, records: Mapping[str, Json], removed: Iterable[str] = ()) -> None:
    """Update some items' records in the caller's transaction (with the entities stored beside them)."""
    current = _records(repo, wiki)
    current.update(records)
    for key in removed:
        current.pop(key, None)
    _save_records(repo, wiki, current)


def _records(repo: EntityRepository, wiki: str) -> dict[str, Json]:
    meta = repo.get_meta(SYNC_META) or {}
    return dict(meta.get(wiki) or {}) if isinstance(meta, dict) else {}


def _save_records(repo: EntityRepository, wiki: str, records: Mapping[str, Json]) -> None:
    meta = repo.get_meta(SYNC_META)
    meta = dict(meta) if isinstance(meta, dict) else {}
    meta[wiki] = dict(records)
    repo.set_meta(SYNC_META, meta)
