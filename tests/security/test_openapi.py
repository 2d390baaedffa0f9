"""The OpenAPI document against the running application: schemathesis (its Python API on the ASGI app, bounded
to a few examples per operation) with every response check, plus the cases the attack report named.

Every check schemathesis has runs on every response: no server error, no status code or content type the document
does not list, responses matching their schemas and headers, the Allow header of a 405, authentication honoured,
invalid data refused, and valid data accepted (``positive_data_acceptance``). For that last one the schemas state
the rules the domain checks (design keys as an enum of the data space, handle and DID syntax, URIs, non-blank
reasons, level numbers); what a schema cannot state (a login cookie, a signature, a single-use code, a revoked
credential) is documented on the operation as ``x-schema-valid-rejections`` and becomes that operation's
expected statuses here, on top of schemathesis' defaults (which already take 401/403/404/409/429).
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
from schemathesis.config import PositiveDataAcceptanceConfig, SchemathesisConfig
from schemathesis.engine import Status
from schemathesis.engine.events import EngineFinished, FatalError, NonFatalError, ScenarioFinished

from bridge.app import create_app
from bridge.dataspace import service as dataspace_service
from bridge.db import Database
from bridge.settings import Settings
from bridge.web import admin
from tests.bridge.ops.helpers import worker_alive

EXAMPLES = 4  # per operation and phase: the whole run stays within a few minutes on a loaded machine
ADMIN = {"Authorization": "Bearer change-me-dev-only"}


def engine_config(document: dict[str, Any]) -> SchemathesisConfig:
    """Every check (see the module docstring); the examples, coverage and fuzzing phases, bounded."""
    load_all_checks()
    names = set(CHECKS.get_all_names())
    assert {"not_a_server_error", "status_code_conformance", "content_type_conformance",
            "response_schema_conformance", "negative_data_rejection", "ignored_auth"} <= names, names
    checks: dict[str, Any] = {name: {"enabled": True} for name in sorted(names)}
    return SchemathesisConfig.from_dict({
        "headers": ADMIN,  # admin routes are exercised past their door; ignored_auth still tries without it
        "workers": 1,
        "checks": checks,
        "generation": {"max-examples": EXAMPLES},
        "phases": {"stateful": {"enabled": False}},
        "operations": documented_rejections(document),
    })


def documented_rejections(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Per operation, the statuses ``x-schema-valid-rejections`` documents join the check's defaults."""
    defaults = list(PositiveDataAcceptanceConfig().expected_statuses)
    out = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            codes = operation.get("x-schema-valid-rejections")
            if codes:
                assert set(codes) <= set(operation["responses"]), (method, path)  # documented answers too
                out.append({"include-name": f"{method.upper()} {path}",
                            "checks": {"positive_data_acceptance": {"expected-statuses": defaults + sorted(codes)}}})
    return out


@pytest.fixture
def app(settings: Settings, db: Database) -> Iterator[FastAPI]:
    """On each back-end: PostgreSQL refuses what SQLite stores (a NUL character, an integer past its column), and
    such a refusal must be a 4xx, not a 500."""
    dataspace_service.load_sample_if_empty(db)
    worker_alive(db)  # its award worker runs: /readyz answers 200 (its 503 is tested in tests/bridge/ops)
    application = create_app(settings, db)
    # wrong tokens by the thousand are the point of the run; the limit itself is tested in test_admin.py
    application.state.admin_limiter = admin.FailureLimiter(limit=10**9)
    yield application


def test_every_operation_answers_what_the_document_says(app: FastAPI) -> None:
    with TestClient(app) as test_client:
        document = test_client.get("/openapi.json").json()
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=engine_config(document))
    failures: list[str] = []
    operations: set[str] = set()
    checked = 0
    cases = 0
    finished = None
    for event in engine.from_schema(schema).execute():
        if isinstance(event, ScenarioFinished):
            operations.add(event.recorder.label)
            cases += len(event.recorder.cases)
            for checks in event.recorder.checks.values():
                for check in checks:
                    checked += 1
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        failure = check.failure_info.failure
                        status = getattr(failure, "status_code", "")
                        failures.append(f"{event.recorder.label}: {check.name}: {failure.title} {status}\n"
                                        f"{failure.message}\n{check.failure_info.code_sample}")
        elif isinstance(event, NonFatalError | FatalError):
            failures.append(f"error: {event}")
        elif isinstance(event, EngineFinished):
            finished = event
    assert finished is not None and finished.stop_reason.value == "completed"
    assert len(operations) >= 60, sorted(operations)
    assert checked >= 50 * len(operations), checked  # every operation got many cases, each through every check
    unique = sorted(set(failures))
    print(f"\nschemathesis: {len(operations)} operations, {cases} cases, {checked} checks, {len(unique)} failures")
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


def _integers(node: Any, components: dict[str, Any], seen: frozenset[str] = frozenset()) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from _integers(item, components, seen)
    elif isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                yield from _integers(components[name], components, seen | {name})
            return
        if node.get("type") == "integer":
            yield node
        for value in node.values():
            yield from _integers(value, components, seen)


def test_every_integer_a_request_carries_fits_the_database(client: TestClient) -> None:
    """A number past the column's range is a server error in both drivers; the schema bounds it, so it is a 422.

    Schemathesis finds such a route only when its fuzzing happens to draw a huge number; this reads them all."""
    from bridge.db.base import ROW_ID_MAX

    document = client.get("/openapi.json").json()
    components = document["components"]["schemas"]
    checked = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            inputs = [p.get("schema", {}) for p in operation.get("parameters", [])]
            inputs.append(operation.get("requestBody", {}))
            for schema in _integers(inputs, components):
                checked += 1
                assert schema.get("maximum", ROW_ID_MAX + 1) <= ROW_ID_MAX, (method, path, schema)
                assert schema.get("minimum", -ROW_ID_MAX - 2) >= -ROW_ID_MAX - 1, (method, path, schema)
    assert checked >= 5  # the row ids of the pool and of the award jobs


def test_design_keys_are_an_enum_of_the_data_space(client: TestClient, app: FastAPI) -> None:
    from bridge.dataspace.model import Kind
    from bridge.dataspace.repository import EntityRepository

    with app.state.db.session() as session:
        keys = sorted(e.key for e in EntityRepository(session).list(Kind.CREDENTIAL_DESIGN))
    assert keys
    design = client.get("/openapi.json").json()["components"]["schemas"]["IssueBody"]["properties"]["design"]
    assert design["enum"] == keys


@pytest.mark.parametrize("level", ["\u00b2", "\u0665", "10", "0", "x"])  # superscript two and Arabic-Indic five
def test_a_level_that_is_not_an_ascii_number_is_refused(client: TestClient, level: str) -> None:
    response = client.get("/pool", params={"level": level}, headers={"Accept": "application/json"})
    assert response.status_code == 422, response.text
