"""An application on the test database with the sample data space and two issuing organisations."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bridge.app import create_app
from bridge.dataspace import service as dataspace_service
from bridge.db import Database
from bridge.settings import Settings
from tests.conftest import _truncate

ADMIN = {"Authorization": "Bearer change-me-dev-only"}
ORGS = [
    {"slug": "leads", "names": {"en": "LEADS"}, "legal_identifier": "LEADS-TEST", "country": "BEL", "root": True},
    {"slug": "wikimedia-es", "names": {"en": "Wikimedia España", "es": "Wikimedia España"},
     "legal_identifier": "ESG00000000", "country": "ESP", "url": "https://www.wikimedia.es"},
]


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    """On both database back-ends (the ``db`` fixture)."""
    yield from _client(settings, db)


@pytest.fixture
def sqlite_client(settings: Settings, _sqlite_db: Database) -> Iterator[TestClient]:
    """On SQLite only: for tests whose subject is not the database (the Node verifier)."""
    _truncate(_sqlite_db)
    yield from _client(settings, _sqlite_db)
    _truncate(_sqlite_db)


def _client(settings: Settings, db: Database) -> Iterator[TestClient]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "issuers.json").write_text(json.dumps(ORGS), encoding="utf-8")
    dataspace_service.load_sample_if_empty(db)
    with TestClient(create_app(settings, db)) as test_client:
        yield test_client


def issue(client: TestClient, fmt: str = "ob3", **extra: object) -> dict[str, object]:
    body = {"design": "glam-mc-rights", "learner": {"name": "Ada Lovelace", "email": "ada@example.org"},
            "format": fmt, "grade": "A", **extra}
    response = client.post("/api/credentials", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()
    return data
