"""``leads backup`` / ``leads restore``: the whole state of an installation in one portable archive (decision 026).

What holds state: the database (data space, awards and their job queue, issued credentials, status lists, LTI
registrations, trust list …) and the data directory (issuer signing keys, the LTI tool keys, ``issuers.json``,
the data-space and registry caches; rendered certificate PDFs are left out, they are drawn again at will).
The archive (``.tar.gz``) holds

- ``manifest.json``: format and version, when, the migration heads the rows belong to, row counts per table, the
  files, ``LEADS_BASE_URL`` and the SHA-256 of every other member (version 2; version 1 had no checksums);
- ``db/<table>.jsonl``: every row of every table as JSON, one per line (date-times ISO 8601 in UTC, bytes
  base64), all tables read in one snapshot (``_snapshot``) — portable between SQLite and PostgreSQL and readable
  without LEADS, unlike a ``pg_dump`` custom-format file. The live sign-ins (``SIGN_INS``: editor sessions with
  their wiki bearer tokens, admin and wiki sessions, sign-ins in flight) are left out, and not restored from an
  older archive that has them;
- ``data/…``: the data directory as it is, less the SQLite database (dumped above), lock and temporary files,
  logs, the rendered certificate PDFs and any backup archive in it (this one included). Key files go in as they
  are: encrypted when ``LEADS_KEY_PASSPHRASE`` is set (the passphrase is never in the archive; keep it apart), in
  the clear otherwise (the command says so).

A restore goes into an *empty* installation of the same LEADS version (same migration heads): it checks every
member against the manifest (listed, SHA-256, row counts), migrates the empty database, inserts the rows table by
table in foreign-key order, moves PostgreSQL sequences past the restored ids, and unpacks the files the manifest
lists without overwriting anything. Jobs come back as they were, so the
award queue resumes at the next ``leads worker``; a job that was running when the backup was taken is claimed
again once its lease has run out (issuance is idempotent on the award).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Date, DateTime, Integer, LargeBinary, Table, func, select, text
from sqlalchemy.exc import StatementError

import bridge.tables  # noqa: F401  - registers every table on the metadata
from bridge.db import Database
from bridge.db.base import Base, aware
from bridge.db.engine import migration_heads, outage, up_to_date, upgrade
from bridge.errors import LeadsError
from bridge.settings import Settings

FORMAT = "leads-backup"
VERSION = 2  # 2: the manifest holds each member's SHA-256; 1 (without) is still restored
READABLE = (1, 2)
SKIP_NAMES = (".lock", ".tmp", ".migrate.lock")
# folders of the data directory left out: logs, and the certificate PDFs (drawn again at will, under the same key:
# a 100,000-learner course's are about 14 GB)
SKIP_TREES = (("logs",), ("cache", "certificates"))
STAGING = ".restore-"  # a restore unpacks here (in the data directory) and moves the files in after the commit
CHUNK = 1 << 20
#: what reading a cut or corrupt .tar.gz raises (gzip, zlib, tarfile, the end of the file)
UNREADABLE = (EOFError, zlib.error, tarfile.TarError, gzip.BadGzipFile)
BATCH = 1000
Progress = Callable[[int, int], None]
#: Live sign-ins, left out of every archive and never restored: the editor sessions hold each editor's wiki bearer
#: token in clear (whoever holds the archive could edit the wiki as them), the others recognise signed-in browsers
#: or a sign-in in flight (its PKCE verifier). They last hours; after a restore people sign in again.
SIGN_INS = ("editor_sessions", "admin_sessions", "wiki_sessions", "wiki_login_states")


class BackupError(LeadsError):
    def __init__(self, message: str, code: str = "backup_invalid", status: int = 409) -> None:
        super().__init__(message, code=code, status=status)


def _damaged(archive: Path, why: str) -> BackupError:
    return BackupError(f"{archive} is damaged or was altered: {why}; restore another copy",
                       code="backup_unreadable", status=422)


class _Hashing:
    """A file read through, its SHA-256 taken on the way (``tarfile`` copies the member from ``read``)."""

    def __init__(self, raw: Any) -> None:
        self.raw, self.sha = raw, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data: bytes = self.raw.read(size)
        self.sha.update(data)
        return data


@dataclass
class BackupReport:
    path: Path
    tables: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    plain_keys: list[str] = field(default_factory=list)  # key files in the archive that are not encrypted

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "tables": self.tables, "files": self.files, "plain_keys": self.plain_keys}


def _tables() -> list[Any]:
    """The tables an archive holds, in foreign-key order: every one but the live sign-ins."""
    return [t for t in Base.metadata.sorted_tables if t.name not in SIGN_INS]


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):  # every DateTime column is timezone-aware; SQLite hands them back naive, in UTC
        return aware(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decoder(column: Any) -> Callable[[Any], Any]:
    if isinstance(column.type, DateTime) and column.type.timezone:
        # naive in an archive written before 2026-12 from SQLite: UTC, never the restoring PostgreSQL's TimeZone
        return lambda v: None if v is None else aware(datetime.fromisoformat(v))
    if isinstance(column.type, DateTime):
        return lambda v: None if v is None else datetime.fromisoformat(v)
    if isinstance(column.type, Date):
        return lambda v: None if v is None else date.fromisoformat(v)
    if isinstance(column.type, LargeBinary):
        return lambda v: None if v is None else base64.b64decode(v)
    return lambda v: v


def _data_files(data_dir: Path, database_file: Path | None, out: Path) -> Iterator[Path]:
    """The files of the data directory that go into the archive. Left out besides: the archive being written
    (``out`` and its ``.tmp`` file) and any other LEADS backup — written into the data directory, each backup
    held the one in progress and every earlier one."""
    if not data_dir.is_dir():
        return
    for top, dirs, files in os.walk(data_dir):
        here = Path(top)
        relative = here.relative_to(data_dir).parts
        dirs[:] = sorted(d for d in dirs if (*relative, d) not in SKIP_TREES and not d.startswith(STAGING))
        for name in sorted(files):
            path = here / name
            if not path.is_file() or name.endswith(SKIP_NAMES) or path.resolve() == out or _is_backup(path):
                continue
            if database_file is not None and path.resolve().name.startswith(database_file.name) and \
                    path.resolve().parent == database_file.parent:
                continue  # the SQLite database (and its -wal/-shm/-journal): dumped as rows instead
            yield path


def _is_backup(path: Path) -> bool:
    """Whether the file is a LEADS backup, whatever its name: a .tar.gz whose first member is a table's rows
    (reads one block, not the archive)."""
    try:
        with path.open("rb") as raw:
            if raw.read(2) != b"\x1f\x8b":
                return False
        with tarfile.open(path, "r:gz") as tar:
            first = tar.next()
    except (OSError, *UNREADABLE):
        return False
    return first is not None and first.name.startswith("db/") and first.name.endswith(".jsonl")


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
    with tempfile.NamedTemporaryFile(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp", delete=False) as handle:
        partial = Path(handle.name)
    try:
        with tarfile.open(partial, "w:gz") as tar:
            sums: dict[str, str] = {}
            with _snapshot(db) as conn:
                counts = {t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0) for t in tables}
                total, done = sum(counts.values()), 0
                for table in tables:
                    written, sha = 0, hashlib.sha256()
                    with tempfile.TemporaryFile() as rows:
                        order = list(table.primary_key.columns) or list(table.columns)
                        result = conn.execution_options(yield_per=BATCH).execute(select(table).order_by(*order))
                        for row in result.mappings():
                            line = json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False,
                                              separators=(",", ":")).encode("utf-8") + b"\n"
                            rows.write(line)
                            sha.update(line)
                            written += 1
                            if progress is not None and (done + written) % BATCH == 0:
                                progress(done + written, total)
                        size = rows.tell()
                        rows.seek(0)
                        info = tarfile.TarInfo(f"db/{table.name}.jsonl")
                        info.size, info.mode, info.mtime = size, 0o600, int(datetime.now(UTC).timestamp())
                        tar.addfile(info, rows)
                    sums[info.name] = sha.hexdigest()
                    done += written
                    report.tables[table.name] = written
            if progress is not None:
                progress(total, total)
            for path in _data_files(settings.data_dir, _sqlite_file(db), out.resolve()):
                relative = path.relative_to(settings.data_dir).as_posix()
                info = tar.gettarinfo(path, arcname=f"data/{relative}")
                with path.open("rb") as raw:
                    hashing = _Hashing(raw)
                    tar.addfile(info, hashing)
                sums[info.name] = hashing.sha.hexdigest()
                report.files.append(relative)
                if path.suffix == ".pem" and b"ENCRYPTED" not in path.read_bytes()[:64]:
                    report.plain_keys.append(relative)
            manifest = {"format": FORMAT, "version": VERSION, "created": datetime.now(UTC).isoformat(),
                        "heads": sorted(migration_heads()), "tables": report.tables, "files": report.files,
                        "base_url": settings.base_url, "sha256": sums}
            _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=1).encode("utf-8"))
        partial.chmod(0o600)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return report


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of the archive at ``path``, checked whole: what a restore relies on is there and well formed."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            member = tar.extractfile("manifest.json")
            if member is None:
                raise KeyError("manifest.json")
            manifest: dict[str, Any] = json.loads(member.read())
    except UNREADABLE as exc:
        raise BackupError(f"{path} cannot be read: it is cut short or corrupt, or not a .tar.gz "
                          f"({exc.__class__.__name__}: {exc}); restore another copy", code="backup_unreadable",
                          status=422) from None
    except KeyError:
        raise BackupError(f"{path} holds no manifest.json: it is not a LEADS backup, or it is cut short or corrupt",
                          code="backup_unreadable", status=422) from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} is not a LEADS backup ({exc.__class__.__name__}: {exc})",
                          code="backup_unreadable", status=422) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("version") not in READABLE:
        raise BackupError(f"{path} is not a LEADS backup of format {FORMAT} v{VERSION}", code="backup_unreadable",
                          status=422)
    _check_manifest(path, manifest)
    return manifest


def _check_manifest(path: Path, manifest: dict[str, Any]) -> None:
    tables, files, heads = manifest.get("tables"), manifest.get("files"), manifest.get("heads")
    if not isinstance(heads, list) or not all(isinstance(h, str) for h in heads):
        raise _damaged(path, "the manifest names no migration heads")
    if not isinstance(tables, dict) or not all(isinstance(n, int) and n >= 0 for n in tables.values()):
        raise _damaged(path, "the manifest's row counts are missing or not numbers")
    if not isinstance(files, list) or not all(isinstance(f, str) and _safe(f) for f in files) \
            or len(set(files)) != len(files):
        raise _damaged(path, "the manifest's file list is missing or names a file outside the data directory")
    folders = {f.rsplit("/", 1)[0] for f in files if "/" in f}
    folders |= {f.rsplit("/", n)[0] for f in folders for n in range(1, f.count("/") + 1)}
    if folders & set(files):
        raise _damaged(path, f"the manifest lists {sorted(folders & set(files))[0]} as a file and as a folder")
    if not isinstance(manifest.get("base_url"), str) or not manifest["base_url"]:
        raise _damaged(path, "the manifest says no LEADS_BASE_URL (the issuers' did:web identities follow it)")
    if manifest["version"] >= 2:
        sums = manifest.get("sha256")
        if not isinstance(sums, dict) or set(sums) != _members(manifest) or \
                not all(isinstance(v, str) and len(v) == 64 for v in sums.values()):
            raise _damaged(path, "the manifest's SHA-256 list does not match its tables and files")


def _safe(name: str) -> bool:
    """A relative path below the data directory: not absolute, no ``..``, ``.`` or empty part, no backslash."""
    return all(part not in ("", ".", "..") for part in name.split("/")) and "\\" not in name


def _members(manifest: dict[str, Any]) -> set[str]:
    """The archive's members besides ``manifest.json``, as the manifest lists them."""
    return {f"db/{t}.jsonl" for t in manifest["tables"]} | {f"data/{f}" for f in manifest["files"]}


