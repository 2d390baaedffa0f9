"""One admin check: constant-time, the same on every admin route, wrong guesses limited per client and logged
without the token; the courses login is a real session (expiry, logout, a new id at every login)."""

from __future__ import annotations

import ast
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bridge.app import create_app
from bridge.db import Database
from bridge.settings import Settings
from bridge.web import admin

TOKEN = "Qm9vayBvZiBMRUFEUyBhZG1pbiB0b2tlbiAyMDI2"
ROOT = Path(__file__).resolve().parents[2]
ADMIN_ROUTES = [("GET", "/api/admin/awards"), ("GET", "/api/admin/awards/failed"),
                ("POST", "/api/admin/awards/failed/retry"),
                ("POST", "/api/credentials"), ("POST", "/api/design-sets"), ("GET", "/lti/admin"),
                ("GET", "/courses/generate")]


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    settings.admin_token = SecretStr(TOKEN)
    return settings


@pytest.fixture
def client(app_settings: Settings, db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings, db)) as test_client:
        yield test_client


def test_one_admin_check_in_the_code() -> None:
    """Nothing but bridge/web/admin.py reads LEADS_ADMIN_TOKEN to compare it (no second check, no `!=`)."""
    readers = []
    for path in [*(ROOT / "bridge").rglob("*.py"), *(ROOT / "lti").rglob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "admin_token":
                readers.append(path.relative_to(ROOT).as_posix())
    assert set(readers) <= {"bridge/web/admin.py", "bridge/settings.py"}, readers


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_every_admin_route_refuses_a_wrong_token_the_same_way(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, headers={"Authorization": "Bearer wrong", "Accept": "application/json"},
                              json={})
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "unauthorized"


def test_the_right_token_opens_them(client: TestClient) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    assert client.get("/api/admin/awards/failed", headers=auth).status_code == 200
    assert client.get("/lti/admin", headers=auth).status_code == 200
    assert client.post("/lti/admin", data={"admin_token": TOKEN, "action": "list"}, headers={
        "Accept": "application/json"}).status_code == 200


def test_wrong_guesses_are_limited_per_client_and_logged_without_the_token(
        client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="leads.admin")
    guesses = [f"guess-{i}-secret-looking-value" for i in range(admin.MAX_FAILURES)]
    for guess in guesses:  # the form of /lti/admin: the place that compared with != before
        r = client.post("/lti/admin", data={"admin_token": guess, "action": "list"},
                        headers={"Accept": "application/json"})
        assert r.status_code == 401
    limited = client.get("/api/admin/awards/failed", headers={"Authorization": f"Bearer {TOKEN}"})
    assert limited.status_code == 429  # even the right token waits: guessing does not go on
    assert 0 < int(limited.headers["Retry-After"]) <= admin.FAILURE_WINDOW + 1
    assert limited.json()["error"] == "too_many_attempts"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged.count("wrong or missing admin token") == admin.MAX_FAILURES
    assert not any(guess in logged for guess in guesses) and TOKEN not in logged


def test_the_limit_is_per_client_and_expires() -> None:
    now = [0.0]
    limiter = admin.FailureLimiter(limit=3, window=60, clock=lambda: now[0])
    for _ in range(3):
        limiter.check("10.0.0.1")
        limiter.fail("10.0.0.1")
    with pytest.raises(admin.TooManyAttempts) as refused:
        limiter.check("10.0.0.1")
    assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "61"
    limiter.check("10.0.0.2")  # another client is not affected
    now[0] = 61.0
    limiter.check("10.0.0.1")  # the window has passed


def _login_token(page_text: str) -> str:
    return page_text.split('name="login_csrf" value="')[1].split('"')[0]


def _log_in(client: TestClient) -> str:
    current = client.cookies.get(admin.SESSION_COOKIE)
    client.cookies.delete(admin.SESSION_COOKIE)
    page = client.get("/courses/generate")
    assert page.status_code == 401
    if current:  # logging in again from a logged-in browser: its old session id comes along
        client.cookies.set(admin.SESSION_COOKIE, current, path="/courses")
    done = client.post("/courses/login", data={"admin_token": TOKEN, "login_csrf": _login_token(page.text)},
                       follow_redirects=False)
    assert done.status_code == 303, done.text
    return done.cookies[admin.SESSION_COOKIE]


def test_the_session_is_random_stored_hashed_and_rotated(client: TestClient, db: Database) -> None:
    first = _log_in(client)
    assert len(first) >= 40 and TOKEN not in first
    with db.session() as session:
        stored = [row.id_hash for row in session.query(admin.AdminSession).all()]
    assert first not in stored and admin._hash(first) in stored
    second = _log_in(client)
    client.cookies.delete(admin.SESSION_COOKIE)
    client.cookies.set(admin.SESSION_COOKIE, second, path="/courses")
    assert second != first  # a new id at every login, and the old one ends
    assert not admin.AdminSessions(db).valid(first) and admin.AdminSessions(db).valid(second)
    client.cookies.set(admin.SESSION_COOKIE, first, path="/courses")
    assert client.get("/courses/generate").status_code == 401


def test_the_session_expires(db: Database) -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    sessions = admin.AdminSessions(db, hours=8, clock=lambda: now[0])
    sid = sessions.open()
    assert sessions.valid(sid)
    now[0] += timedelta(hours=8, seconds=1)
    assert not sessions.valid(sid)


def test_logout_ends_the_session(client: TestClient) -> None:
    sid = _log_in(client)
    page = client.get("/courses/generate")
    assert page.status_code == 200
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    out = client.post("/courses/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set(admin.SESSION_COOKIE, sid, path="/courses")  # a copy of the old cookie does not work
    assert client.get("/courses/generate").status_code == 401
