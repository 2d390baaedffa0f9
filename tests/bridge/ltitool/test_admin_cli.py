"""Manual registration: ``leads lti add-platform|list|rotate-key`` and the admin page (admin token)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bridge.app import create_app
from bridge.cli import app as cli
from bridge.db import Database
from bridge.settings import Settings, get_settings

MOODLE = ["--issuer", "https://moodle.example.org", "--client-id", "AbC123",
          "--auth-login-url", "https://moodle.example.org/mod/lti/auth.php",
          "--auth-token-url", "https://moodle.example.org/mod/lti/token.php",
          "--keyset-url", "https://moodle.example.org/mod/lti/certs.php"]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("LEADS_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LEADS_LOAD_SAMPLE", "false")
    get_settings.cache_clear()
    yield tmp_path / "var"
    get_settings.cache_clear()


def test_cli_registers_lists_and_rotates(data_dir: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(cli, ["lti", "add-platform", *MOODLE, "--deployment", "1", "--name", "Moodle"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["lti", "add-platform", *MOODLE, "--deployment", "7"])
    assert r.exit_code == 0, r.output
    listed = json.loads(runner.invoke(cli, ["lti", "list", "--json"]).output)
    assert [p["deployment_ids"] for p in listed["platforms"]] == [["1", "7"]]
    assert listed["registration_url"].startswith("http://127.0.0.1:8000/lti/register?key=")

    bad = runner.invoke(cli, ["lti", "add-platform", "--issuer", "moodle", "--client-id", " ", "--auth-login-url",
                              "x", "--auth-token-url", "y", "--keyset-url", "z", "--deployment", " "])
    assert bad.exit_code == 2 and "issuer" in bad.output and "deployment" in bad.output

    assert runner.invoke(cli, ["lti", "rotate-key"]).exit_code == 0
    before = json.loads((data_dir / "lti-keys" / "manifest.json").read_text())["keys"]
    r = runner.invoke(cli, ["lti", "rotate-key"])
    assert r.exit_code == 0, r.output
    after = json.loads((data_dir / "lti-keys" / "manifest.json").read_text())["keys"]
    assert len(after) == 2 and after[1]["kid"] == before[0]["kid"] and after[0]["kid"] != before[0]["kid"]
    (data_dir / "lti-keys" / f"{after[0]['kid']}.pem").unlink()
    broken = runner.invoke(cli, ["lti", "rotate-key"])
    assert broken.exit_code == 2 and "key_store_unreadable" in broken.output


def test_admin_page_needs_the_token_and_registers(db: Database, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", base_url="http://testserver", load_sample=False,
                        admin_token="admin-secret-123456")  # type: ignore[arg-type]
    application = create_app(settings, db)
    with TestClient(application) as client:
        assert "Administrator password" in client.get("/lti/admin").text
        r = client.get("/lti/admin", headers={"Authorization": "Bearer wrong", "Accept": "application/json"})
        assert (r.status_code, r.json()["error"]) == (401, "unauthorized")
        form = {"admin_token": "admin-secret-123456", "name": "Open edX", "issuer": "https://lms.example.org",
                "client_id": "block-v1-1", "auth_login_url": "https://lms.example.org/api/lti_consumer/v1/launch/",
                "auth_token_url": "https://lms.example.org/api/lti_consumer/v1/token/1",
                "key_set_url": "https://lms.example.org/api/lti_consumer/v1/public_keysets/1",
                "deployment_ids": "1"}
        r = client.post("/lti/admin", data=form)
        assert r.status_code == 201 and "block-v1-1" in r.text and "/lti/register?key=" in r.text
        r = client.post("/lti/admin", data={**form, "key_set_url": "not a url"}, headers={"Accept": "application/json"})
        assert r.status_code == 422 and r.json()["problems"][0]["property"] == "key_set_url"
        listed = client.get("/lti/admin", headers={"Authorization": "Bearer admin-secret-123456",
                                                   "Accept": "application/json"}).json()
        assert [p["client_id"] for p in listed["platforms"]] == ["block-v1-1"]
        assert client.get("/lti/jwks").json()["keys"][0]["kid"]
    application.state.lti.close()


def test_a_second_client_of_an_issuer_with_other_keys_is_registered_with_a_warning(db: Database, tmp_path: Path,
                                                                                   data_dir: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["lti", "add-platform", *MOODLE, "--deployment", "1"]).exit_code == 0
    other = [*MOODLE[:3], "Other9", *MOODLE[4:-1], "https://elsewhere.example.net/certs.php"]
    r = runner.invoke(cli, ["lti", "add-platform", *other, "--deployment", "1"])
    assert r.exit_code == 0 and "warning: https://moodle.example.org is also registered as client AbC123" in r.output

    settings = Settings(data_dir=tmp_path / "page", base_url="http://testserver", load_sample=False,
                        admin_token="admin-secret-123456")  # type: ignore[arg-type]
    application = create_app(settings, db)
    with TestClient(application) as client:
        form = {"admin_token": "admin-secret-123456", "issuer": "https://lms.example.org", "client_id": "a",
                "auth_login_url": "https://lms.example.org/auth", "auth_token_url": "https://lms.example.org/token",
                "key_set_url": "https://lms.example.org/jwks", "deployment_ids": "1"}
        assert "also registered as client" not in client.post("/lti/admin", data=form).text
        r = client.post("/lti/admin?lang=es", data={**form, "client_id": "b", "key_set_url": "https://x.example/k"})
        assert r.status_code == 201 and "también está registrada como cliente a" in r.text, r.text[-2000:]
    application.state.lti.close()
