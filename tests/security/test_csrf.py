"""CSRF: every state-changing form riding on the admin session checks its token and the request's Origin; the login
form carries its own token, so no page of another site can log a browser in (login CSRF)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bridge.app import create_app
from bridge.dataspace import service as dataspace_service
from bridge.db import Database
from bridge.settings import Settings
from bridge.web import admin

TOKEN = "Q1NSRiB0ZXN0IGFkbWluIHRva2VuIGZvciBMRUFEUw"
EVIL = {"Origin": "https://evil.example.net"}


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    settings.admin_token = SecretStr(TOKEN)
    dataspace_service.load_sample_if_empty(db)
    with TestClient(create_app(settings, db)) as test_client:
        yield test_client


def _login_form(client: TestClient) -> str:
    page = client.get("/courses/generate")
    return page.text.split('name="login_csrf" value="')[1].split('"')[0]


def _logged_in(client: TestClient) -> str:
    token = _login_form(client)
    assert client.post("/courses/login", data={"admin_token": TOKEN, "login_csrf": token},
                       follow_redirects=False).status_code == 303
    page = client.get("/courses/generate?design=glam-mc-rights")
    return page.text.split('name="csrf" value="')[1].split('"')[0]


def test_login_from_another_site_is_refused(client: TestClient) -> None:
    token = _login_form(client)
    r = client.post("/courses/login", data={"admin_token": TOKEN, "login_csrf": token}, headers=EVIL,
                    follow_redirects=False)
    assert r.status_code == 403 and admin.SESSION_COOKIE not in r.cookies


def test_login_without_the_form_token_is_refused(client: TestClient) -> None:
    """A page of another site can post the form but cannot read our cookie: without the pair, no session."""
    client.cookies.clear()
    r = client.post("/courses/login", data={"admin_token": TOKEN}, follow_redirects=False)
    assert r.status_code == 403 and admin.SESSION_COOKIE not in r.cookies
    _login_form(client)  # the cookie is set, but the attacker's form cannot carry its value
    r = client.post("/courses/login", data={"admin_token": TOKEN, "login_csrf": "guessed"},
                    follow_redirects=False)
    assert r.status_code == 403 and admin.SESSION_COOKIE not in r.cookies


def test_generate_on_the_session_needs_the_csrf_token(client: TestClient) -> None:
    csrf = _logged_in(client)
    form = {"design": "glam-mc-rights", "target": "nowhere"}
    missing = client.post("/courses/generate", data=form, follow_redirects=False)
    assert missing.status_code == 403 and "expired" in missing.text
    spanish = client.post("/courses/generate?lang=es", data=form, follow_redirects=False)
    assert spanish.status_code == 403 and "caducado" in spanish.text
    wrong = client.post("/courses/generate", data={**form, "csrf": "0" * 64}, follow_redirects=False)
    assert wrong.status_code == 403
    evil = client.post("/courses/generate", data={**form, "csrf": csrf}, headers=EVIL, follow_redirects=False)
    assert evil.status_code == 403
    ours = client.post("/courses/generate", data={**form, "csrf": csrf}, headers={"Origin": "http://testserver"},
                       follow_redirects=False)
    assert ours.status_code not in (401, 403)  # past the guard: the unknown target is the next refusal
    assert ours.status_code == 404 or ours.status_code == 400, ours.text


def test_logout_from_another_site_is_refused(client: TestClient) -> None:
    csrf = _logged_in(client)
    assert client.post("/courses/logout", data={"csrf": csrf}, headers=EVIL).status_code == 403
    assert client.get("/courses/generate").status_code == 200  # still logged in


def test_the_csrf_token_belongs_to_one_session(client: TestClient, settings: Settings) -> None:
    assert admin.csrf_token(settings, "a") != admin.csrf_token(settings, "b")


def test_bearer_clients_need_no_csrf_token(client: TestClient) -> None:
    r = client.post("/courses/generate", data={"design": "glam-mc-rights", "target": "nowhere"},
                    headers={"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"})
    assert r.status_code not in (401, 403)
