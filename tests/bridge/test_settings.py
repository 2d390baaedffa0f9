"""Settings: prefix LEADS_, embedded defaults, and production refusing placeholder secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bridge.settings import PLACEHOLDER_SECRET, Settings


def test_defaults_are_a_sqlite_file_in_the_data_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("LEADS_DATA_DIR", "LEADS_DATABASE_URL", "LEADS_MODE"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.mode == "development"
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'var' / 'leads.sqlite3'}"
    assert settings.entity_base == "http://127.0.0.1:8000/entity/"


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADS_DATABASE_URL", "postgresql+psycopg://leads@db/leads")
    monkeypatch.setenv("LEADS_BASE_URL", "https://leads.example.org")
    settings = Settings()
    assert settings.effective_database_url == "postgresql+psycopg://leads@db/leads"
    assert settings.entity_base == "https://leads.example.org/entity/"


def test_production_refuses_placeholder_and_short_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADS_MODE", "production")
    with pytest.raises(ValidationError, match="LEADS_SECRET_KEY is the development placeholder"):
        Settings()
    monkeypatch.setenv("LEADS_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("LEADS_ADMIN_TOKEN", "short")
    with pytest.raises(ValidationError, match="LEADS_ADMIN_TOKEN"):
        Settings()
    monkeypatch.setenv("LEADS_ADMIN_TOKEN", "y" * 40)
    with pytest.raises(ValidationError, match="LEADS_ADMIN_TOKEN is too predictable"):
        Settings()  # every other refusal: tests/security/test_production.py
    assert PLACEHOLDER_SECRET not in ("x" * 40, "y" * 40)
