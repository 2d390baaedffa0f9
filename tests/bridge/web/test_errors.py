"""The database failures of a moment are 503s with Retry-After, never 500s, and the next request is served: a
connection lost while in use (a restart, a failover; the pool was renewed meanwhile), a new connection the database
refuses (down, or full), no free connection in the pool within its wait (busy), a transaction the database ended to
break a deadlock."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from bridge.app import create_app
from bridge.credentials.service import CredentialService, IssueInput
from bridge.dataspace import service as dataspace_service
from bridge.db import Database, make_database, upgrade
from bridge.settings import Settings
from tests.conftest import _postgres_database, refuse_connections


@pytest.fixture
def own_postgres() -> Iterator[str]:
    """A database of its own: the test ends every connection to it, which must not reach other tests' pools."""
    yield from _postgres_database()


@pytest.fixture
def served(settings: Settings, own_postgres: str) -> Iterator[tuple[TestClient, Database, str]]:
    # never pinged: the connection is lost while in steady use, which only the request itself can find out. With the
    # usual 2 s, a busy machine's pause between the two requests made the pool ping it, replace it quietly and serve
    # a 200 (tests/bridge/db/test_engine.py covers the idle connection)
    db = make_database(own_postgres, ping_after_idle=3600.0)
    upgrade(db)
    dataspace_service.load_sample_if_empty(db)
    row = CredentialService(db, settings).issue(IssueInput(design_key="glam-mc-rights", learner_name="Ada Lovelace"))
    with TestClient(create_app(settings, db), raise_server_exceptions=False) as client:
        yield client, db, row.id
    db.engine.dispose()


def _end_every_connection(db: Database, postgres_url: str) -> None:
    """What a database restart does to the pool's connections, while they are still in steady use."""
    admin = make_database(postgres_url)
    with admin.statement() as conn:
        # with a timeout, each call waits until the backend has gone: without one it only sends the signal
        ended = conn.execute(text("SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity "
                                  "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    admin.engine.dispose()
    assert ended


def _unavailable(client: TestClient, page: str, lang: str, words: str, code: str,
                 before: Callable[[], None] = lambda: None) -> None:
    """A 503 with Retry-After twice: the page in the reader's language (no driver's words), the code for a program."""
    before()
    shown = client.get(f"{page}?lang={lang}")
    assert shown.status_code == 503, shown.text[:300]
    assert shown.headers["retry-after"] == "5" and words in shown.text
    assert ("LEADS is briefly unavailable" if lang == "en" else "LEADS no está disponible por un momento") in shown.text
    assert not [w for w in ("OperationalError", "psycopg", "FATAL", "QueuePool") if w in shown.text]
    before()
    api = client.get(page, headers={"Accept": "application/json"})
    assert api.status_code == 503 and api.json()["error"] == code


@pytest.mark.postgres
@pytest.mark.parametrize(("lang", "words"), [("en", "lost its connection to its database"),
                                             ("es", "perdió por un momento la conexión")])
def test_a_lost_database_connection_is_a_503_then_the_next_request_is_served(
    served: tuple[TestClient, Database, str], own_postgres: str, lang: str, words: str,
) -> None:
    client, db, credential_id = served
    page = f"/credentials/{credential_id}/certificate"

    def lose() -> None:  # served (the pool holds a live connection), then every connection ended under it
        assert client.get(page).status_code == 200
        _end_every_connection(db, own_postgres)

    _unavailable(client, page, lang, words, "database_unavailable", before=lose)
    assert client.get(page).status_code == 200


@pytest.mark.postgres
@pytest.mark.parametrize(("lang", "words"), [("en", "cannot reach its database right now"),
                                             ("es", "no puede acceder a su base de datos")])
def test_a_database_that_refuses_new_connections_is_a_503_until_it_accepts_them_again(
    served: tuple[TestClient, Database, str], own_postgres: str, lang: str, words: str,
) -> None:
    client, db, credential_id = served
    page = f"/credentials/{credential_id}/certificate"
    assert client.get(page).status_code == 200
    refuse_connections(own_postgres, True, end_open=False)
    try:
        db.engine.dispose()  # the kept connections are gone: the next request must open one
        _unavailable(client, page, lang, words, "database_unavailable")
    finally:
        refuse_connections(own_postgres, False)
    assert client.get(page).status_code == 200


@pytest.mark.postgres
@pytest.mark.parametrize(("lang", "words"), [("en", "LEADS is very busy right now"),
                                             ("es", "LEADS está muy ocupado en este momento")])
def test_no_free_connection_within_the_pools_wait_is_a_503_busy(
    settings: Settings, own_postgres: str, lang: str, words: str,
) -> None:
    ready = make_database(own_postgres)
    upgrade(ready)
    dataspace_service.load_sample_if_empty(ready)
    row = CredentialService(ready, settings).issue(IssueInput(design_key="glam-mc-rights", learner_name="Ada Lovelace"))
    ready.engine.dispose()
    db = make_database(own_postgres, pool_size=1, pool_timeout=0.2)
    page = f"/credentials/{row.id}/certificate"
    with TestClient(create_app(settings, db), raise_server_exceptions=False) as client:
        assert client.get(page).status_code == 200
        with db.engine.connect():  # another request holds the pool's only connection
            _unavailable(client, page, lang, words, "database_busy")
        assert client.get(page).status_code == 200
    db.engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize(("lang", "words"), [("en", "LEADS is very busy right now"),
                                             ("es", "LEADS está muy ocupado en este momento")])
def test_a_transaction_the_database_ended_for_a_deadlock_is_a_503_busy(
    served: tuple[TestClient, Database, str], lang: str, words: str,
) -> None:
    """The error comes from PostgreSQL itself, with deadlock_detected's SQLSTATE (a real deadlock classifies the same
    way: tests/bridge/db/test_engine.py); a route of the test's runs it inside a request."""
    client, db, _ = served

    def deadlocked() -> None:
        with db.statement() as conn:
            conn.execute(text("DO $$ BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END $$"))

    client.app.add_api_route("/test-deadlock", deadlocked)  # type: ignore[attr-defined]
    _unavailable(client, "/test-deadlock", lang, words, "database_busy")
