"""Settings: prefix LEADS_, embedded defaults, one object with flat-named sections, and production refusing
placeholder secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsError

from bridge.settings import PLACEHOLDER_SECRET, AwardSettings, Settings, environment_names, settings_problems


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


def test_the_connection_pool_is_sized_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from bridge.db import make_database

    for name in ("LEADS_DATABASE_POOL_SIZE", "LEADS_DATABASE_MAX_OVERFLOW", "LEADS_DATABASE_POOL_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)  # the defaults, whatever the shell sets
    assert Settings().database_pool == {"pool_size": 20, "max_overflow": 0, "pool_timeout": 30.0}
    monkeypatch.setenv("LEADS_DATABASE_POOL_SIZE", "25")
    monkeypatch.setenv("LEADS_DATABASE_MAX_OVERFLOW", "5")
    monkeypatch.setenv("LEADS_DATABASE_POOL_TIMEOUT_SECONDS", "7.5")
    settings = Settings()
    assert settings.database_pool == {"pool_size": 25, "max_overflow": 5, "pool_timeout": 7.5}
    pool = make_database("postgresql+psycopg://leads@127.0.0.1:1/leads", **settings.database_pool).engine.pool
    assert (pool.size(), pool._max_overflow, pool._timeout) == (25, 5, 7.5)  # type: ignore[attr-defined]
    monkeypatch.setenv("LEADS_DATABASE_POOL_SIZE", "0")
    with pytest.raises(ValidationError, match="database_pool_size"):
        Settings()
    monkeypatch.setenv("LEADS_DATABASE_POOL_SIZE", "20")
    monkeypatch.setenv("LEADS_DATABASE_POOL_TIMEOUT_SECONDS", "0")
    with pytest.raises(ValidationError, match="database_pool_timeout_seconds"):
        Settings()


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


def test_sections_keep_their_flat_variable_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """One settings object, yet LEADS_AWARDS_ISSUER, LEADS_COURSE_TARGETS … are read as operators always wrote them."""
    monkeypatch.setenv("LEADS_AWARDS_ISSUER", "tests.bridge.awards.fakes:table_issuer")
    monkeypatch.setenv("LEADS_AWARDS_LEASE_SECONDS", "5")
    monkeypatch.setenv("LEADS_AWARDS_WEBHOOK_SECRETS", '{"moodle": "m-secret"}')
    monkeypatch.setenv("LEADS_AWARDS_LMS_SOURCES", '{"https://moodle.example.org": "moodle"}')
    monkeypatch.setenv("LEADS_COURSE_TARGETS", '{"m": {"lms": "moodle"}}')
    monkeypatch.setenv("LEADS_COURSE_TARGETS_FILE", "/etc/leads/targets.json")
    monkeypatch.setenv("LEADS_DATA_DIR", "/srv/leads")
    settings = Settings()
    assert settings.awards.issuer == "tests.bridge.awards.fakes:table_issuer" and settings.awards.lease_seconds == 5
    assert settings.awards.webhook_secrets["moodle"].get_secret_value() == "m-secret"
    assert settings.awards.lms_sources == {"https://moodle.example.org": "moodle"}
    assert settings.courses.targets == '{"m": {"lms": "moodle"}}'
    assert settings.courses.targets_file == Path("/etc/leads/targets.json") and settings.data_dir == Path("/srv/leads")
    assert Settings(awards=AwardSettings(batch=3)).awards.batch == 3  # a test or embedder passes a section


def test_sections_read_the_dotenv_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("LEADS_AWARDS_SMTP_HOST", "LEADS_COURSE_TARGETS"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".env").write_text("LEADS_AWARDS_SMTP_HOST=mail.example.org\nLEADS_COURSE_TARGETS={}\n")
    settings = Settings()
    assert settings.awards.smtp_host == "mail.example.org" and settings.courses.targets == "{}"


def test_every_variable_is_named_once() -> None:
    names = environment_names()
    assert len(names) == len(set(names))
    assert {"LEADS_SECRET_KEY", "LEADS_AWARDS_ISSUER", "LEADS_COURSE_TARGETS",
            "LEADS_COURSE_TARGETS_FILE"} <= set(names)
    assert not any(name in names for name in ("LEADS_AWARDS", "LEADS_COURSES"))


def _problems(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> list[str]:
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises((ValidationError, SettingsError)) as caught:
        Settings()
    return settings_problems(caught.value)


def test_a_bad_value_names_its_variable_its_value_and_the_rule(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    assert _problems(monkeypatch, tmp_path, LEADS_PORT="http", LEADS_AWARDS_IDLE_SECONDS="3600") == [
        "LEADS_PORT is 'http': input should be a valid integer, unable to parse string as an integer",
        "LEADS_AWARDS_IDLE_SECONDS is '3600': input should be less than or equal to 300"]
    monkeypatch.delenv("LEADS_AWARDS_IDLE_SECONDS")
    assert _problems(monkeypatch, tmp_path, LEADS_AWARDS_BATCH="0", LEADS_PORT="8000") == [
        "LEADS_AWARDS_BATCH is '0': input should be greater than or equal to 1"]


def test_a_secret_s_value_is_never_repeated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    problems = _problems(monkeypatch, tmp_path, LEADS_AWARDS_WEBHOOK_SECRETS='{"moodle": 12345678}')
    assert problems == ["LEADS_AWARDS_WEBHOOK_SECRETS (moodle): input should be a valid string"]
    problems = _problems(monkeypatch, tmp_path, LEADS_AWARDS_WEBHOOK_SECRETS='{"moodle": "s3cret", }')
    assert problems == ["LEADS_AWARDS_WEBHOOK_SECRETS is not valid JSON (Expecting property name enclosed in double "
                        "quotes: line 1 column 22 (char 21)); docs/deploy.md shows its form"]
    assert "s3cret" not in " ".join(problems)


def test_json_that_does_not_parse_names_the_variable_and_where_it_breaks(monkeypatch: pytest.MonkeyPatch,
                                                                        tmp_path: Path) -> None:
    assert _problems(monkeypatch, tmp_path, LEADS_TRUST_REGISTRIES="[x") == [
        "LEADS_TRUST_REGISTRIES is not valid JSON (Expecting value: line 1 column 2 (char 1)); docs/deploy.md shows "
        "its form"]
    assert _problems(monkeypatch, tmp_path, LEADS_TRUST_REGISTRIES='[{"url": "https://r.example.org"}]') == [
        "LEADS_TRUST_REGISTRIES (item 0, name): field required"]
    (tmp_path / ".env").write_text("LEADS_AWARDS_LMS_SOURCES={bad\n")  # not in the environment: named as a suspect
    assert _problems(monkeypatch, tmp_path) == [
        "LEADS_AWARDS_WEBHOOK_SECRETS or LEADS_AWARDS_LMS_SOURCES (set in .env?) is not valid JSON; docs/deploy.md "
        "shows its form"]


def test_production_s_refusals_are_one_line_each(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    problems = _problems(monkeypatch, tmp_path, LEADS_MODE="production")
    assert problems[0] == ("LEADS_SECRET_KEY is the development placeholder; generate one with "
                           "`openssl rand -base64 32`")
    assert any(p.startswith("LEADS_DATABASE_URL is SQLite") for p in problems) and len(problems) == 6
