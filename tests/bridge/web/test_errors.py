"""A database connection lost while in use (a restart, a failover) is a 503 with Retry-After, never a 500, and the
next request is served: the pool was renewed meanwhile."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from bridge.app import create_app
from bridge.credentials.service import CredentialService, IssueInput
from bridge.dataspace import service as dataspace_service
from bridge.db import Database, make_database, upgrade
from bridge.settings import Settings
from tests.conftest import _postgres_database


@pytest.fixture
def own_postgres() -> Iterator[str]:
    """A database of its own: the test ends every connection to it, which must not reach other tests' pools."""
    yield from _postgres_database()


@pytest.fixture
def served(settings: Settings, own_postgres: str) -> Iterator[tuple[TestClient, Database, str]]:
    db = make_database(own_postgres)
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
        ended = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    admin.engine.dispose()
    assert ended


@pytest.mark.postgres
@pytest.mark.parametrize(("lang", "words"), [("en", "lost its connection to its database"),
                                             ("es", "perdió por un momento la conexión")])
def test_a_lost_database_connection_is_a_503_then_the_next_request_is_served(
    served: tuple[TestClient, Database, str], own_postgres: str, lang: str, words: str,
) -> None:
    client, db, credential_id = served
    page = f"/credentials/{credential_id}/certificate?lang={lang}"
    assert client.get(page).status_code == 200
    _end_every_connection(db, own_postgres)
    lost = client.get(page)
    assert lost.status_code == 503, lost.text[:300]
    assert lost.headers["retry-after"] == "5"
    assert words in lost.text and "OperationalError" not in lost.text and "psycopg" not in lost.text
    assert ("LEADS is briefly unavailable" if lang == "en" else "LEADS no está disponible por un momento") in lost.text
    assert client.get(page).status_code == 200
    _end_every_connection(db, own_postgres)
    api = client.get(page, headers={"Accept": "application/json"})  # a program gets the code
    assert api.status_code == 503 and api.json()["error"] == "database_unavailable"