def _check_members(archive: Path, tar: tarfile.TarFile, manifest: dict[str, Any]) -> dict[str, tarfile.TarInfo]:
    """Every member, checked against the manifest before anything is written: each one listed (an unlisted member
    overwrote a file of the installation), a plain file, none missing, none twice."""
    wanted, found = _members(manifest), {}
    for info in tar.getmembers():
        if info.name == "manifest.json":
            continue
        if info.name not in wanted:
            raise _damaged(archive, f"it holds {info.name}, which its manifest does not list")
        if not info.isfile() or info.name in found:
            raise _damaged(archive, f"{info.name} is not one plain file")
        found[info.name] = info
    missing = sorted(wanted - set(found))
    if missing:
        raise _damaged(archive, f"the manifest lists {', '.join(missing[:5])}, which it does not hold")
    return found


def _clashes(data_dir: Path, files: list[str]) -> list[str]:
    """The listed files the restore cannot put in place: one is there already, or a folder on its way is a file."""
    out = []
    for name in files:
        target = data_dir.joinpath(*name.split("/"))
        folders = [p for p in target.parents if p.is_relative_to(data_dir) and p != data_dir]
        if target.exists() or target.is_symlink() or any(p.exists() and not p.is_dir() for p in folders):
            out.append(name)
    return out


