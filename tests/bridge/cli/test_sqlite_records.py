"""``leads verify``'s direct reader of the embedded SQLite file answers as the ORM store does, hands anything it
cannot read or must write to the full store, and is used only on a current SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.cli.sqlite_records import SqliteRecords, sqlite_path
from bridge.credentials.records import CredentialRecords
from bridge.credentials.service import CredentialService, IssueInput
from bridge.credentials.tables import IssuedCredentialRow
from bridge.credentials.verification import Verifier
from bridge.dataspace import service as dataspace_service
from bridge.db import Database, make_database, upgrade
from bridge.db.heads import HEADS
from bridge.errors import NotFound
from bridge.settings import Settings
from bridge.trust.api import IssuerDirectory


class FullStore:
    """The factory ``SqliteRecords`` is given, counting how often the ORM store was needed."""

    def __init__(self, db: Database, settings: Settings, clock: datetime | None = None) -> None:
        self.db, self.settings, self.clock, self.built = db, settings, clock, 0

    def __call__(self, directory: IssuerDirectory) -> CredentialRecords:
        self.built += 1
        later = self.clock
        if later is None:
            return CredentialRecords(self.db, self.settings, directory=directory)
        return CredentialRecords(self.db, self.settings, directory=directory, clock=lambda: later)


@pytest.fixture
def installation(settings: Settings) -> Iterator[tuple[Database, CredentialService, IssuedCredentialRow]]:
    db = make_database(settings.effective_database_url)
    upgrade(db)
    dataspace_service.load_sample_if_empty(db)
    service = CredentialService(db, settings)
    row = service.issue(IssueInput(design_key="glam-mc-rights", learner_name="Ada Lovelace"))
    yield db, service, row
    db.engine.dispose()


def _status_urls(row: IssuedCredentialRow) -> list[str]:
    entries = row.document["credentialStatus"]
    return [e["statusListCredential"] for e in (entries if isinstance(entries, list) else [entries])]


def test_the_reader_answers_as_the_orm_store(settings: Settings,
                                             installation: tuple[Database, CredentialService,
                                                                 IssuedCredentialRow]) -> None:
    db, service, row = installation
    Verifier(service).verify(row.document)  # signs both lists, as the first verification of any process does
    full = FullStore(db, settings)
    reader = SqliteRecords.open(settings, full)
    assert reader is not None
    try:
        urls = _status_urls(row)
        assert len(urls) == 2
        for url in urls:
            list_id = reader.local_status_list_id(url)
            assert list_id is not None and list_id == service.local_status_list_id(url)
            assert reader.status_versions([list_id]) == service.status_versions([list_id])
            assert reader.status_list(list_id) == service.status_list(list_id)
        assert reader.local_status_list_id("https://elsewhere.example/status/1") is None
        both = [i for i in (reader.local_status_list_id(u) for u in urls) if i is not None]
        assert reader.status_versions([*both, "no-such-list"]) == service.status_versions(both) and len(both) == 2
        assert reader.status_versions([]) == {}
        assert reader.revoked_reason(row.document) is None
        assert reader.revoked_reason({"id": "urn:uuid:00000000-0000-0000-0000-000000000000"}) is None

        report = Verifier(reader).verify(row.document)
        assert report.verdict == "verified" and report.trust is not None and report.trust.standing == "own"

        service.revoke(row.id, "issued twice")
        assert reader.revoked_reason(row.document) == service.revoked_reason(row.document) == "issued twice"
        report = Verifier(reader).verify(row.document)
        assert report.verdict == "revoked"
        assert next(c.message for c in report.checks if c.name == "status") == "revoked"  # the reason is private
        assert full.built == 0  # every answer came from the file
    finally:
        reader.close()


def test_an_aged_list_is_re_signed_by_the_full_store(settings: Settings,
                                                    installation: tuple[Database, CredentialService,
                                                                        IssuedCredentialRow]) -> None:
    db, service, row = installation
    list_id = service.local_status_list_id(_status_urls(row)[0])
    assert list_id is not None
    first, version = service.status_list(list_id)
    later = datetime.now(UTC) + timedelta(days=2)  # the signed copy (valid a day) has run out by then
    full = FullStore(db, settings, clock=later)
    reader = SqliteRecords.open(settings, full)
    assert reader is not None
    reader.clock = lambda: later
    try:
        signed, again = reader.status_list(list_id)
        assert full.built == 1 and again == version
        assert signed["validUntil"] != first["validUntil"]
        assert datetime.fromisoformat(signed["validUntil"].replace("Z", "+00:00")) > later
        assert reader.status_list(list_id) == (signed, version)  # the new copy is read from the file
        assert full.built == 1
        assert reader.db is db  # the trust book's lookups in the administrators' list go to the full store
        with pytest.raises(NotFound, match="no status list"):
            reader.status_list("no-such-list")  # the full store's own error
    finally:
        reader.close()


def test_only_a_current_sqlite_file_is_read_directly(settings: Settings, tmp_path: Path) -> None:
    full = FullStore(make_database("sqlite://"), settings)
    assert sqlite_path("postgresql+psycopg://leads@db/leads") is None
    assert sqlite_path("sqlite://") is None and sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("sqlite:///var/leads.sqlite3?mode=ro") is None
    assert sqlite_path("sqlite:////srv/leads.sqlite3") == Path("/srv/leads.sqlite3")

    elsewhere = settings.model_copy(update={"database_url": "postgresql+psycopg://leads@127.0.0.1:1/leads"})
    assert SqliteRecords.open(elsewhere, full) is None
    assert SqliteRecords.open(settings, full) is None  # no file yet

    path = tmp_path / "other.sqlite3"
    sqlite3.connect(path).close()  # a file, not migrated
    other = settings.model_copy(update={"database_url": f"sqlite:///{path}"})
    assert SqliteRecords.open(other, full) is None
    behind = make_database(f"sqlite:///{path}")
    upgrade(behind)
    with behind.engine.begin() as conn:
        conn.exec_driver_sql(f"DELETE FROM alembic_version WHERE version_num = '{min(HEADS)}'")  # any head
    behind.engine.dispose()
    assert SqliteRecords.open(other, full) is None  # a migration behind: the ORM path migrates it first
    assert full.built == 0
