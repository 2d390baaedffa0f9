"""``leads worker``: the award worker loop (signing and PDF run here, never in a web request)."""

from __future__ import annotations

import typer

from bridge.cli.common import cli_errors, database, settings


@cli_errors
def worker(
    once: bool = typer.Option(False, "--once", help="Work until the queue is empty, then exit"),
    concurrency: int = typer.Option(1, "--concurrency", "-c", help="Worker processes (PostgreSQL only)"),
    issuer: str = typer.Option(None, "--issuer", help="Issuer name or module:factory (default LEADS_AWARDS_ISSUER)"),
) -> None:
    """Claim award jobs and issue credentials, exactly once, until stopped (SIGTERM/Ctrl-C)."""
    from bridge.awards import runner
    from bridge.ops import logs

    logs.configure(settings().log_format)
    database().engine.dispose()  # migrations applied once, before any worker starts
    n = runner.run(settings().effective_database_url, issuer, once=once, concurrency=concurrency)
    if once:
        typer.echo(f"worked {n} job(s)")
