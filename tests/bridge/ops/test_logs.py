"""JSON log lines: one per request with its request id, never a token or an e-mail address."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bridge.db import Database
from bridge.ops.logs import JsonFormatter, redact
from bridge.settings import Settings
from tests.bridge.credentials.conftest import _client

TOKEN = "change-me-dev-only"


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield out
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    yield from _client(settings, db)


def records(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_a_request_logs_one_json_line_with_its_id_and_no_token(client: TestClient, lines: io.StringIO) -> None:
    response = client.post("/api/credentials?token=s3cr3t-query&email=ada@example.org",
                           json={"design": "glam-mc-rights", "learner": {"name": "Ada Lovelace",
                                                                         "email": "ada@example.org"}},
                           headers={"Authorization": f"Bearer {TOKEN}", "X-Request-ID": "trace-0123456789"})
    assert response.status_code == 201, response.text
    assert response.headers["x-request-id"] == "trace-0123456789"
    access = [r for r in records(lines) if r["logger"] == "leads.http"]
    assert len(access) == 1
    [line] = access
    assert line["request_id"] == "trace-0123456789" and line["status"] == 201
    assert line["route"] == "/api/credentials" and line["method"] == "POST" and line["level"] == "info"
    everything = lines.getvalue()
    for secret in (TOKEN, "s3cr3t-query", "ada@example.org", "Ada Lovelace"):
        assert secret not in everything


def test_a_wrong_token_is_logged_without_the_token(client: TestClient, lines: io.StringIO) -> None:
    response = client.get("/api/admin/awards/failed", headers={"Authorization": "Bearer guessed-token-123"})
    assert response.status_code == 401
    rid = response.headers["x-request-id"]
    assert len(rid) == 32  # none was given: a new one
    logged = [r for r in records(lines) if str(r["logger"]).startswith("leads.")]  # not the test client's own
    assert {r.get("request_id") for r in logged} == {rid}  # the admin warning carries the request's id too
    assert any(r["logger"] == "leads.admin" for r in logged)
    assert "guessed-token-123" not in lines.getvalue()


@pytest.mark.parametrize("path", ["/awards/course/{id}", "/awards/mine/{id}", "/lti/app/{id}",
                                  "/pool/launch/{id}/unpublish/entry-7"])
def test_a_launch_id_in_the_path_is_never_logged(client: TestClient, lines: io.StringIO, path: str) -> None:
    """A launch id opens its pages (an instructor's dashboard and its revoke forms) for 24 hours: the access line
    names it by a short hash, enough to follow one launch through the log (2026-12 audit: it logged the id)."""
    launch = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    method = "POST" if "unpublish" in path else "GET"
    client.request(method, path.format(id=launch))
    [line] = [r for r in records(lines) if r["logger"] == "leads.http"]
    ours = [r for r in records(lines) if str(r["logger"]).startswith("leads.")]  # not the test client's own
    assert ours and launch not in json.dumps(ours)
    assert "{launch_id}" in str(line["route"])
    hashed = str(line["path"])
    assert hashed.startswith(path.split("{", 1)[0]) and "#" in hashed
    client.request(method, path.format(id=launch))
    assert [r for r in records(lines) if r["logger"] == "leads.http"][1]["path"] == hashed  # the same launch


def test_a_request_id_that_is_not_a_plain_token_is_replaced(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "x\" injected=1"})
    assert response.headers["x-request-id"] != "x\" injected=1" and len(response.headers["x-request-id"]) == 32


@pytest.mark.parametrize(("text", "hidden"), [
    ("Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
    ("GET /x?wstoken=0123abcd&x=1", "0123abcd"),
    ("password=hunter2 tried", "hunter2"),
    ("jwt eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln seen", "eyJhbGciOiJFUzI1NiJ9"),
    ("mail ada@example.org", "ada@example.org"),
    ("GET /pool/people/cat/wiki-login?link=Zk9x_single-use", "Zk9x_single-use"),  # a pool sign-in link's secret
])
def test_redaction(text: str, hidden: str) -> None:
    assert hidden not in redact(text)
