"""``leads verify`` on the embedded SQLite store: what verifying reads, straight from the file with the standard
library's ``sqlite3``, read-only. Importing SQLAlchemy and the ORM models was a third of the command's start
(benchmarks/bench_cli.py), for a few primary-key lookups.

Anything more goes to the full store (``CredentialRecords``), built on first use: a status list whose signed copy
aged or is of an older version (re-signing writes), an issuer looked up in the administrators' list
(``IssuerTrustBook`` uses ``db``), a read the file refuses. PostgreSQL, or a database that is not at the migration
heads, gets the full store from the start (``open`` answers None). tests/bridge/cli/test_sqlite_records.py holds
both stores to the same answers.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from bridge.credentials.local_lists import local_status_list_id, signed_is_fresh
from bridge.db.heads import HEADS, SELECT_HEADS
from bridge.settings import Settings
from bridge.trust.api import IssuerDirectory

if TYPE_CHECKING:
    from bridge.credentials.records import CredentialRecords
    from bridge.db import Database

FullStore = Callable[[IssuerDirectory], "CredentialRecords"]


def utc_now() -> datetime:
    return datetime.now(UTC)


def sqlite_path(url: str) -> Path | None:
    """The file of a plain ``sqlite:///…`` URL (what ``LEADS_DATA_DIR`` gives by default); None for anything else."""
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        if url.startswith(prefix) and "?" not in url:
            rest = url.removeprefix(prefix)
            return Path(rest) if rest and rest != ":memory:" else None
    return None


class SqliteRecords:
    """``VerifyRecords`` (bridge.credentials.verification) read from the SQLite file; the full store on demand."""

    def __init__(self, conn: sqlite3.Connection, settings: Settings, full: FullStore, *,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self._conn = conn
        self._full_store = full
        self._full: CredentialRecords | None = None
        self.settings = settings
        self.clock = clock
        self.directory = IssuerDirectory(settings)

    @classmethod
    def open(cls, settings: Settings, full: FullStore) -> SqliteRecords | None:
        """The reader, when the database is an existing SQLite file at the migration heads; else None."""
        path = sqlite_path(settings.effective_database_url)
        if path is None or not path.is_file():
            return None
        try:
            conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=30)
        except sqlite3.Error:
            return None
        try:
            current = {str(row[0]) for row in conn.execute(SELECT_HEADS)}
        except sqlite3.Error:
            current = set()
        if current != HEADS:
            conn.close()
            return None
        return cls(conn, settings, full)

    @property
    def full(self) -> CredentialRecords:
        if self._full is None:
            self._full = self._full_store(self.directory)
        return self._full

    @property
    def db(self) -> Database:
        return self.full.db

    def close(self) -> None:
        self._conn.close()
        if self._full is not None:
            self._full.db.engine.dispose()

    def _row(self, sql: str, key: str) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self._conn.execute(sql, (key,)).fetchone()
        return row

    def local_status_list_id(self, url: str) -> str | None:
        return local_status_list_id(self.settings.base_url, url)

    def status_versions(self, list_ids: Collection[str]) -> dict[str, tuple[int, int]]:
        wanted = sorted(set(list_ids))
        if not wanted:
            return {}
        marks = ", ".join("?" * len(wanted))
        try:
            rows = self._conn.execute(f"SELECT id, version, signed_version FROM status_lists WHERE id IN ({marks})",
                                      wanted).fetchall()
        except sqlite3.Error:
            return self.full.status_versions(list_ids)
        return {str(r[0]): (int(r[1]), int(r[2])) for r in rows}

    def status_list(self, list_id: str) -> tuple[dict[str, Any], int]:
        try:
            row = self._row("SELECT signed, version, signed_version FROM status_lists WHERE id = ?", list_id)
        except sqlite3.Error:
            row = None
        if row is not None:
            signed = json.loads(row[0]) if row[0] is not None else None
            if isinstance(signed, dict) and signed_is_fresh(signed, int(row[1]), int(row[2]), self.clock()):
                return signed, int(row[1])
        return self.full.status_list(list_id)  # missing (its error), aged or changed (re-signed), unreadable

    def revoked_reason(self, credential: dict[str, Any]) -> str | None:
        cid = credential.get("id")
        if not isinstance(cid, str) or not cid.startswith("urn:uuid:"):
            return None
        try:
            row = self._row("SELECT revoked, revoked_reason FROM issued_credentials WHERE id = ?",
                            cid.removeprefix("urn:uuid:"))
        except sqlite3.Error:
            return self.full.revoked_reason(credential)
        return str(row[1]) if row is not None and row[0] and row[1] else None
