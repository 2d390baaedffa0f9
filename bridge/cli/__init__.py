"""The ``leads`` command: one sub-command group per area, each imported only when it runs.

Why lazy: importing every group up front (PDF, SHACL, FastAPI, SQLAlchemy …) made ``leads --help`` take seconds.
The table below names each command's module and its one-line help, so listing commands imports nothing; a
command's module is imported when that command is invoked (or its own ``--help`` is asked for).
benchmarks/bench_cli.py holds the start-up time to a ratio of ``python -c pass``.
"""

from __future__ import annotations

import atexit
import gc
import importlib
from types import ModuleType
from typing import Any

import typer
from typer import _click as click  # the click that typer vendors: its classes are the ones typer builds on
from typer.core import TyperCommand, TyperGroup

# name → (module, attribute, help); an attribute that is a Typer is a group, a function is a single command
COMMANDS: dict[str, tuple[str, str, str]] = {
    "serve": ("bridge.cli.serve", "serve", "Start the web service."),
    "migrate": ("bridge.cli.serve", "migrate", "Apply the database migrations, then exit (a one-off deployment job)."),
    "data": ("bridge.cli.data", "app", "The local data space: list, validate, load."),
    "wikibase": ("bridge.cli.wikibase", "app", "Talk to a Wikibase: bootstrap, push, pull."),
    "worker": ("bridge.cli.worker", "worker", "Run the award worker."),
    "awards": ("bridge.cli.awards", "app", "Awards: failed jobs, retry, revoke, CSV import."),
    "keys": ("bridge.cli.keys", "app", "Issuer signing keys: list, rotate, retire, encrypt."),
    "lti": ("bridge.cli.lti", "app", "LTI 1.3: register platforms, list them, rotate the tool key."),
    "issue": ("bridge.cli.credentials", "issue", "Issue a signed credential from a design."),
    "verify": ("bridge.cli.credentials", "verify", "Verify a credential, a certificate PDF or an offline QR."),
    "credential": ("bridge.cli.credentials", "app", "Issued credentials: revoke, suspend, unsuspend."),
    "issuers": ("bridge.cli.issuers", "app",
                "Issuers: trust, untrust, list, refresh the registries; their keys (issuers keys …)."),
    "certificate": ("bridge.cli.certificates", "app", "Certificates: PDF, credential from a PDF, QR codes."),
    "course": ("bridge.cli.course", "app", "Course skeletons: export .mbz / OLX, create in Moodle or Open edX."),
    "pool": ("bridge.cli.pool", "app", "The public pool: profiles, publishing, status re-check."),
    "backup": ("bridge.cli.backup", "backup", "Back up the database, keys and caches into one archive."),
    "restore": ("bridge.cli.backup", "restore", "Restore a backup archive into an empty installation."),
}


def _load(module: str) -> ModuleType:
    """Import a command's module for a process that runs that one command, then exits.

    The garbage collector is kept out of the way: importing creates a few hundred thousand objects that live until
    the process ends, and collecting over and over while they appear, then once more over all of them at exit, cost a
    third of ``leads verify``'s start-up (benchmarks/bench_cli.py). ``gc.freeze`` sets the modules' objects aside
    (later collections skip them; a long-running ``serve`` or ``worker`` still collects everything made afterwards),
    and at exit whatever is left is set aside too: the process is ending, its memory goes back to the system.
    """
    gc.disable()
    try:
        return importlib.import_module(module)
    finally:
        gc.freeze()
        gc.enable()
        atexit.register(gc.freeze)


def _settings_error(exc: Exception) -> None:
    """Settings that cannot be used are a list of what to change and exit status 78 (EX_CONFIG), not a page of
    pydantic traceback: the operator who set ``LEADS_PORT=http`` or started production with a placeholder secret
    reads which variable, its value and why. Any other pydantic error is left to raise."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from bridge.settings import settings_problems

    if not (isinstance(exc, SettingsError) or (isinstance(exc, ValidationError) and exc.title == "Settings")):
        return
    typer.secho("error (invalid_settings): LEADS cannot start with these settings; change them in the environment "
                "(or .env) and start again:", fg=typer.colors.RED, err=True)
    for problem in settings_problems(exc):
        typer.echo(f"  - {problem}", err=True)
    raise typer.Exit(78) from None


class LazyGroup(TyperGroup):
    """A group whose commands are imported on use; listing them (``--help``) uses the table's help only."""

    _listing = False
    _whole_process = False  # this group is the process (``leads …``), not called by a test runner

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if (args[0] if args else kwargs.get("args")) is None:  # arguments from sys.argv: the command line itself
            LazyGroup._whole_process = True
        return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        """The database away (``bridge.db.outage``) is a line on stderr and exit status 75 (EX_TEMPFAIL: try again),
        for every command, not a page of traceback: ``leads migrate`` as a deployment job and ``leads worker`` at
        start-up meet it whenever the database is down, still starting, or full."""
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if type(exc).__module__.startswith("pydantic"):  # pydantic, pydantic_core, pydantic_settings: loaded
                _settings_error(exc)
            if not type(exc).__module__.startswith("sqlalchemy"):  # SQLAlchemy is loaded only if it raised
                raise
            from bridge.db import outage

            kind = outage(exc)
            if kind is None:
                raise
            cause = " ".join(str(getattr(exc, "orig", None) or exc).split())
            what = {"lost": "LEADS lost its connection to the database",
                    "refused": "the database refused a connection or did not answer",
                    "busy": "no database connection came free in time",
                    "conflict": "the database ended a transaction that collided with another (it was rolled "
                                "back)"}[kind]
            end = " " if cause.endswith((".", "?", "!")) else ". "
            typer.secho(f"error (database_unavailable): {what}: {cause}{end}Check that PostgreSQL runs and accepts "
                        "connections (LEADS_DATABASE_URL, max_connections), then try again.", fg=typer.colors.RED,
                        err=True)
            raise typer.Exit(75) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        module, attribute, help_text = spec
        if self._listing:
            return TyperCommand(cmd_name, help=help_text, short_help=help_text)
        target: Any = getattr(_load(module) if LazyGroup._whole_process else importlib.import_module(module),
                              attribute)
        if isinstance(target, typer.Typer):
            command = typer.main.get_command(target)
            command.help = command.help or help_text
        else:
            single = typer.Typer()
            single.command(cmd_name)(target)
            command = typer.main.get_command(single)
        command.name = cmd_name
        return command

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(cls=LazyGroup, help="LEADS: competence models → courses → signed certificates.",
                  no_args_is_help=True)


@app.callback()
def main() -> None:
    """LEADS: competence models → courses → signed certificates."""
