"""``leads backup`` / ``leads restore``: the whole state of an installation in one portable archive (decision 026).

What holds state: the database (data space, awards and their job queue, issued credentials, status lists, LTI
registrations, trust list …) and the data directory (issuer signing keys, the LTI tool keys, ``issuers.json``,
the data-space and registry caches; rendered certificate PDFs are left out, they are drawn again at will).
The archive (``.tar.gz``) holds

- ``manifest.json``: format and version, when, the migration heads the rows belong to, row counts per table;
- ``db/<table>.jsonl``: every row of every table as JSON, one per line (dates ISO 8601, bytes base64), all tables
  read in one snapshot (``_snapshot``) — portable between SQLite and PostgreSQL and readable without LEADS, unlike
  a ``pg_dump`` custom-format file;
- ``data/…``: the data directory as it is, less the SQLite database (dumped above), lock and temporary files,
  logs and the rendered certificate PDFs. Key files go in as they are: encrypted when ``LEADS_KEY_PASSPHRASE`` is
  set (the passphrase is never in the archive; keep it apart), in the clear otherwise (the command says so).

A restore goes into an *empty* installation of the same LEADS version (same migration heads): it migrates the
empty database, inserts the rows table by table in foreign-key order, moves PostgreSQL sequences past the
restored ids, and unpacks the data directory without overwriting anything. Jobs come back as they were, so the
award queue resumes at the next ``leads worker``; a job that was running when the backup was taken is claimed
again once its lease has run out (issuance is idempotent on the award).
"""

from __future__ import annotations

import base64
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import Connection, Date, DateTime, Integer, LargeBinary, func, select, text

import bridge.tables  # noqa: F401  - registers every table on the metadata
from bridge.db import Database
from bridge.db.base import Base
from bridge.db.engine import migration_heads, up_to_date, upgrade
from bridge.errors import LeadsError
from bridge.settings import Settings

FORMAT = "leads-backup"
VERSION = 1
SKIP_NAMES = (".lock", ".tmp", ".migrate.lock")
# folders of the data directory left out: logs, and the certificate PDFs (drawn again at will, under the same key:
# a 100,000-learner course's are about 14 GB)
SKIP_TREES = (("logs",), ("cache", "certificates"))
BATCH = 1000
Progress = Callable[[int, int], None]


class BackupError(LeadsError):
    def __init__(self, message: str, code: str = "backup_invalid", status: int = 409) -> None:
        super().__init__(message, code=code, status=status)


@dataclass
class BackupReport:
    path: Path
    tables: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    plain_keys: list[str] = field(default_factory=list)  # key files in the archive that are not encrypted

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "tables": self.tables, "files": self.files, "plain_keys": self.plain_keys}


def _tables() -> list[Any]:
    return list(Base.metadata.sorted_tables)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decoder(column: Any) -> Callable[[Any], Any]:
    if isinstance(column.type, DateTime):
        return lambda v: None if v is None else datetime.fromisoformat(v)
    if isinstance(column.type, Date):
        return lambda v: None if v is None else date.fromisoformat(v)
    if isinstance(column.type, LargeBinary):
        return lambda v: None if v is None else base64.b64decode(v)
    return lambda v: v


def _data_files(data_dir: Path, database_file: Path | None) -> Iterator[Path]:
    if not data_dir.is_dir():
        return
    for top, dirs, files in os.walk(data_dir):
        here = Path(top)
        relative = here.relative_to(data_dir).parts
        dirs[:] = sorted(d for d in dirs if (*relative, d) not in SKIP_TREES)
        for name in sorted(files):
            path = here / name
            if not path.is_file() or name.endswith(SKIP_NAMES):
                continue
            if database_file is not None and path.resolve().name.startswith(database_file.name) and \
                    path.resolve().parent == database_file.parent:
                continue  # the SQLite database (and its -wal/-shm/-journal): dumped as rows instead
            yield path


def _sqlite_file(db: Database) -> Path | None:
    name = db.engine.url.database if db.engine.dialect.name == "sqlite" else None
    return Path(name).resolve() if name and name != ":memory:" and not name.startswith("file:") else None


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


@contextmanager
def _snapshot(db: Database) -> Iterator[Connection]:
    """One connection in one read-only transaction, so every table is read as of one moment: a revocation or an
    issuance the worker commits while the backup runs is in the archive whole or not at all (read table by table,
    a revoked award and its done job could come back beside a status list from before the revocation: the
    credential verified again after a restore). PostgreSQL: REPEATABLE READ READ ONLY; SQLite (WAL): one read
    transaction, opened by hand because the driver sends no BEGIN before a SELECT. Writers are never blocked."""
    with db.engine.connect() as conn:
        if db.is_sqlite:
            conn.exec_driver_sql("BEGIN")
            yield conn
        else:
            yield conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        conn.rollback()


