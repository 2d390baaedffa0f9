"""A pool profile's wiki username comes only from the Wikimedia OAuth 2 login (a double of Extension:OAuth), never
from what someone types: a profile "mallory" can no longer show CatGLAM."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import text

from bridge.app import create_app
from bridge.dataspace import service as dataspace_service
from bridge.db import Database, make_database
from bridge.db.engine import alembic_config
from bridge.settings import Settings
from tests.bridge.pool.fakes import FakeWikiOAuth, WikiAccount, serve
from tests.bridge.pool.identity import sign_in, start_login

JSON = {"Accept": "application/json"}
CAT = WikiAccount("CatGLAM", 4711)
MALLORY = WikiAccount("Mallory", 666)


@pytest.fixture
def wiki() -> Iterator[tuple[FakeWikiOAuth, str]]:
    fake = FakeWikiOAuth()
    with serve(fake) as url:
        yield fake, url


@pytest.fixture
def client(settings: Settings, db: Database, wiki: tuple[FakeWikiOAuth, str]) -> Iterator[TestClient]:
    fake, url = wiki
    configured = settings.model_copy(update={"wiki_oauth_rest_url": f"{url}/w/rest.php",
                                             "wiki_oauth_client_id": fake.client_id,
                                             "wiki_oauth_client_secret": SecretStr(fake.client_secret)})
    dataspace_service.load_sample_if_empty(db)
    with TestClient(create_app(configured, db)) as test_client:
        yield test_client


def new_profile(client: TestClient, handle: str, **extra: object) -> dict[str, str]:
    made = client.post("/api/pool/profiles", json={"handle": handle, "display_name": handle.title(), **extra})
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['token']}"}


def shown(client: TestClient, handle: str) -> tuple[str | None, bool]:
    view = client.get(f"/pool/people/{handle}", headers={"Accept": "application/json"}).json()
    return view["wiki_username"], view["wiki_verified"]


def test_a_typed_wiki_username_is_refused_everywhere(client: TestClient) -> None:
    typed = client.post("/api/pool/profiles", json={"handle": "mallory", "display_name": "Mallory",
                                                    "wiki_username": "CatGLAM"})
    assert typed.status_code == 422 and typed.json()["error"] == "wiki_username_needs_login"
    assert "signing in with Wikimedia" in typed.json()["message"]
    new_profile(client, "mallory")
    assert shown(client, "mallory") == (None, False)
    assert "CatGLAM" not in client.get("/pool/people/mallory").text
    from typer.testing import CliRunner

    from bridge.cli.pool import app as pool_cli

    result = CliRunner().invoke(pool_cli, ["profile", "eve", "--name", "Eve", "--wiki-user", "CatGLAM"])
    assert result.exit_code != 0 and "No such option" in result.output


def test_the_login_sets_the_username_the_wiki_confirms(client: TestClient, wiki: tuple[FakeWikiOAuth, str]) -> None:
    fake, url = wiki
    auth = new_profile(client, "cat")
    authorize = start_login(client, "cat", auth)
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(f"{url}/w/rest.php/oauth2/authorize?")
    assert query["code_challenge_method"] == ["S256"] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://testserver/pool/wiki/callback"]
    back = sign_in(client, fake, authorize, CAT)
    assert back.status_code == 303 and back.headers["location"] == "/pool/people/cat"
    assert shown(client, "cat") == ("CatGLAM", True)
    page = client.get("/pool/people/cat")
    assert "User:CatGLAM" in page.text and "verified by signing in with Wikimedia" in page.text
    assert f"{url}/wiki/User:CatGLAM" in page.text
    assert client.get("/pool/people/cat?lang=es").text.count("verificado") >= 1

    # the same login opens "My certificates" outside the LMS
    mine = client.get("/pool/mine", headers={"Accept": "application/json"})
    assert mine.status_code == 200 and mine.json()["wiki_username"] == "CatGLAM"
    assert [p["handle"] for p in mine.json()["profiles"]] == ["cat"]


def test_mallory_cannot_show_cats_account(client: TestClient, wiki: tuple[FakeWikiOAuth, str]) -> None:
    fake, _ = wiki
    cat, mallory = new_profile(client, "cat"), new_profile(client, "mallory")
    sign_in(client, fake, start_login(client, "cat", cat), CAT)
    # Mallory signs in as herself: her own name, never Cat's
    sign_in(client, fake, start_login(client, "mallory", mallory), MALLORY)
    assert shown(client, "mallory") == ("Mallory", True)
    # Mallory holding Cat's wiki password aside, the wiki account already shows on Cat's profile
    taken = sign_in(client, fake, start_login(client, "mallory", mallory), CAT)
    assert taken.status_code == 409 and taken.json()["error"] == "wiki_account_taken"
    assert shown(client, "mallory") == ("Mallory", True)
    # without the management token, nobody starts a login for a profile
    assert client.post("/api/pool/profiles/cat/wiki-login",
                       headers={"Authorization": "Bearer wrong"}).status_code == 403


def test_forged_replayed_and_refused_logins_set_nothing(client: TestClient, wiki: tuple[FakeWikiOAuth, str]) -> None:
    fake, _ = wiki
    auth = new_profile(client, "cat")
    authorize = start_login(client, "cat", auth)
    fake.browser = CAT
    location = httpx.get(authorize, follow_redirects=False).headers["location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    forged = client.get(f"/pool/wiki/callback?code={code}&state=made-up", follow_redirects=False, headers=JSON)
    assert forged.status_code == 400 and forged.json()["error"] == "wiki_login_state"
    assert shown(client, "cat") == (None, False)
    denied = client.get("/pool/wiki/callback?error=access_denied&state=x", follow_redirects=False, headers=JSON)
    assert denied.status_code == 400
    ok = client.get(urlsplit(location).path + "?" + urlsplit(location).query, follow_redirects=False)
    assert ok.status_code == 303
    replay = client.get(urlsplit(location).path + "?" + urlsplit(location).query, follow_redirects=False)
    assert replay.status_code == 400  # the state served once
    # a code the wiki never gave: the wiki says invalid_grant, LEADS sets nothing
    other = new_profile(client, "dora")
    state = parse_qs(urlsplit(start_login(client, "dora", other)).query)["state"][0]
    bad = client.get(f"/pool/wiki/callback?code=not-a-code&state={state}", follow_redirects=False, headers=JSON)
    assert bad.status_code == 400 and "invalid_grant" in bad.json()["message"]
    assert shown(client, "dora") == (None, False)
    # a hidden account has no username to show
    fake.browser = WikiAccount("Hidden", 99, hidden=True)
    hidden = sign_in(client, fake, start_login(client, "dora", other), fake.browser)
    assert hidden.status_code == 403 and hidden.json()["error"] == "wiki_username_hidden"


def test_the_pkce_verifier_is_checked_by_the_double(wiki: tuple[FakeWikiOAuth, str]) -> None:
    fake, url = wiki
    fake.browser = CAT
    location = httpx.get(f"{url}/w/rest.php/oauth2/authorize", params={
        "response_type": "code", "client_id": fake.client_id, "redirect_uri": fake.redirect_uri,
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "code_challenge_method": "S256"},
        follow_redirects=False).headers["location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": fake.redirect_uri,
            "client_id": fake.client_id, "client_secret": fake.client_secret}
    wrong = httpx.post(f"{url}/w/rest.php/oauth2/access_token", data={**form, "code_verifier": "wrong"})
    assert wrong.status_code == 400 and wrong.json()["hint"] == "Failed to verify `code_verifier`."
    right = httpx.post(f"{url}/w/rest.php/oauth2/access_token",
                       data={**form, "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"})
    assert right.status_code == 200 and right.json()["token_type"] == "Bearer"
    assert httpx.get(f"{url}/w/rest.php/oauth2/resource/profile").json()["error"] == "access_denied"
    assert httpx.get(f"{url}/w/rest.php/oauth2/access_token").status_code == 405


def test_without_an_oauth_client_nobody_can_sign_in(settings: Settings, db: Database) -> None:
    with TestClient(create_app(settings, db)) as plain:
        auth = new_profile(plain, "cat")
        refused = plain.post("/api/pool/profiles/cat/wiki-login", headers=auth)
        assert refused.status_code == 404 and refused.json()["error"] == "wiki_login_unavailable"


def test_the_migration_clears_typed_usernames(tmp_path: Path) -> None:
    from alembic import command

    database = make_database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    config = alembic_config(database.engine)
    command.upgrade(config, "0150_pool_holder")
    with database.engine.begin() as conn:
        conn.execute(text("INSERT INTO pool_profiles (handle, display_name, wiki_username, languages, token_hash, "
                          "created_at) VALUES ('mallory', 'Mallory', 'CatGLAM', '[]', 'x', '2026-01-01')"))
    command.upgrade(config, "heads")
    with database.engine.connect() as conn:
        row = conn.execute(text("SELECT wiki_username, wiki_sub, wiki_verified_at FROM pool_profiles")).one()
    assert tuple(row) == (None, None, None)
    database.engine.dispose()


def test_only_the_sign_in_form_may_be_sent_on_to_the_wiki(client: TestClient, wiki: tuple[FakeWikiOAuth, str]) -> None:
    """Browsers hold a form's redirect to the page's form-action: the "Continue to Wikimedia" page names the wiki's
    origin there (the browser test walks the trip in Chromium); no other page does."""
    _fake, url = wiki
    new_profile(client, "cat")
    policy = client.get("/pool/people/cat/wiki-login").headers["content-security-policy"]
    assert f"form-action 'self' {url}" in policy
    for other in ("/pool/people/cat", "/pool/profiles/new", "/pool/mine"):
        assert "form-action 'self';" in client.get(other).headers["content-security-policy"] + ";", other
