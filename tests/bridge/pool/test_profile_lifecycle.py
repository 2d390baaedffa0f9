"""A pool profile ends: its owner deletes it (token, or the wiki account it proved) and everything published on it
goes; one left with nothing published is deleted after ``LEADS_POOL_KEEP_EMPTY_DAYS``, and its page says when."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select, text, update

from bridge.app import create_app
from bridge.dataspace import service as dataspace_service
from bridge.db import Database, make_database
from bridge.db.engine import alembic_config
from bridge.pool import retention, service
from bridge.pool.tables import CapxLink, PoolCompetence, PoolEntry, PoolProfile
from bridge.settings import Settings
from tests.bridge.pool.fakes import FakeWikiOAuth, WikiAccount, serve
from tests.bridge.pool.holding import Holder
from tests.bridge.pool.identity import sign_in, start_login
from tests.bridge.pool.test_pool import client, issue, profile

__all__ = ["client"]
JSON = {"Accept": "application/json"}
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
KEEP = timedelta(days=30)


def _count(db: Database, table: type) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _publish(client: TestClient, handle: str, name: str) -> dict[str, str]:
    key = Holder()
    issued = issue(client, name, holder=key)
    auth = profile(client, handle, name)
    published = client.post(f"/api/pool/profiles/{handle}/credentials",
                            json={"presentation": key.present(client, issued["credential"])}, headers=auth)
    assert published.status_code == 201, published.text
    return auth


def _emptied_at(db: Database, handle: str) -> datetime | None:
    with db.session() as session:
        return session.scalar(select(PoolProfile.emptied_at).where(PoolProfile.handle == handle))


def test_the_owner_deletes_the_profile_and_all_it_holds(client: TestClient) -> None:
    db: Database = client.app.state.db  # type: ignore[attr-defined]
    auth = _publish(client, "cat", "Cat")
    _publish(client, "bea", "Bea")
    with db.session() as session:
        cat_id = session.scalar(select(PoolProfile.id).where(PoolProfile.handle == "cat"))
        assert cat_id is not None
        session.add(CapxLink(profile_id=cat_id, capx_url="https://capx.example", capx_user_id=7, added_known={},
                             added_available={}, declined={}))
    assert (_count(db, PoolProfile), _count(db, PoolEntry), _count(db, CapxLink)) == (2, 2, 1)

    wrong = client.delete("/api/pool/profiles/cat", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 403 and wrong.json()["error"] == "forbidden"
    assert client.delete("/api/pool/profiles/nobody", headers=auth).status_code == 404
    assert (_count(db, PoolProfile), _count(db, PoolEntry), _count(db, CapxLink)) == (2, 2, 1)  # nothing lost

    assert client.delete("/api/pool/profiles/cat", headers=auth).status_code == 204
    assert client.get("/pool/people/cat", headers=JSON).status_code == 404
    assert (_count(db, PoolProfile), _count(db, PoolEntry), _count(db, CapxLink)) == (1, 1, 0)
    assert _count(db, PoolCompetence) == 1  # Bea's stays
    assert client.get("/pool", params={"competence": "glam-copyright-assessment"},
                      headers=JSON).json()["total"] == 1
    profile(client, "cat", "Someone else")  # the handle is free again


def test_the_delete_form_asks_for_the_token_and_a_confirmation(client: TestClient) -> None:
    db: Database = client.app.state.db  # type: ignore[attr-defined]
    auth = _publish(client, "cat", "Cat")
    token = auth["Authorization"].removeprefix("Bearer ")
    page = client.get("/pool/people/cat")
    assert 'action="/pool/people/cat/delete"' in page.text and "Delete this profile" in page.text

    assert client.post("/pool/people/cat/delete", data={"token": "nope"}).status_code == 403  # the token first
    unconfirmed = client.post("/pool/people/cat/delete", data={"token": token})
    assert unconfirmed.status_code == 400 and "Tick the box to confirm" in unconfirmed.text
    wrong = client.post("/pool/people/cat/delete?lang=es", data={"token": "nope", "confirm": "yes"})
    assert wrong.status_code == 403 and "El token de gestión no corresponde a este perfil" in wrong.text
    assert "<details id=\"delete\" open>" in wrong.text
    assert _count(db, PoolProfile) == 1 and _count(db, PoolEntry) == 1
    client.cookies.clear()

    done = client.post("/pool/people/cat/delete?lang=es", data={"token": token, "confirm": "yes"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/pool?lang=es&done=deleted"
    assert "Su perfil se ha eliminado" in client.get(done.headers["location"]).text
    assert _count(db, PoolProfile) == 0 and _count(db, PoolEntry) == 0


def test_an_empty_profile_says_when_it_goes_and_publishing_keeps_it(client: TestClient) -> None:
    db: Database = client.app.state.db  # type: ignore[attr-defined]
    form = client.get("/pool/profiles/new")
    assert "deleted 30 days after it was opened" in form.text
    profile(client, "dan", "Dan")
    opened = _emptied_at(db, "dan")
    assert opened is not None
    view = service.profile_view(db, "dan", KEEP)  # what the owner's own views show
    assert datetime.fromisoformat(view["delete_after"]) - opened.replace(tzinfo=opened.tzinfo or UTC) == KEEP
    page = client.get("/pool/people/dan?lang=es")  # anyone's view: that it goes, not when (see the next test)
    assert "se elimina pasado un tiempo" in page.text
    assert client.get("/pool/people/dan", headers=JSON).json()["delete_after"] is None

    _publish(client, "cat", "Cat")
    assert _emptied_at(db, "cat") is None  # the publish cleared it
    assert client.get("/pool/people/cat", headers=JSON).json()["delete_after"] is None
    assert "can be deleted from" not in client.get("/pool/people/cat").text


def _entry(session: object, profile_id: int, n: int) -> PoolEntry:
    return PoolEntry(profile_id=profile_id, fingerprint=f"{n:064d}", credential={"n": n}, issuer="did:example:x",
                     title=f"credential {n}", verified_at=NOW)


def test_tidy_deletes_only_profiles_empty_for_longer_than_kept(db: Database) -> None:
    with db.session() as session:
        rows = {h: PoolProfile(handle=h, display_name=h, languages=[], token_hash="x", emptied_at=at) for h, at in (
            ("never-used", NOW - KEEP - timedelta(hours=1)),
            ("just-opened", NOW - timedelta(days=2)),
            ("in-use", NOW - KEEP - timedelta(days=5)),  # an old mark on a profile that now holds something
            ("just-emptied", None),  # its last entry left since the last tidy: nobody marked it yet
            ("in-use-unmarked", None),
        )}
        session.add_all(rows.values())
        session.flush()
        session.add_all([_entry(session, rows["in-use"].id, 1), _entry(session, rows["in-use-unmarked"].id, 2)])
        session.execute(update(PoolProfile).where(PoolProfile.handle.in_(["just-emptied", "in-use-unmarked"]))
                        .values(emptied_at=None))  # the ORM would take the column's default for None

    kept_for_ever = retention.tidy(db, NOW, None)  # LEADS_POOL_KEEP_EMPTY_DAYS=0: marks, deletes nothing
    assert (kept_for_ever.marked, kept_for_ever.deleted) == (1, 0)
    assert _count(db, PoolProfile) == 5

    tidied = retention.tidy(db, NOW, KEEP)
    assert (tidied.marked, tidied.deleted) == (0, 1)
    with db.session() as session:
        left = {h: at for h, at in session.execute(select(PoolProfile.handle, PoolProfile.emptied_at))}
    assert sorted(left) == ["in-use", "in-use-unmarked", "just-emptied", "just-opened"]
    assert left["in-use"] is None and left["in-use-unmarked"] is None
    assert left["just-emptied"] is not None
    assert retention.tidy(db, NOW + KEEP + timedelta(minutes=1), KEEP).deleted == 2  # just-opened, just-emptied
    assert _count(db, PoolEntry) == 2


def test_a_publish_at_the_moment_of_expiry_keeps_the_profile(db: Database) -> None:
    """A publish clears the mark under the profile's row lock (PostgreSQL) or the write lock (SQLite): an expiry
    running meanwhile waits, then finds the profile in use and leaves it."""
    with db.session() as session:
        session.add(PoolProfile(handle="late", display_name="Late", languages=[], token_hash="x",
                                emptied_at=NOW - KEEP - timedelta(days=1)))
    outcome: list[retention.Tidied] = []
    with db.session() as publishing:  # what _publish does: clear the mark, then add the entry
        late = publishing.scalars(select(PoolProfile).where(PoolProfile.handle == "late")).one()
        late.emptied_at = None
        publishing.flush()
        publishing.add(_entry(publishing, late.id, 1))
        publishing.flush()
        expiry = threading.Thread(target=lambda: outcome.append(retention.tidy(db, NOW, KEEP)))
        expiry.start()
        expiry.join(1.0)
        assert expiry.is_alive()  # waiting for the publish to end
    expiry.join(30)
    assert outcome and outcome[0].deleted == 0
    assert _count(db, PoolProfile) == 1 and _count(db, PoolEntry) == 1


def test_the_scheduled_recheck_tidies_the_pool(db: Database, settings: Settings) -> None:
    from bridge.scheduling.jobs import pool_recheck

    with db.session() as session:
        session.add(PoolProfile(handle="old", display_name="Old", languages=[], token_hash="x",
                                emptied_at=datetime.now(UTC) - timedelta(days=31)))
    summary = pool_recheck(db, settings)
    assert summary.endswith("1 empty profiles deleted, 0 newly empty"), summary
    assert _count(db, PoolProfile) == 0


CAT = WikiAccount("CatGLAM", 4711)


@pytest.fixture
def wiki_client(settings: Settings, db: Database) -> Iterator[tuple[TestClient, FakeWikiOAuth]]:
    fake = FakeWikiOAuth()
    with serve(fake) as url:
        configured = settings.model_copy(update={"wiki_oauth_rest_url": f"{url}/w/rest.php",
                                                 "wiki_oauth_client_id": fake.client_id,
                                                 "wiki_oauth_client_secret": SecretStr(fake.client_secret)})
        dataspace_service.load_sample_if_empty(db)
        with TestClient(create_app(configured, db)) as test_client:
            yield test_client, fake


def test_the_wiki_account_deletes_its_profile_without_the_token(
        wiki_client: tuple[TestClient, FakeWikiOAuth]) -> None:
    client, fake = wiki_client
    auth = profile(client, "cat", "Cat")
    profile(client, "eve", "Eve")
    assert sign_in(client, fake, start_login(client, "cat", auth), CAT).status_code == 303
    mine = client.get("/pool/mine")
    assert 'action="/pool/mine/cat/delete"' in mine.text
    csrf = mine.text.split('name="csrf" value="')[1].split('"')[0]

    assert client.post("/pool/mine/eve/delete", data={"csrf": csrf, "confirm": "yes"}).status_code == 403
    assert client.post("/pool/mine/cat/delete", data={"csrf": "stale", "confirm": "yes"}).status_code == 403
    assert client.post("/pool/mine/cat/delete", data={"csrf": csrf}).status_code == 400
    assert client.get("/pool/people/cat", headers=JSON).status_code == 200
    done = client.post("/pool/mine/cat/delete", data={"csrf": csrf, "confirm": "yes"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/pool/mine?done=deleted"
    assert "Your profile is deleted" in client.get("/pool/mine?done=deleted").text
    assert client.get("/pool/people/cat", headers=JSON).status_code == 404
    assert client.get("/pool/people/eve", headers=JSON).status_code == 200


def test_the_migration_counts_empty_profiles_from_the_upgrade(tmp_path: Path) -> None:
    from alembic import command

    database = make_database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    config = alembic_config(database.engine)
    command.upgrade(config, "heads")
    command.downgrade(config, "0810_pool_search_order")  # every table as it stands, before this revision
    with database.engine.begin() as conn:
        for handle in ("empty", "full"):
            conn.execute(text("INSERT INTO pool_profiles (handle, display_name, languages, token_hash, created_at) "
                              "VALUES (:h, :h, '[]', 'x', '2020-01-01')"), {"h": handle})
        conn.execute(text("INSERT INTO pool_entries (profile_id, fingerprint, credential, issuer, title, "
                          "verified_at, issuer_name, state, failures, published_at) SELECT id, 'f', '{}', 'i', 't', "
                          "'2020-01-01', '', 'verified', 0, '2020-01-01' FROM pool_profiles WHERE handle = 'full'"))
    before = datetime.now(UTC)
    command.upgrade(config, "heads")
    with database.engine.connect() as conn:
        marks = {h: at for h, at in conn.execute(text("SELECT handle, emptied_at FROM pool_profiles"))}
    database.engine.dispose()
    assert marks["full"] is None
    assert datetime.fromisoformat(str(marks["empty"])).replace(tzinfo=UTC) >= before - timedelta(seconds=1)
    tidied = retention.tidy(make_database(f"sqlite:///{tmp_path / 'old.sqlite3'}"), datetime.now(UTC), KEEP)
    assert tidied.deleted == 0  # a profile opened years ago is not deleted at the upgrade



def test_an_administrator_deletes_a_profile_from_the_command_line(cli_home: Path) -> None:
    from typer.testing import CliRunner

    from bridge.cli import app
    from bridge.cli.common import database

    runner = CliRunner()
    assert runner.invoke(app, ["pool", "profile", "mallory", "--name", "Mallory"]).exit_code == 0
    db = database()
    with db.session() as session:
        profile_id = session.scalar(select(PoolProfile.id).where(PoolProfile.handle == "mallory"))
        assert profile_id is not None
        session.add(_entry(session, profile_id, 1))
    unconfirmed = runner.invoke(app, ["pool", "delete", "mallory"])
    assert unconfirmed.exit_code == 2 and "run again with --yes" in unconfirmed.output
    assert _count(db, PoolProfile) == 1
    missing = runner.invoke(app, ["pool", "delete", "nobody", "--yes"])
    assert missing.exit_code != 0 and "no pool profile 'nobody'" in missing.output
    done = runner.invoke(app, ["pool", "delete", "mallory", "--yes"])
    assert done.exit_code == 0, done.output
    assert "profile mallory deleted, with 1 published credential" in done.output
    assert _count(db, PoolProfile) == 0 and _count(db, PoolEntry) == 0
