"""The app factory: migrations at start, the sample loaded once, /healthz, OpenAPI at /docs, errors as 4xx."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import inspect

from bridge.app import create_app, prepare
from bridge.dataspace.repository import EntityRepository
from bridge.settings import Settings


def test_first_start_migrates_and_loads_the_sample_once(settings: Settings) -> None:
    settings.load_sample = True
    db = prepare(settings)
    tables = set(inspect(db.engine).get_table_names())
    assert {"entities", "alembic_version", "issued_credentials", "pool_entries"} <= tables
    with db.session() as session:
        first = EntityRepository(session).count()
    assert first == 26
    prepare(settings)  # a second start: nothing new, nothing lost
    with db.session() as session:
        assert EntityRepository(session).count() == first


def test_healthz_docs_and_a_clear_404(settings: Settings) -> None:
    settings.load_sample = True
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/docs").status_code == 200
        assert "/practices" in client.get("/openapi.json").json()["paths"]
        missing = client.get("/practices/no-such-practice", headers={"Accept": "application/json"})
        assert missing.status_code == 404 and missing.json()["error"] == "practice_not_found"
        page = client.get("/practices/no-such-practice", headers={"Accept": "text/html"})
        assert page.status_code == 404 and "no-such-practice" in page.text
