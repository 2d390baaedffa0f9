"""Readiness tests the database and the award worker's heartbeat; liveness only that the process answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from bridge.awards.tables import WorkerHeartbeat
from bridge.awards.worker import Worker
from bridge.db import Database
from bridge.ops.endpoints import readiness
from bridge.settings import Settings
from tests.bridge.awards import fakes
from tests.bridge.credentials.conftest import _client


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    yield from _client(settings, db)


def test_not_ready_without_a_worker_then_ready_once_one_beats(client: TestClient, db: Database) -> None:
    assert client.get("/livez").json() == {"status": "alive"}
    first = client.get("/readyz")
    assert first.status_code == 503
    assert first.json()["checks"] == {"database": "ok", "worker": "failed: no award worker has ever beaten"}
    worker = Worker(db, fakes.table_issuer(db))
    worker.run_once()  # one pass (here with nothing to do) beats
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    with db.session() as session:  # the worker stopped ten minutes ago
        session.execute(update(WorkerHeartbeat).values(seen_at=datetime.now(UTC) - timedelta(minutes=10)))
    stale = client.get("/readyz")
    assert stale.status_code == 503 and stale.json()["checks"]["worker"].startswith("failed: the last heartbeat")


def test_a_web_only_node_can_skip_the_worker_check(db: Database) -> None:
    ok, body = readiness(db, max_age=0)
    assert ok and body["checks"] == {"database": "ok", "worker": "not checked"}


def test_a_database_that_does_not_answer_is_not_ready(tmp_path: object) -> None:
    from bridge.db import make_database

    broken = make_database("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    ok, body = readiness(broken, max_age=0)
    assert not ok and body["checks"]["database"].startswith("failed: ") and "127.0.0.1" not in str(body)
