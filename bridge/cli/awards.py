"""``leads awards``: failed jobs, retries, revocation and CSV import for manual cases."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from bridge.awards import csvimport, intake, operations, service
from bridge.cli.common import EVERY_MAX_SECONDS, cli_errors, database, settings
from bridge.cli.progress import Progress
from bridge.ltitool.tool import LtiTool

app = typer.Typer(no_args_is_help=True)


@app.command("failed")
@cli_errors
def failed(as_json: bool = typer.Option(False, "--json", help="Print the listed jobs as JSON (for scripts)"),
           kind: str = typer.Option(None, "--kind", help="Only jobs of this kind (issue, revoke, edc, pdf)")) -> None:
    """How many jobs failed, of each kind, and the most recent ones with their last error (retry one with
    `leads awards retry ID`, all of them with `leads awards retry --all-failed`)."""
    with database().session() as session:
        page = operations.failed_page(session, kind=kind)
        jobs = [service.job_dict(j) for j in page.jobs]
    total = sum(page.by_kind.values())
    if as_json:
        typer.echo(json.dumps(jobs, indent=1))  # a list, as scripts have read it; the totals are the API's
        return
    if not total:
        typer.echo("no failed jobs")
        return
    kinds = ", ".join(f"{k}: {n}" for k, n in sorted(page.by_kind.items()))
    more = f"; the {len(jobs)} most recent" + (f" of kind {kind}" if kind else "") if page.after else ""
    typer.echo(f"{total} failed jobs ({kinds}){more}:")
    for j in jobs:
        typer.echo(f"{j['id']:>8}  {j['kind']:<7} award {j['award_id']}  attempts {j['attempts']}  {j['last_error']}")


@app.command("retry")
@cli_errors
def retry(
    job_id: int = typer.Argument(None, help="The job id from `leads awards failed`"),
    all_failed: bool = typer.Option(False, "--all-failed", help="Every failed job (after an outage)"),
    kind: str = typer.Option(None, "--kind", help="With --all-failed: only jobs of this kind"),
) -> None:
    """Put a failed job (or every failed job) back in the queue with a fresh attempt budget."""
    if (job_id is None) == (not all_failed) or (kind and not all_failed):
        raise typer.BadParameter("give one job id, or --all-failed (optionally with --kind), not both")
    with database().session() as session:
        if all_failed:
            queued = operations.retry_failed(session, kind=kind)
            typer.echo(f"{queued} failed jobs queued again (workers pick them up: `leads worker`)")
            return
        job = operations.retry(session, job_id)
        typer.echo(f"job {job.id} queued again (a worker picks it up: `leads worker`)")


@app.command("revoke")
@cli_errors
def revoke(award_id: str = typer.Argument(...), reason: str = typer.Option(..., "--reason", help="Why (kept)")) -> None:
    """Revoke an award; a worker updates the credential's status list."""
    with database().session() as session:
        service.revoke(session, award_id, reason)
    typer.echo(f"award {award_id} revoked")


@app.command("poll")
@cli_errors
def poll(
    context: str = typer.Option(None, "--context", help="Only this context (default: every known one)"),
    every: int = typer.Option(0, "--every", min=0, max=EVERY_MAX_SECONDS,
                              help="Repeat every N seconds (0: once, e.g. from cron; at most a year)"),
) -> None:
    """Read the results of LEADS's line items in each known course (AGS), incrementally, and award; learners'
    names come from the course roster (NRPS). Exits 2 when no course is known yet, 1 when every course failed."""
    db = database()
    if every > 0 and context is None:  # once per period across every replica (a lease, docs/decisions/024)
        from bridge.scheduling.jobs import ags_poll, every_period

        every_period(db, settings(), "ags-poll", ags_poll, every, typer.echo)
        return
    while True:
        tool = LtiTool(settings(), db)
        try:
            with Progress("courses polled") as bar:
                reports = intake.poll_targets(db, intake.lti_reader_for(tool), context=context,
                                              cfg=settings().awards, roster_for=intake.lti_roster_for(tool),
                                              progress=bar.update)
        finally:
            tool.close()
        for report in reports.values():
            typer.echo(report.text())
        if every <= 0:
            if all(r.failed for r in reports.values()):
                raise typer.Exit(1)
            return
        time.sleep(every)


@app.command("import")
@cli_errors
def import_csv(
    path: Path = typer.Argument(..., help="CSV: learner,design,assessment,score,maximum[,name,email,event_id]"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and show the decisions; store nothing"),
    source: str = typer.Option("csv", help="Source name stored with each grade event"),
) -> None:
    """Import grades from a CSV file (all rows or none); each row goes through the same award decision."""

    with Progress("rows checked and stored") as bar:
        report = csvimport.import_file(database(), path, dry_run=dry_run, source=source, cfg=settings().awards,
                                       progress=bar.update)
    for line in report.lines():
        typer.echo(line)