@contextmanager
def _reading(archive: Path) -> Iterator[None]:
    """A cut or corrupt copy read as one: a BackupError that says so, not gzip's or tarfile's traceback."""
    try:
        yield
    except UNREADABLE as exc:
        raise _damaged(archive, f"it is cut short or corrupt ({exc.__class__.__name__}: {exc})") from None


def restore(settings: Settings, db: Database, archive: Path, *, progress: Progress | None = None) -> dict[str, Any]:
    """Restore ``archive`` into this (empty) installation; the manifest, for the record. Every member is checked
    against the manifest (listed, SHA-256, row counts) before the rows are committed; the files are unpacked into
    a folder of their own and moved in only after the commit, so a restore that fails keeps nothing (left behind,
    they refused the next try)."""
    manifest = read_manifest(archive)
    heads = sorted(migration_heads())
    if manifest["heads"] != heads:
        raise BackupError(f"the backup was made by another LEADS version (migrations {manifest['heads']}; this one "
                          f"has {heads}): restore it with that version, then upgrade", code="backup_version")
    if manifest["base_url"] != settings.base_url:
        raise BackupError(f"the backup's LEADS_BASE_URL is {manifest['base_url']} and this installation's is "
                          f"{settings.base_url}: the issuers' did:web identities follow it, so credentials issued "
                          "before would not resolve; set LEADS_BASE_URL to the old value", code="backup_base_url")
    tables = _tables()
    unknown = sorted((set(manifest["tables"]) - set(SIGN_INS)) ^ {t.name for t in tables})  # older: sign-ins in
    if unknown:
        raise _damaged(archive, f"its tables differ from this version's: {', '.join(unknown[:5])}")
    if not up_to_date(db):
        upgrade(db)
    with db.session() as session:
        busy = [t.name for t in tables if session.scalar(select(func.count()).select_from(t))]
    if busy:
        raise BackupError(f"restore goes into an empty installation; these tables hold rows: {', '.join(busy)} "
                          "(create a new database, or start LEADS with LEADS_LOAD_SAMPLE=false)",
                          code="restore_not_empty")
    clashes = _clashes(settings.data_dir, manifest["files"])
    if clashes:
        raise BackupError(f"restore would overwrite files in {settings.data_dir}: {', '.join(clashes[:5])}",
                          code="restore_not_empty")
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = Path(tempfile.mkdtemp(prefix=STAGING, dir=settings.data_dir))
    done, total = 0, sum(manifest["tables"][t.name] for t in tables)
    try:
        with _reading(archive), tarfile.open(archive, "r:gz") as tar:
            members = _check_members(archive, tar, manifest)
            with db.engine.begin() as conn:
                for table in tables:
                    done = _insert_rows(archive, tar, members, manifest, conn, table, done, progress)
                if db.engine.dialect.name == "postgresql":
                    _move_sequences(conn, tables)
                _unpack(archive, tar, members, manifest, staging)
        for relative in manifest["files"]:  # committed: the files go in (renames within one file system)
            target = settings.data_dir.joinpath(*relative.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.replace(staging.joinpath(*relative.split("/")), target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if progress is not None:
        progress(total, total)
    return manifest


def _insert_rows(archive: Path, tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo], manifest: dict[str, Any],
                 conn: Connection, table: Table, done: int, progress: Progress | None) -> int:
    """Insert the rows of ``db/<table>.jsonl`` (in the caller's transaction), then check their SHA-256 and count."""
    name = f"db/{table.name}.jsonl"
    member = tar.extractfile(members[name])
    assert member is not None
    decoders = {c.name: _decoder(c) for c in table.columns}
    total = sum(n for t, n in manifest["tables"].items() if t not in SIGN_INS)
    batch: list[dict[str, Any]] = []
    rows, sha = 0, hashlib.sha256()
    for number, line in enumerate(member, 1):
        sha.update(line)
        try:
            raw = json.loads(line)
            batch.append({k: decoders[k](v) for k, v in raw.items() if k in decoders})
        except (ValueError, TypeError, AttributeError) as exc:
            raise _damaged(archive, f"line {number} of {name} is not a row of {table.name} "
                                    f"({exc.__class__.__name__}: {exc})") from None
        if len(batch) >= BATCH:
            _insert(archive, conn, table, batch)
            rows, done, batch = rows + len(batch), done + len(batch), []
            if progress is not None:
                progress(done, total)
    if batch:
        _insert(archive, conn, table, batch)
        rows, done = rows + len(batch), done + len(batch)
    sums: dict[str, str] = manifest.get("sha256") or {}
    if name in sums and sha.hexdigest() != sums[name]:
        raise _damaged(archive, f"the SHA-256 of {name} is not the manifest's")
    if rows != manifest["tables"][table.name]:
        raise _damaged(archive, f"it holds {rows} rows of {table.name}, not {manifest['tables'][table.name]} as its "
                                "manifest says")
    return done


def _insert(archive: Path, conn: Connection, table: Table, batch: list[dict[str, Any]]) -> None:
    try:
        conn.execute(table.insert(), batch)
    except StatementError as exc:
        if outage(exc):
            raise  # the database went away: not the archive's fault
        raise _damaged(archive, f"the database refuses rows of {table.name} "
                                f"({str(getattr(exc, 'orig', None) or exc).splitlines()[0]})") from None


def _move_sequences(conn: Connection, tables: list[Any]) -> None:
    """PostgreSQL serial ids: the next one after the restored rows."""
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, Integer) and pk[0].autoincrement in (True, "auto"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                              f"COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"))


def _unpack(archive: Path, tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo], manifest: dict[str, Any],
            staging: Path) -> None:
    """The listed files into ``staging`` (mode 0600), each checked against its SHA-256."""
    sums: dict[str, str] = manifest.get("sha256") or {}
    for relative in manifest["files"]:
        name = f"data/{relative}"
        source = tar.extractfile(members[name])
        assert source is not None
        target = staging.joinpath(*relative.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        sha = hashlib.sha256()
        with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            while chunk := source.read(CHUNK):
                sha.update(chunk)
                out.write(chunk)
        if name in sums and sha.hexdigest() != sums[name]:
            raise _damaged(archive, f"the SHA-256 of {name} is not the manifest's")
