"""``leads pool wiki-login`` prints the Wikimedia sign-in link (there is no way to type a wiki username): a single-use
LEADS link the owner opens in her own browser, which confirms and only then goes on to the wiki; and
``leads pool capx-sync`` syncs every connected profile, one failure not stopping the others."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bridge.cli import app
from bridge.cli.common import database, settings
from tests.bridge.pool.identity import confirm


@pytest.fixture
def runner(cli_home: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("LEADS_WIKI_OAUTH_REST_URL", "https://wiki.example.org/w/rest.php")
    monkeypatch.setenv("LEADS_WIKI_OAUTH_CLIENT_ID", "leads-client")
    monkeypatch.setenv("LEADS_WIKI_OAUTH_CLIENT_SECRET", "leads-secret-0000000000")
    return CliRunner()


def test_wiki_login_prints_the_sign_in_link_and_capx_sync_runs(runner: CliRunner) -> None:
    made = runner.invoke(app, ["pool", "profile", "cat", "--name", "Cat"])
    assert made.exit_code == 0 and "leads pool wiki-login cat" in made.output, made.output
    token = made.output.rsplit(": ", 1)[1].strip()
    wrong = runner.invoke(app, ["pool", "wiki-login", "cat", "--token", "nope"])
    assert wrong.exit_code != 0 and "does not belong" in wrong.output
    done = runner.invoke(app, ["pool", "wiki-login", "cat", "--token", token])
    assert done.exit_code == 0, done.output
    link = done.output.strip().splitlines()[-1]
    assert link.startswith("http://127.0.0.1:8000/pool/people/cat/wiki-login?link="), link
    from bridge.app import create_app

    with TestClient(create_app(settings(), database())) as browser:  # the owner's browser opens it and confirms
        sent = confirm(browser, link)
        assert sent.status_code == 303 and browser.cookies.get("leads_wiki_login")
        url = sent.headers["location"]
        assert url.startswith("https://wiki.example.org/w/rest.php/oauth2/authorize?")
        assert parse_qs(urlsplit(url).query)["client_id"] == ["leads-client"]
        again = browser.get(urlsplit(link).path + "?" + urlsplit(link).query)
        assert again.status_code == 404 and "already used" in again.text  # it served once
    synced = runner.invoke(app, ["pool", "capx-sync"])
    assert synced.exit_code == 0 and "no pool profile is connected" in synced.output
