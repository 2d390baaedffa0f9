"""Shared fixtures: settings in a temporary data directory, and a migrated database on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from bridge import startup
from bridge.db import Base, Database, make_database, upgrade
from bridge.settings import Settings, get_settings
from issuer.canon import enable_crosscheck

POSTGRES_URL = os.environ.get("LEADS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ALLOW_NO_POSTGRES = os.environ.get("LEADS_TEST_ALLOW_NO_POSTGRES") == "1"
ABSENT_MARK = "POSTGRES ABSENT"
_postgres_missing: list[str] = []


startup.wire_codecs()  # as every LEADS process does first: the data space reads Wikibase dumps


@pytest.fixture(autouse=True, scope="session")
def _crosscheck_canonicalisers() -> Iterator[None]:
    """Every document any test canonicalises (every credential the suite issues, in this process) is also
    canonicalised by the pyld reference; the fast canonicaliser raises on any difference."""
    enable_crosscheck(True)
    yield
    enable_crosscheck(False)


@pytest.fixture(autouse=True, scope="session")
def _no_per_client_limits_in_functional_tests() -> Iterator[None]:
    """Functional tests verify dozens of credentials a minute and open dozens of pool profiles from one client; the
    per-client limits (30 verifications a minute, 10 new profiles an hour) are tested on their own in tests/security,
    which set them explicitly."""
    lifted = {"LEADS_VERIFY_RATE_PER_MINUTE": "100000", "LEADS_NEW_PROFILES_PER_HOUR": "100000"}
    previous = {name: os.environ.get(name) for name in lifted}
    os.environ.update(lifted)
    yield
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", base_url="http://testserver", load_sample=False)


def refuse_connections(url: str, refuse: bool, *, end_open: bool = True) -> None:
    """What a database restart, or one that is full or still starting, looks like to LEADS: PostgreSQL ends each new
    connection with a FATAL error, superusers included; ``end_open`` ends the open ones too (a restart)."""
    name = url.rsplit("/", 1)[1]
    admin = make_database(POSTGRES_URL)  # the server's own test database, never the one refusing
    with admin.statement() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(not refuse).lower()}'))
        if refuse and end_open:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                         {"name": name})
    admin.engine.dispose()


def refused_connection_error() -> OperationalError:
    """The error SQLAlchemy raises for a database that refuses connections (nothing listens on port 1): a real one,
    for code that must tell the database being away from a fault."""
    nowhere = make_database("postgresql+psycopg://leads@127.0.0.1:1/leads")
    try:
        nowhere.engine.connect()
    except OperationalError as error:
        return error
    finally:
        nowhere.engine.dispose()
    raise AssertionError("port 1 answered")


def _postgres_database() -> Iterator[str]:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"leads_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server is absent or refuses: say so loudly
        admin.dispose()
        message = f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc.__class__.__name__}: {exc}"
        if ALLOW_NO_POSTGRES:
            pytest.skip(f"{ABSENT_MARK} — database test NOT run on PostgreSQL: " + message)
        pytest.fail(message + "\nRun the suite with `make test` (it starts a throwaway PostgreSQL when none "
                    "answers), start PostgreSQL, set LEADS_TEST_POSTGRES_URL, or set "
                    "LEADS_TEST_ALLOW_NO_POSTGRES=1 to run the SQLite half only.")
    url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


@pytest.fixture(scope="session")
def _sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = make_database(f"sqlite:///{tmp_path_factory.mktemp('db') / 'leads.sqlite3'}")
    upgrade(db)
    yield db
    db.engine.dispose()


@pytest.fixture(scope="session")
def _postgres_db(postgres_url: str) -> Iterator[Database]:
    db = make_database(postgres_url)
    upgrade(db)
    yield db
    db.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    """A migrated, empty database; every database test runs once on each back-end."""
    database: Database = request.getfixturevalue(f"_{request.param}_db")
    _truncate(database)
    yield database
    _truncate(database)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database nobody has migrated yet, on each back-end (a test that migrates or starts processes)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'leads.sqlite3'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A ``leads`` command's installation: a data directory of its own (the embedded SQLite file, never the
    environment's LEADS_DATABASE_URL), run from the folder beside it, with settings read afresh; the data directory."""
    monkeypatch.setenv("LEADS_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("LEADS_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path / "var"
    get_settings.cache_clear()


def _truncate(database: Database) -> None:
    with database.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Skips for an absent PostgreSQL are gathered from the reports, which reach the process that prints the
    summary also when the suite runs on several workers (pytest-xdist)."""
    if report.skipped and isinstance(report.longrepr, tuple):
        message = str(report.longrepr[2])
        if ABSENT_MARK in message:
            _postgres_missing.append(message)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _postgres_missing:
        terminalreporter.write_sep("!", "POSTGRESQL ABSENT: database tests ran on SQLite only", red=True, bold=True)
        terminalreporter.write_line(_postgres_missing[0], red=True)
