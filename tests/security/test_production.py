"""Production mode refuses weak settings, each refusal naming the setting; development keeps working without them."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from bridge.cli import app as cli
from bridge.settings import Settings, get_settings
from issuer.keys.store import FileKeyStore
from lti.keys import FileKeyStore as LtiKeyStore
from lti.keys import ensure_keys

GOOD = {
    "mode": "production",
    "base_url": "https://leads.example.org",
    "database_url": "postgresql+psycopg://leads:pw@db:5432/leads",
}


def _secrets() -> dict[str, str]:
    return {"secret_key": secrets.token_urlsafe(32), "admin_token": secrets.token_urlsafe(32),
            "key_passphrase": secrets.token_urlsafe(32)}


def _refusal(tmp_path: Path, **changes: object) -> str:
    values = {**GOOD, **_secrets(), "data_dir": tmp_path, **changes}
    with pytest.raises(ValidationError) as refused:
        Settings(**values)  # type: ignore[arg-type]
    return str(refused.value)


def test_good_production_settings_start(tmp_path: Path) -> None:
    settings = Settings(**{**GOOD, **_secrets(), "data_dir": tmp_path})  # type: ignore[arg-type]
    assert settings.mode == "production"


@pytest.mark.parametrize("field", ["secret_key", "admin_token", "key_passphrase"])
@pytest.mark.parametrize(("value", "why"), [
    (" " * 16, "is blank"),
    ("", "is blank"),
    ("\t\n  ", "is blank"),
    ("change-me-dev-only", "development placeholder"),
    ("Sh0rt-but-Mixed!", "shorter than 24"),
    ("a" * 64, "too predictable"),
    ("abababababababababababababababab", "too predictable"),
    ("password" * 4, "too predictable"),
])
def test_weak_secrets_are_refused_by_name(tmp_path: Path, field: str, value: str, why: str) -> None:
    message = _refusal(tmp_path, **{field: value})
    assert f"LEADS_{field.upper()} {why}" in message or (why in message and f"LEADS_{field.upper()}" in message)


def test_the_same_secret_twice_is_refused(tmp_path: Path) -> None:
    same = secrets.token_urlsafe(32)
    message = _refusal(tmp_path, secret_key=same, admin_token=same)
    assert "LEADS_ADMIN_TOKEN and LEADS_SECRET_KEY are the same" in message


def test_no_passphrase_is_refused(tmp_path: Path) -> None:
    assert "LEADS_KEY_PASSPHRASE is not set" in _refusal(tmp_path, key_passphrase=None)


def test_http_base_url_is_refused(tmp_path: Path) -> None:
    assert "LEADS_BASE_URL is 'http://leads.example.org'" in _refusal(tmp_path, base_url="http://leads.example.org")


@pytest.mark.parametrize("url", [None, "sqlite:////data/leads.sqlite3"])
def test_sqlite_is_refused(tmp_path: Path, url: str | None) -> None:
    assert "LEADS_DATABASE_URL is SQLite" in _refusal(tmp_path, database_url=url)


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    message = _refusal(tmp_path, base_url="http://x", database_url=None, admin_token=" " * 16)
    assert all(name in message for name in ("LEADS_BASE_URL", "LEADS_DATABASE_URL", "LEADS_ADMIN_TOKEN"))


def test_unencrypted_signing_keys_are_refused_until_encrypted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    FileKeyStore(tmp_path / "keys" / "leads").active()  # development: a key in the clear
    ensure_keys(LtiKeyStore(tmp_path / "lti-keys"))
    message = _refusal(tmp_path)
    assert "2 signing key file(s) are not encrypted" in message and "LEADS_KEY_PASSPHRASE" in message

    values = {**GOOD, **_secrets(), "data_dir": tmp_path}
    for name, value in values.items():
        monkeypatch.setenv(f"LEADS_{name.upper()}", str(value))
    monkeypatch.setenv("LEADS_MODE", "development")  # the encryption runs before switching to production
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["keys", "encrypt"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "2 key file(s) encrypted" in result.output
    pem = next((tmp_path / "keys" / "leads").glob("*.pem")).read_text()
    assert "ENCRYPTED PRIVATE KEY" in pem
    assert "ENCRYPTED PRIVATE KEY" in next((tmp_path / "lti-keys").glob("*.pem")).read_text()
    Settings(**values)  # type: ignore[arg-type]  # production starts now
    passphrase = values["key_passphrase"]
    assert FileKeyStore(tmp_path / "keys" / "leads", passphrase).active().key_id  # and the keys still sign
    assert ensure_keys(LtiKeyStore(tmp_path / "lti-keys", passphrase)).active.kid


def test_new_keys_are_encrypted_with_the_passphrase(tmp_path: Path) -> None:
    ring = ensure_keys(LtiKeyStore(tmp_path / "lti", "a passphrase"))
    assert "ENCRYPTED" in (tmp_path / "lti" / f"{ring.active.kid}.pem").read_text()
    assert ensure_keys(LtiKeyStore(tmp_path / "lti", "a passphrase")).active == ring.active


def test_development_needs_none_of_this(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.mode == "development" and settings.key_passphrase is None
    assert FileKeyStore(tmp_path / "keys" / "leads").active().key_id
