"""The process's copy of the data space: kept while the revision stays, read again after any write elsewhere."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete, event

from bridge.dataspace import service as dataspace_service
from bridge.dataspace.model import Competence, Practice
from bridge.dataspace.queries import current_index, index_in
from bridge.dataspace.repository import REVISION, EntityRepository
from bridge.dataspace.tables import MetaRow
from bridge.db import Database, make_database


@pytest.fixture
def other(db: Database) -> Iterator[Database]:
    """A second process's view of the same database: its own engine, its own kept index."""
    second = make_database(db.engine.url.render_as_string(hide_password=False))
    yield second
    second.engine.dispose()


def _entity_reads(db: Database) -> list[str]:
    seen: list[str] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def _note(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if "FROM entities" in statement:
            seen.append(statement)

    return seen


def _a_practice(db: Database) -> Practice:
    practice = current_index(db).all(Practice)[0]
    assert practice.labels.get("en")
    return practice


def test_kept_while_nothing_is_written(db: Database) -> None:
    dataspace_service.load_sample_if_empty(db)
    first = current_index(db)
    reads = _entity_reads(db)
    assert current_index(db) is first
    assert reads == []  # only the revision was read


def test_a_write_in_another_process_is_seen_at_the_next_read(db: Database, other: Database) -> None:
    dataspace_service.load_sample_if_empty(db)
    practice = _a_practice(db)
    renamed = practice.model_copy(update={"labels": {**practice.labels, "en": "Renamed elsewhere"}})
    with other.session() as session:
        EntityRepository(session).upsert_many([renamed])
    assert current_index(db).get(practice.key, Practice).labels["en"] == "Renamed elsewhere"  # type: ignore[union-attr]


def test_a_removal_elsewhere_is_seen(db: Database, other: Database) -> None:
    dataspace_service.load_sample_if_empty(db)
    practice = _a_practice(db)
    with other.session() as session:
        EntityRepository(session).delete([practice.key])
    assert practice.key not in current_index(db).by_key


def test_without_a_revision_every_read_goes_to_the_database(db: Database) -> None:
    dataspace_service.load_sample_if_empty(db)
    with db.session() as session:  # a data space written before revisions existed
        session.execute(delete(MetaRow).where(MetaRow.name == REVISION))
    first = current_index(db)
    reads = _entity_reads(db)
    second = current_index(db)
    assert second is not first and len(reads) == 1
    assert second.by_key.keys() == first.by_key.keys()


def test_the_shared_index_cannot_be_changed(db: Database) -> None:
    dataspace_service.load_sample_if_empty(db)
    index = current_index(db)
    with pytest.raises(TypeError):
        index.by_key["x"] = index.all(Practice)[0]  # type: ignore[index]


def test_a_copy_read_inside_a_write_that_rolled_back_is_never_served(db: Database) -> None:
    dataspace_service.load_sample_if_empty(db)
    practice = _a_practice(db)
    renamed = practice.model_copy(update={"labels": {**practice.labels, "en": "Never committed"}})
    with db.sessions() as session:
        session.begin()
        EntityRepository(session).upsert_many([renamed])
        assert index_in(session).get(practice.key, Practice).labels["en"] == "Never committed"  # type: ignore[union-attr]
        session.rollback()
    assert current_index(db).get(practice.key, Practice).labels["en"] == practice.labels["en"]  # type: ignore[union-attr]


def test_entities_of_some_kinds_come_as_a_fresh_dict_each_time(db: Database) -> None:
    dataspace_service.load_sample_if_empty(db)
    index = current_index(db)
    found = index.of_kinds(Practice, Competence)
    assert found and all(isinstance(e, Practice | Competence) for e in found.values())
    assert set(found) == {e.key for e in index.all(Practice) + index.all(Competence)}
    found.clear()  # the caller's own copy: the kept index is untouched
    assert index.of_kinds(Practice, Competence)
