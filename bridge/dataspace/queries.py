"""Read-side helpers for the data-space pages: an in-memory index of the whole graph and its reverse links.

A data space holds tens to a few thousand entities, so a page reads them all once and walks the graph in
memory; this keeps the graph logic pure (testable without a database). Each process keeps the graph it read while
the data space's revision stays the same (``current_index``): a page reads one short row instead of every entity.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bridge.dataspace.model import (
    Activity,
    Competence,
    Course,
    CredentialDesign,
    Entity,
    EntityBase,
    LearningOutcome,
    Practice,
    Ref,
)
from bridge.dataspace.repository import EntityRepository
from bridge.dataspace.tables import EntityRow
from bridge.db import Database

T = TypeVar("T", bound=EntityBase)
R = TypeVar("R")


def ordered(refs: Iterable[Ref]) -> list[Ref]:
    """Parts in their series order; parts without an order keep their written position, after the ordered ones."""
    indexed = list(enumerate(refs))
    indexed.sort(key=lambda pair: (pair[1].order is None, pair[1].order or 0, pair[0]))
    return [ref for _, ref in indexed]


class Index:
    """The data space as a graph: lookups by key and the reverse links the pages need."""

    def __init__(self, entities: Iterable[EntityBase]) -> None:
        # read-only: one index is shared by every request of a process (``current_index``)
        self.by_key: Mapping[str, EntityBase] = MappingProxyType({e.key: e for e in entities})
        self._derived: dict[Hashable, Any] = {}

    def derived(self, key: Hashable, make: Callable[[Index], R]) -> R:
        """What ``make`` computes from the whole graph, kept with this index (``key`` names it and its inputs):
        the graph does not change, so neither does the result; a new revision brings a new index. The result is
        shared like the index: never change it."""
        try:
            return self._derived[key]  # type: ignore[no-any-return]
        except KeyError:
            value = self._derived[key] = make(self)
            return value

    def get(self, key: str | None, cls: type[T]) -> T | None:
        entity = self.by_key.get(key) if key else None
        return entity if isinstance(entity, cls) else None

    def all(self, cls: type[T]) -> list[T]:
        """Every entity of a kind, by key (sorted once per index: pages ask for the designs many times)."""
        return list(self.derived(("all", cls), lambda index: tuple(
            sorted((e for e in index.by_key.values() if isinstance(e, cls)), key=lambda e: e.key))))

    def of_kinds(self, *classes: type[EntityBase]) -> dict[str, EntityBase]:
        """The entities of these kinds by key, in key order within each kind (a fresh dict the caller may keep)."""
        return dict(self.derived(("of kinds", classes), lambda index: tuple(
            (k, e) for k, e in index.by_key.items() if isinstance(e, classes))))

    def practice_of(self, entity: EntityBase) -> Practice | None:
        """The practice an entity belongs to, following ``part of`` upwards (cycles are cut)."""
        seen: set[str] = set()
        current: EntityBase | None = entity
        while current is not None and current.key not in seen:
            if isinstance(current, Practice):
                return current
            seen.add(current.key)
            if isinstance(current, Activity | Competence | CredentialDesign):
                parent = self.by_key.get(current.part_of or "")
                if parent is None and isinstance(current, CredentialDesign):
                    stacks = self.stacks_containing(current.key)
                    parent = stacks[0] if stacks else None
                current = parent
            elif isinstance(current, Course):
                current = self.by_key.get(current.design or "")
            elif isinstance(current, LearningOutcome):
                current = self.by_key.get(current.competence.key) if current.competence else None
            else:
                current = None
        return None

    def parts(self, entity: Practice | Activity | CredentialDesign) -> list[tuple[Ref, EntityBase]]:
        return [(ref, self.by_key[ref.key]) for ref in ordered(entity.has_part) if ref.key in self.by_key]

    def stacks_containing(self, design_key: str) -> list[CredentialDesign]:
        return [d for d in self.all(CredentialDesign) if any(p.key == design_key for p in d.has_part)]

    def stack_depth(self, design: CredentialDesign, _seen: frozenset[str] = frozenset()) -> int:
        """0 for a micro-credential, 1 + the deepest part for a stack."""
        if design.key in _seen:
            return 0
        depths = [self.stack_depth(p, _seen | {design.key}) for _, p in self.parts(design)
                  if isinstance(p, CredentialDesign)]
        return 1 + max(depths) if depths else 0

    def competences_of_design(self, design: CredentialDesign) -> list[str]:
        """Keys of the competences a design certifies: required directly or through its learning outcomes."""
        keys = [r.key for r in design.requires]
        for key in design.outcomes:
            outcome = self.get(key, LearningOutcome)
            if outcome and outcome.competence:
                keys.append(outcome.competence.key)
        return list(dict.fromkeys(keys))

    def designs_for_competence(self, competence_key: str) -> list[CredentialDesign]:
        return [d for d in self.all(CredentialDesign) if competence_key in self.competences_of_design(d)]

    def courses_for_design(self, design_key: str) -> list[Course]:
        return [c for c in self.all(Course) if c.design == design_key]

    def outcomes_of_competence(self, competence_key: str) -> list[LearningOutcome]:
        return [o for o in self.all(LearningOutcome) if o.competence and o.competence.key == competence_key]

    def designs_with(self, attribute: str, key: str) -> list[CredentialDesign]:
        """Designs whose list attribute (``outcomes`` or ``assessed_by``) names ``key``."""
        return [d for d in self.all(CredentialDesign) if key in getattr(d, attribute)]


def load_index(session: Session) -> Index:
    entities: list[Entity] = EntityRepository(session).list()
    return Index(entities)


_kept: weakref.WeakKeyDictionary[Engine, tuple[str, Index]] = weakref.WeakKeyDictionary()
_kept_lock = threading.Lock()


def current_index(db: Database) -> Index:
    """The data space as it is now, read outside a transaction (see ``index_in``; each read sees what is committed)."""
    with db.reading() as session:
        return index_in(session)


def index_in(session: Session) -> Index:
    """The data space as ``session`` sees it, read again only when its revision changed (a write in any process,
    on any host, sets a new one in its own transaction). The revision is read before the entities: a write committed
    in between is then kept under the older revision and read again at the next request, never the other way round
    (a copy read inside a transaction that wrote and then rolled back is kept under a revision nobody else sees).
    A data space without a revision (written before revisions existed) is read every time until its next write.
    Callers must not change the entities they get: the index is shared."""
    engine = session.get_bind().engine
    revision = EntityRepository(session).revision()
    if revision is None:
        return load_index(session)
    with _kept_lock:
        kept = _kept.get(engine)
    if kept is not None and kept[0] == revision:
        return kept[1]
    index = load_index(session)
    with _kept_lock:
        _kept[engine] = (revision, index)
    return index


def find_by_wikibase_id(session: Session, wikibase_id: str) -> str | None:
    """The LEADS key of the entity with this Wikibase id (Q…), so Wikibase-style entity URIs resolve too."""
    return session.scalars(select(EntityRow.key).where(EntityRow.wikibase_id == wikibase_id)).first()
