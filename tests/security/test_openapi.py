"""The OpenAPI document against the running application: schemathesis (its Python API on the ASGI app, bounded
to a few examples per operation) with every response check, plus the cases the attack report named.

Every check schemathesis has runs on every response: no server error, no status code or content type the document
does not list, responses matching their schemas and headers, the Allow header of a 405, authentication honoured,
invalid data refused. One check is left out, ``positive_data_acceptance``: it asks that every request the schema
allows be accepted, i.e. that the schema states every rule the domain checks (design keys, handles, LTI
parameters); those answer documented 4xx with the reason instead, which the other checks verify.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis import engine
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status
from schemathesis.engine.events import EngineFinished, FatalError, NonFatalError, ScenarioFinished

from bridge.app import create_app
from bridge.dataspace import service as dataspace_service
from bridge.db import Database
from bridge.settings import Settings
from bridge.web import admin

EXAMPLES = 4  # per operation and phase: the whole run stays within a few minutes on a loaded machine
LEFT_OUT = {"positive_data_acceptance"}
ADMIN = {"Authorization": "Bearer change-me-dev-only"}


def engine_config() -> SchemathesisConfig:
    """Every check but one (see the module docstring); the examples, coverage and fuzzing phases, bounded."""
    load_all_checks()
    names = set(CHECKS.get_all_names())
    assert {"not_a_server_error", "status_code_conformance", "content_type_conformance",
            "response_schema_conformance", "negative_data_rejection", "ignored_auth"} <= names, names
    checks: dict[str, Any] = {name: {"enabled": name not in LEFT_OUT} for name in sorted(names)}
    return SchemathesisConfig.from_dict({
        "headers": ADMIN,  # admin routes are exercised past their door; ignored_auth still tries without it
        "workers": 1,
        "checks": checks,
        "generation": {"max-examples": EXAMPLES},
        "phases": {"stateful": {"enabled": False}},
    })


@pytest.fixture
def app(settings: Settings, _sqlite_db: Database) -> Iterator[FastAPI]:
    dataspace_service.load_sample_if_empty(_sqlite_db)
    application = create_app(settings, _sqlite_db)
    # wrong tokens by the thousand are the point of the run; the limit itself is tested in test_admin.py
    application.state.admin_limiter = admin.FailureLimiter(limit=10**9)
    yield application


def test_every_operation_answers_what_the_document_says(app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=engine_config())
    failures: list[str] = []
    operations: set[str] = set()
    checked = 0
    finished = None
    for event in engine.from_schema(schema).execute():
        if isinstance(event, ScenarioFinished):
            operations.add(event.recorder.label)
            for checks in event.recorder.checks.values():
                for check in checks:
                    checked += 1
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        failures.append(f"{event.recorder.label}: {check.name}: {failure.title}\n"
                                        f"{failure.message}\n{check.failure_info.code_sample}")
        elif isinstance(event, NonFatalError | FatalError):
            failures.append(f"error: {event}")
        elif isinstance(event, EngineFinished):
            finished = event
    assert finished is not None and finished.stop_reason.value == "completed"
    assert len(operations) >= 60, sorted(operations)
    assert checked >= 50 * len(operations), checked  # every operation got many cases, each through every check
    unique = sorted(set(failures))
    assert not unique, f"{len(unique)} failures:\n\n" + "\n\n".join(unique)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.mark.parametrize("body", [b"\x00", b"true", b"42", b"null", b"[]", b"\x07\x00\x01", b"not a jwt"])
def test_verify_refuses_what_is_neither_a_credential_nor_a_jwt(client: TestClient, body: bytes) -> None:
    for content_type in ("application/json", "text/plain"):
        response = client.post("/api/verify", content=body, headers={"Content-Type": content_type})
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"] in ("invalid_body", "empty_body")


def test_every_operation_documents_the_error_answers(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert {"400", "404", "413", "422", "429"} <= codes, (method, path, codes)
            if not path.startswith("/api/"):
                assert "text/html" in operation["responses"]["404"]["content"], (method, path)
