"""``leads backup`` / ``leads restore``: one archive with the database (as portable JSON rows) and the data
directory (keys, LTI keys, caches); restore into an empty installation. See bridge/backup.py and decision 026."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from bridge.cli.common import cli_errors, settings
from bridge.cli.progress import Progress


@cli_errors
def backup(
    out: Path | None = typer.Option(None, "-o", "--output",
                                    help="The archive to write (default: leads-backup-<date-time>.tar.gz here)"),
) -> None:
    """Back up the database, the signing keys, the LTI keys and the caches into one .tar.gz."""
    from bridge.backup import backup as run_backup
    from bridge.db import make_database

    current = settings()
    db = make_database(current.effective_database_url)
    target = out or Path(f"leads-backup-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.tar.gz")
    with Progress("database rows") as bar:
        report = run_backup(current, db, target, progress=bar.update)
    rows = sum(report.tables.values())
    typer.echo(f"wrote {target}: {rows} rows in {len(report.tables)} tables, {len(report.files)} files")
    if report.plain_keys:
        typer.secho(f"warning: {len(report.plain_keys)} key file(s) in the archive are NOT encrypted "
                    "(set LEADS_KEY_PASSPHRASE and run `leads keys encrypt`); keep this archive as safe as the keys",
                    fg=typer.colors.YELLOW, err=True)
    typer.echo("keep LEADS_KEY_PASSPHRASE (and LEADS_PKCS11_PIN) apart from the archive: it is not in it")


@cli_errors
def restore(archive: Path = typer.Argument(..., help="An archive written by `leads backup`")) -> None:
    """Restore a backup into an EMPTY installation (new database, empty data directory), same LEADS version."""
    from bridge.backup import restore as run_restore
    from bridge.db import make_database

    current = settings()
    db = make_database(current.effective_database_url)
    with Progress("database rows") as bar:
        manifest = run_restore(current, db, archive, progress=bar.update)
    rows = sum(int(n) for n in manifest["tables"].values())
    typer.echo(f"restored {archive} (made {manifest['created']}): {rows} rows, {len(manifest['files'])} files")
    typer.echo("next: start `leads serve` and `leads worker`; queued awards resume")
