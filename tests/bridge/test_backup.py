"""Backup and restore (decision 026): an installation with credentials, a revoked one, rotated keys and a
queued award is backed up, restored into an EMPTY installation (new database, new data directory), and there the
old credentials verify, their status lists are served, and the award queue resumes."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from bridge.app import create_app
from bridge.awards import service as awards
from bridge.awards.credential_adapters import CredentialsServiceIssuer
from bridge.awards.service import GradeInput
from bridge.awards.tables import Award, Job
from bridge.awards.worker import Worker
from bridge.backup import BackupError, backup, read_manifest, restore
from bridge.credentials.service import CredentialService
from bridge.credentials.tables import IssuedCredentialRow
from bridge.dataspace import service as dataspace
from bridge.db import Database, make_database, upgrade
from bridge.settings import Settings
from tests.conftest import _postgres_database

ADMIN = {"Authorization": "Bearer change-me-dev-only"}
STACK = "glam-archive-to-commons-certificate"


@pytest.fixture
def empty_db(db: Database, tmp_path: Path) -> Iterator[Database]:
    """A second, empty database of the same back-end as ``db`` (the new machine)."""
    if db.engine.dialect.name == "postgresql":
        for url in _postgres_database():
            target = make_database(url)
            yield target
            target.engine.dispose()
        return
    target = make_database(f"sqlite:///{tmp_path / 'new' / 'leads.sqlite3'}")
    yield target
    target.engine.dispose()


def _issue(client: TestClient, name: str) -> dict[str, object]:
    response = client.post("/api/credentials", headers=ADMIN, json={
        "design": "glam-mc-rights", "learner": {"name": name}, "format": "ob3"})
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()
    return data


def test_restore_into_an_empty_installation_verifies_serves_and_resumes(
        db: Database, empty_db: Database, tmp_path: Path) -> None:
    old_settings = Settings(data_dir=tmp_path / "old", base_url="http://testserver", load_sample=False)
    new_settings = Settings(data_dir=tmp_path / "new", base_url="http://testserver", load_sample=False)
    dataspace.store(db, dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET))
    with TestClient(create_app(old_settings, db)) as client:
        kept = _issue(client, "Ada Lovelace")
        assert client.post("/api/admin/issuers/leads/keys/rotate", headers=ADMIN).status_code == 200
        revoked = _issue(client, "Grace Hopper")
        assert client.post(f"/api/credentials/{revoked['id']}/revoke", headers=ADMIN,
                           json={"reason": "issued by mistake"}).status_code == 200
    with db.session() as session:  # a passing grade whose credential no worker has issued yet: a queued job
        awards.record(session, awards.load_rules(session), GradeInput(
            source="test", learner="moodle:42", learner_name="Katherine Johnson", design=STACK,
            assessment="glam-as-rights-quiz", score=10, maximum=10))
        queued = session.scalars(select(Job).where(Job.state == "queued")).all()
        assert [j.kind for j in queued] == ["issue"]
        award_id = queued[0].award_id

    for kept_out in ("cache/certificates/ab/ab12.pdf", "logs/leads.log"):  # drawn again at will; logs
        (old_settings.data_dir / kept_out).parent.mkdir(parents=True, exist_ok=True)
        (old_settings.data_dir / kept_out).write_bytes(b"%PDF-1.7 not needed in a backup")
    (old_settings.data_dir / "cache/trust").mkdir(parents=True, exist_ok=True)
    (old_settings.data_dir / "cache/trust/registry.json").write_text("{}")  # the last good copy: kept

    archive = tmp_path / "leads.tar.gz"
    report = backup(old_settings, db, archive)
    assert report.tables["issued_credentials"] == 2 and report.tables["jobs"] == 1
    assert "cache/trust/registry.json" in report.files
    assert not any(f.startswith(("cache/certificates", "logs")) for f in report.files), report.files
    assert any(f.startswith("keys/leads/") and f.endswith(".pem") for f in report.files)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert "manifest.json" in names and "db/issued_credentials.jsonl" in names
    assert not any(n.endswith(".sqlite3") for n in names)
    assert read_manifest(archive)["tables"]["status_lists"] >= 2

    upgrade(empty_db)
    restore(new_settings, empty_db, archive)
    with pytest.raises(BackupError, match="empty installation"):  # never over an installation in use
        restore(new_settings, empty_db, archive)

    with TestClient(create_app(new_settings, empty_db)) as client:
        for credential, verdict in ((kept["credential"], "verified"), (revoked["credential"], "revoked")):
            assert isinstance(credential, dict)
            result = client.post("/api/verify", json=credential).json()
            assert result["verdict"] == verdict, result
            for entry in credential["credentialStatus"]:
                served = client.get(str(entry["statusListCredential"]).removeprefix("http://testserver"))
                assert served.status_code == 200 and served.json()["type"][-1] == "BitstringStatusListCredential"
        status = next(c for c in client.post("/api/verify", json=revoked["credential"]).json()["checks"]
                      if c["name"] == "status")
        assert "issued by mistake" not in status["message"]  # the typed reason is the admins', never public
        with empty_db.session() as session:  # and it came back with the row
            assert session.get(IssuedCredentialRow, revoked["id"]).revoked_reason == "issued by mistake"
        keys = client.get("/api/admin/issuers/leads/keys", headers=ADMIN).json()["keys"]
        assert [k["active"] for k in keys] == [False, True]

        worker = Worker(empty_db, CredentialsServiceIssuer(CredentialService(empty_db, new_settings)), batch=10)
        assert worker.run(threading.Event(), once=True) == 1  # the queue resumes where it was
        with empty_db.session() as session:
            award = session.get(Award, award_id)
            assert award is not None and award.state == "issued"
            credential_id = str(award.credential_id).removeprefix("urn:uuid:")
        new = client.get(f"/credentials/{credential_id}").json()
        assert client.post("/api/verify", json=new).json()["verdict"] == "verified"
        more = _issue(client, "Ada Lovelace")  # new ids follow the restored ones (PostgreSQL sequences)
        assert more["id"] not in (kept["id"], revoked["id"])
        with empty_db.session() as session:
            awards.record(session, awards.load_rules(session), GradeInput(
                source="test", learner="moodle:43", learner_name="Dorothy Vaughan", design=STACK,
                assessment="glam-as-rights-quiz", score=10, maximum=10))


def test_restore_refuses_another_base_url_and_a_foreign_file(db: Database, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "old", base_url="http://testserver", load_sample=False)
    archive = tmp_path / "b.tar.gz"
    backup(settings, db, archive)
    other = Settings(data_dir=tmp_path / "new", base_url="https://elsewhere.example", load_sample=False)
    with pytest.raises(BackupError, match="LEADS_BASE_URL"):
        restore(other, db, archive)
    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as tar:
        data = json.dumps({"format": "something"}).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(BackupError, match="not a LEADS backup"):
        read_manifest(bogus)


def _rows(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()  # type: ignore[union-attr]
                if m.name.startswith("db/")}


def test_a_backup_is_one_snapshot_while_the_worker_runs(db: Database, tmp_path: Path) -> None:
    """A revocation committed by another connection while the backup reads (after status_lists, before awards and
    jobs) is wholly out of the archive: never the award revoked and its job done with the status bit still clear."""
    settings = Settings(data_dir=tmp_path / "var", base_url="http://testserver", load_sample=False)
    dataspace.store(db, dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET))
    worker = Worker(db, CredentialsServiceIssuer(CredentialService(db, settings)), batch=10)
    with db.session() as session:
        awards.record(session, awards.load_rules(session), GradeInput(
            source="test", learner="moodle:42", learner_name="Katherine Johnson", design=STACK,
            assessment="glam-as-rights-quiz", score=10, maximum=10))
    assert worker.run(threading.Event(), once=True) == 1
    with db.session() as session:
        award_id = session.scalars(select(Award.id)).one()
    before = _rows(backup(settings, db, tmp_path / "before.tar.gz").path)

    fired: list[str] = []

    def revoke_meanwhile(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if fired or "FROM awards" not in statement or "count(" in statement.lower():
            return
        fired.append(statement)
        with db.session() as session:
            awards.revoke(session, award_id, "cheating proven")
        assert worker.run(threading.Event(), once=True) == 1

    event.listen(db.engine, "before_cursor_execute", revoke_meanwhile)
    try:
        during = _rows(backup(settings, db, tmp_path / "during.tar.gz").path)
    finally:
        event.remove(db.engine, "before_cursor_execute", revoke_meanwhile)
    assert fired, "the backup never read the awards table"
    changed = sorted(name for name in before if during.get(name) != before[name])
    assert changed == [], f"half a revocation in the archive: {changed}"
    after = _rows(backup(settings, db, tmp_path / "after.tar.gz").path)
    assert {"db/awards.jsonl", "db/jobs.jsonl", "db/status_lists.jsonl"} <= {
        name for name in before if after[name] != before[name]}  # the revocation did happen, all of it, after


Edit = Callable[[str, bytes], bytes | None]


def _rewrite(source: Path, target: Path, edit: Edit, *, extra: dict[str, bytes] | None = None,
             forge: bool = False) -> Path:
    """A copy of the archive with ``edit(name, bytes)`` applied to each member (None leaves it out) and ``extra``
    members added; ``forge`` also puts the new members' SHA-256 in the manifest (a careful forger)."""
    with tarfile.open(source) as tar:
        members = {m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
                   for m in tar.getmembers() if m.isfile()}
    out = {name: new for name, data in members.items() if (new := edit(name, data)) is not None}
    out.update(extra or {})
    if forge:
        manifest = json.loads(out["manifest.json"])
        manifest["sha256"] = {name: hashlib.sha256(data).hexdigest() for name, data in out.items()
                              if name in manifest.get("sha256", {})}
        out["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(target, "w:gz") as tar:
        for name, data in out.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o600
            tar.addfile(info, io.BytesIO(data))
    return target


def _manifest(edit: Callable[[dict[str, Any]], Any]) -> Edit:
    def apply(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        edit(manifest)
        return json.dumps(manifest).encode()
    return apply


def _without_line(member: str, needle: bytes) -> Edit:
    return lambda name, data: b"".join(line for line in data.splitlines(keepends=True) if needle not in line) \
        if name == member else data


@pytest.fixture
def archive(db: Database, tmp_path: Path) -> Path:
    """The backup of an installation with two credentials, one revoked."""
    settings = Settings(data_dir=tmp_path / "old", base_url="http://testserver", load_sample=False)
    dataspace.store(db, dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET))
    with TestClient(create_app(settings, db)) as client:
        _issue(client, "Ada Lovelace")
        revoked = _issue(client, "Grace Hopper")
        assert client.post(f"/api/credentials/{revoked['id']}/revoke", headers=ADMIN,
                           json={"reason": "fraud"}).status_code == 200
    return backup(settings, db, tmp_path / "good.tar.gz").path


def _rows_in(db: Database) -> int:
    from bridge.db.base import Base

    with db.session() as session:
        return sum(len(session.execute(select(t)).all()) for t in Base.metadata.sorted_tables)


def test_restore_refuses_an_altered_archive_and_stores_nothing(
        archive: Path, empty_db: Database, tmp_path: Path) -> None:
    """A row left out (with or without its checksum forged), a data file changed, a member the manifest does not
    list (it overwrote a file of the installation), a manifest without base URL: refused before anything is kept."""
    upgrade(empty_db)
    new = Settings(data_dir=tmp_path / "new", base_url="http://testserver", load_sample=False)
    operator_file = new.data_dir / "keys" / "leads" / "keys.json"
    version_1 = _manifest(lambda m: (m.update(version=1), m.pop("sha256")))
    def unlist(manifest: dict[str, Any]) -> None:
        manifest["files"].remove("keys/leads/keys.json")
        manifest.get("sha256", {}).pop("data/keys/leads/keys.json", None)

    unlisted = _manifest(unlist)
    cases: dict[str, tuple[Path, str]] = {
        "row left out": (_rewrite(archive, tmp_path / "a.tar.gz", _without_line(
            "db/issued_credentials.jsonl", b"Grace Hopper")), "SHA-256"),
        "row left out, checksum forged": (_rewrite(archive, tmp_path / "b.tar.gz", _without_line(
            "db/issued_credentials.jsonl", b"Grace Hopper"), forge=True), "1 rows of issued_credentials, not 2"),
        "data file changed": (_rewrite(archive, tmp_path / "c.tar.gz", lambda n, d: b'{"active": null, "keys": []}'
                                       if n == "data/keys/leads/keys.json" else d), "SHA-256"),
        "member not listed": (_rewrite(archive, tmp_path / "d.tar.gz", unlisted), "manifest does not list"),
        "no base URL": (_rewrite(archive, tmp_path / "e.tar.gz", _manifest(lambda m: m.pop("base_url"))),
                        "LEADS_BASE_URL"),
        "version 1 (no checksums), row left out": (_rewrite(_rewrite(archive, tmp_path / "f.tar.gz", version_1),
                                                            tmp_path / "g.tar.gz", _without_line(
            "db/issued_credentials.jsonl", b"Grace Hopper")), "1 rows of issued_credentials, not 2"),
    }
    for case, (altered, words) in cases.items():
        if case == "member not listed":  # the installation has a file where the unlisted member would go
            operator_file.parent.mkdir(parents=True, exist_ok=True)
            operator_file.write_bytes(b"EXISTING OPERATOR FILE")
        with pytest.raises(BackupError, match=words):
            restore(new, empty_db, altered)
        assert _rows_in(empty_db) == 0, case
        if case == "member not listed":
            assert operator_file.read_bytes() == b"EXISTING OPERATOR FILE"
            operator_file.unlink()
        assert not [p for p in new.data_dir.rglob("*") if p.is_file() and not p.name.startswith("leads.sqlite3")], case
    restore(new, empty_db, tmp_path / "f.tar.gz")  # the good one restores (as written by version 1 too)
    assert _rows_in(empty_db) > 0


def _first_row(member: str, **values: object) -> Edit:
    def edit(name: str, data: bytes) -> bytes:
        if name != member:
            return data
        first, rest = data.split(b"\n", 1)
        return json.dumps({**json.loads(first), **values}).encode() + b"\n" + rest
    return edit


def test_a_damaged_archive_is_refused_in_words_and_a_failed_restore_keeps_nothing(
        archive: Path, empty_db: Database, tmp_path: Path) -> None:
    """A copy cut short or with flipped bytes, a line that is not JSON, a date that is not one, a row the database
    refuses, a data file damaged after others were unpacked: each a BackupError saying so (never EOFError,
    JSONDecodeError, zlib.error …), no row and no file kept, so the next restore is not refused."""
    upgrade(empty_db)
    new = Settings(data_dir=tmp_path / "new", base_url="http://testserver", load_sample=False)
    raw = archive.read_bytes()
    middle = len(raw) // 2
    (tmp_path / "cut.tar.gz").write_bytes(raw[: len(raw) * 9 // 10])
    (tmp_path / "flipped.tar.gz").write_bytes(raw[:middle] + bytes(b ^ 0x5A for b in raw[middle:middle + 64])
                                              + raw[middle + 64:])
    last_file = read_manifest(archive)["files"][-1]
    damaged = {
        "cut short": tmp_path / "cut.tar.gz",
        "flipped bytes": tmp_path / "flipped.tar.gz",
        "not JSON": _rewrite(archive, tmp_path / "a.tar.gz", lambda n, d: d + b"{not json\n"
                             if n == "db/trusted_issuers.jsonl" else d, forge=True),
        "not a date": _rewrite(archive, tmp_path / "b.tar.gz", _first_row(
            "db/issued_credentials.jsonl", created="yesterday"), forge=True),
        "refused by the database": _rewrite(archive, tmp_path / "c.tar.gz", lambda n, d: d + d.splitlines(
            keepends=True)[0] if n == "db/issued_credentials.jsonl" else d, forge=True),
        "a late data file": _rewrite(archive, tmp_path / "d.tar.gz", lambda n, d: d + b" " if n == f"data/{last_file}"
                                     else d),
    }
    for case, path in damaged.items():
        with pytest.raises(BackupError, match=r"damaged or was altered|cut short or corrupt"):
            restore(new, empty_db, path)
        assert _rows_in(empty_db) == 0, case
        assert not [p for p in new.data_dir.rglob("*") if not p.name.startswith("leads.sqlite3")], case
    restore(new, empty_db, archive)  # the retry into the same place
    assert _rows_in(empty_db) > 0


@pytest.mark.postgres
def test_a_sqlite_backup_restores_into_postgresql_at_the_same_moments(_sqlite_db: Database, tmp_path: Path) -> None:
    """SQLite hands date-times back naive (they are UTC); written so, PostgreSQL read them in its TimeZone and
    every moment moved (by an hour in Madrid). Now they are written, and read, as UTC."""
    from sqlalchemy import text

    from bridge.credentials.tables import IssuedCredentialRow
    from bridge.db.base import aware
    from tests.conftest import POSTGRES_URL, _truncate

    _truncate(_sqlite_db)
    old = Settings(data_dir=tmp_path / "old", base_url="http://testserver", load_sample=False)
    dataspace.store(_sqlite_db, dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET))
    with TestClient(create_app(old, _sqlite_db)) as client:
        issued = _issue(client, "Ada Lovelace")
    with _sqlite_db.session() as session:
        row = session.get(IssuedCredentialRow, issued["id"])
        assert row is not None and row.created.tzinfo is None  # SQLite's naive UTC
        created = aware(row.created)
    archive = backup(old, _sqlite_db, tmp_path / "dev.tar.gz").path
    _truncate(_sqlite_db)
    for url in _postgres_database():
        admin = make_database(POSTGRES_URL)
        with admin.statement() as conn:
            conn.execute(text(f"ALTER DATABASE \"{url.rsplit('/', 1)[1]}\" SET timezone TO 'Europe/Madrid'"))
        admin.engine.dispose()
        target = make_database(url)
        try:
            upgrade(target)
            restore(Settings(data_dir=tmp_path / "new", base_url="http://testserver", load_sample=False), target,
                     archive)
            with target.session() as session:
                assert session.scalar(text("SHOW timezone")) == "Europe/Madrid"
                restored = session.get(IssuedCredentialRow, issued["id"])
                assert restored is not None and restored.created == created, (restored and restored.created, created)
        finally:
            target.engine.dispose()


def test_a_backup_written_into_the_data_directory_leaves_itself_and_other_backups_out(
        db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``leads backup -o`` inside LEADS_DATA_DIR archived the archive being written (its temporary file) and every
    earlier backup: each one larger than the last. Now only the installation's own files go in."""
    settings = Settings(data_dir=tmp_path / "var", base_url="http://testserver", load_sample=False)
    (settings.data_dir / "cache" / "trust").mkdir(parents=True)
    (settings.data_dir / "cache" / "trust" / "registry.json").write_text("{}")
    seen: list[list[str]] = []
    real_add = tarfile.TarFile.addfile

    def addfile(self: tarfile.TarFile, info: tarfile.TarInfo, fileobj: object = None) -> None:
        seen[-1].append(info.name)
        real_add(self, info, fileobj)  # type: ignore[arg-type]

    monkeypatch.setattr(tarfile.TarFile, "addfile", addfile)
    for name in ("backups/one.tar.gz", "backups/two.tar.gz", "backups/one.tar.gz", "three.tgz"):
        seen.append([])
        report = backup(settings, db, settings.data_dir / name)
        assert report.files == ["cache/trust/registry.json"], report.files
        assert [n for n in seen[-1] if n.startswith("data/")] == ["data/cache/trust/registry.json"]
    assert sorted(p.name for p in settings.data_dir.rglob("*.t*gz")) == ["one.tar.gz", "three.tgz", "two.tar.gz"]


def test_live_sign_ins_stay_out_of_backups_and_are_not_restored(db: Database, empty_db: Database, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A backup held every editor session with the editor's wiki bearer token in clear (anyone with the archive
    could edit the wiki as them for hours), and a restore brought the sessions back. Sign-ins are not state: the
    archive leaves them out, and rows of them in an older archive are not restored."""
    from datetime import UTC, datetime, timedelta

    import bridge.backup as backup_module
    from bridge.editor.tables import EditorSession
    from bridge.web.tables import AdminSession

    old = Settings(data_dir=tmp_path / "old", base_url="http://testserver", load_sample=False)
    later = datetime.now(UTC) + timedelta(hours=8)
    with db.session() as session:
        session.add(EditorSession(id_hash="a" * 64, username="Alice", source="wikibase", token="wiki-bearer-secret",
                                  expires_at=later))
        session.add(AdminSession(id_hash="b" * 64, created_at=datetime.now(UTC), expires_at=later))
    out = tmp_path / "b.tar.gz"
    backup(old, db, out)
    with tarfile.open(out) as tar:
        names = tar.getnames()
        everything = b"".join(tar.extractfile(m).read() for m in tar.getmembers() if m.isfile())  # type: ignore[union-attr]
    assert "db/editor_sessions.jsonl" not in names and "db/admin_sessions.jsonl" not in names
    assert b"wiki-bearer-secret" not in everything and b"a" * 64 not in everything
    assert "editor_sessions" not in read_manifest(out)["tables"]

    monkeypatch.setattr(backup_module, "SIGN_INS", ())  # an archive from before: sessions in it
    older = tmp_path / "older.tar.gz"
    backup(old, db, older)
    monkeypatch.undo()
    assert read_manifest(older)["tables"]["editor_sessions"] == 1
    restore(Settings(data_dir=tmp_path / "new", base_url="http://testserver", load_sample=False), empty_db, older)
    with empty_db.session() as session:
        assert session.scalars(select(EditorSession)).all() == []
        assert session.scalars(select(AdminSession)).all() == []
