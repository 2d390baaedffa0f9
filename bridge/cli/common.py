"""What every command needs: settings, a migrated database, and errors printed for people (exit 2)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import typer

from bridge.errors import LeadsError
from bridge.settings import Settings, get_settings
from issuer.errors import IssuerError

if TYPE_CHECKING:
    from bridge.db import Database

P = ParamSpec("P")
R = TypeVar("R")

#: the longest ``--every N`` a repeating command takes: a year. Past it the sleep overflowed into a traceback;
#: a job run less often than yearly belongs in cron, not in a process kept alive that long
EVERY_MAX_SECONDS = 366 * 86_400


def settings() -> Settings:
    return get_settings()


def database() -> Database:
    """The database, migrated, with the sample data space when configured (without importing the web
    application: FastAPI and every router would cost a second of each command's start)."""
    from bridge.startup import prepare

    return prepare(get_settings())


def existing_database() -> Database:
    """The database as it stands, for a command that only reads it (``leads verify``): when it is at the migration
    heads already there is nothing to migrate, and importing the migration and data-space machinery of
    ``prepare`` would be most of the command's start; otherwise it is prepared as for any command."""
    from bridge.db.engine import make_database, up_to_date

    current = get_settings()
    db = make_database(current.effective_database_url, **current.database_pool)
    if not up_to_date(db):
        db.engine.dispose()
        return database()
    wire_canonicaliser(current)
    return db


def wire_canonicaliser(current: Settings) -> None:
    """The configured canonicaliser, as ``bridge.startup.wire_codecs`` sets it (no data space is read here)."""
    from issuer.canon import enable_crosscheck, set_default_canonicaliser

    set_default_canonicaliser(current.canonicaliser)
    if current.canon_crosscheck:
        enable_crosscheck(True)


def report(exc: Exception) -> None:
    code = getattr(exc, "code", "error")
    typer.secho(f"error ({code}): {exc}", fg=typer.colors.RED, err=True)
    for problem in getattr(exc, "problems", []) or []:
        typer.echo(f"  - {problem}", err=True)


@contextmanager
def errors_exit_2() -> Iterator[None]:
    try:
        yield
    except (LeadsError, IssuerError) as exc:
        report(exc)
        sys.exit(2)


def cli_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Domain errors become a message on stderr and exit status 2, never a traceback."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with errors_exit_2():
            return fn(*args, **kwargs)
        raise AssertionError("unreachable")

    return wrapper