def backup(settings: Settings, db: Database, out: Path, *, progress: Progress | None = None) -> BackupReport:
    """Write the archive to ``out`` (through a temporary file: a failed backup leaves no half archive)."""
    report = BackupReport(out)
    tables = _tables()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", delete=False) as handle:
        partial = Path(handle.name)
    try:
        with tarfile.open(partial, "w:gz") as tar:
            with _snapshot(db) as conn:
                counts = {t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0) for t in tables}
                total, done = sum(counts.values()), 0
                for table in tables:
                    written = 0
                    with tempfile.TemporaryFile() as rows:
                        order = list(table.primary_key.columns) or list(table.columns)
                        result = conn.execution_options(yield_per=BATCH).execute(select(table).order_by(*order))
                        for row in result.mappings():
                            rows.write(json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False,
                                                  separators=(",", ":")).encode("utf-8") + b"\n")
                            written += 1
                            if progress is not None and (done + written) % BATCH == 0:
                                progress(done + written, total)
                        size = rows.tell()
                        rows.seek(0)
                        info = tarfile.TarInfo(f"db/{table.name}.jsonl")
                        info.size, info.mode, info.mtime = size, 0o600, int(datetime.now(UTC).timestamp())
                        tar.addfile(info, rows)
                    done += written
                    report.tables[table.name] = written
            if progress is not None:
                progress(total, total)
            for path in _data_files(settings.data_dir, _sqlite_file(db)):
                relative = path.relative_to(settings.data_dir).as_posix()
                tar.add(path, arcname=f"data/{relative}", recursive=False)
                report.files.append(relative)
                if path.suffix == ".pem" and b"ENCRYPTED" not in path.read_bytes()[:64]:
                    report.plain_keys.append(relative)
            manifest = {"format": FORMAT, "version": VERSION, "created": datetime.now(UTC).isoformat(),
                        "heads": sorted(migration_heads()), "tables": report.tables, "files": report.files,
                        "base_url": settings.base_url}
            _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=1).encode("utf-8"))
        partial.chmod(0o600)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return report


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        with tarfile.open(path, "r:gz") as tar:
            member = tar.extractfile("manifest.json")
            if member is None:
                raise KeyError("manifest.json")
            manifest: dict[str, Any] = json.loads(member.read())
    except (OSError, KeyError, tarfile.TarError, ValueError) as exc:
        raise BackupError(f"{path} is not a LEADS backup ({exc.__class__.__name__}: {exc})",
                          code="backup_unreadable", status=422) from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(f"{path} is not a LEADS backup of format {FORMAT} v{VERSION}", code="backup_unreadable",
                          status=422)
    return manifest


def restore(settings: Settings, db: Database, archive: Path, *, progress: Progress | None = None) -> dict[str, Any]:
    """Restore ``archive`` into this (empty) installation; the manifest, for the record."""
    manifest = read_manifest(archive)
    heads = sorted(migration_heads())
    if manifest["heads"] != heads:
        raise BackupError(f"the backup was made by another LEADS version (migrations {manifest['heads']}; this one "
                          f"has {heads}): restore it with that version, then upgrade", code="backup_version")
    if manifest.get("base_url") and manifest["base_url"] != settings.base_url:
        raise BackupError(f"the backup's LEADS_BASE_URL is {manifest['base_url']} and this installation's is "
                          f"{settings.base_url}: the issuers' did:web identities follow it, so credentials issued "
                          "before would not resolve; set LEADS_BASE_URL to the old value", code="backup_base_url")
    if not up_to_date(db):
        upgrade(db)
    tables = _tables()
    with db.session() as session:
        busy = [t.name for t in tables if session.scalar(select(func.count()).select_from(t))]
    if busy:
        raise BackupError(f"restore goes into an empty installation; these tables hold rows: {', '.join(busy)} "
                          "(create a new database, or start LEADS with LEADS_LOAD_SAMPLE=false)",
                          code="restore_not_empty")
    clashes = [name for name in manifest["files"] if (settings.data_dir / name).exists()]
    if clashes:
        raise BackupError(f"restore would overwrite files in {settings.data_dir}: {', '.join(clashes[:5])}",
                          code="restore_not_empty")
    total, done = sum(int(n) for n in manifest["tables"].values()), 0
    with tarfile.open(archive, "r:gz") as tar, db.engine.begin() as conn:
        for table in tables:
            member = tar.extractfile(f"db/{table.name}.jsonl") if table.name in manifest["tables"] else None
            if member is None:
                continue
            decoders = {c.name: _decoder(c) for c in table.columns}
            batch: list[dict[str, Any]] = []
            for line in member:
                raw = json.loads(line)
                batch.append({k: decoders[k](v) for k, v in raw.items() if k in decoders})
                if len(batch) >= BATCH:
                    conn.execute(table.insert(), batch)
                    done += len(batch)
                    batch = []
                    if progress is not None:
                        progress(done, total)
            if batch:
                conn.execute(table.insert(), batch)
                done += len(batch)
        if db.engine.dialect.name == "postgresql":
            for table in tables:  # serial ids: the next one after the restored rows
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and isinstance(pk[0].type, Integer) and pk[0].autoincrement in (True, "auto"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                                      f"COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"))
        settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        for member_info in tar.getmembers():
            path = PurePosixPath(member_info.name)
            if path.parts[:1] != ("data",) or not member_info.isfile():
                continue
            if ".." in path.parts or path.is_absolute():
                raise BackupError(f"the archive names a file outside the data directory: {member_info.name}",
                                  code="backup_unreadable", status=422)
            target = settings.data_dir.joinpath(*path.parts[1:])
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            source = tar.extractfile(member_info)
            assert source is not None
            target.write_bytes(source.read())
            target.chmod(0o600)
    if progress is not None:
        progress(total, total)
    return manifest
