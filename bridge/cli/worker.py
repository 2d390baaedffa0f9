"""``leads worker``: the award worker loop (signing and PDF run here, never in a web request) and the course
generation jobs (decision 020), both claimed from the database queue."""

from __future__ import annotations

import threading

import typer

from bridge.awards import runner
from bridge.cli.common import cli_errors, database, settings
from bridge.courses import jobs as course_jobs
from bridge.ops import logs
from bridge.scheduling.jobs import start as scheduled_jobs


@cli_errors
def worker(
    once: bool = typer.Option(False, "--once", help="Work until the queue is empty, then exit"),
    concurrency: int = typer.Option(1, "--concurrency", "-c", help="Worker processes (PostgreSQL only)"),
    issuer: str = typer.Option(None, "--issuer", help="Issuer name or module:factory (default LEADS_AWARDS_ISSUER)"),
) -> None:
    """Claim award jobs and issue credentials, exactly once, and run course generation jobs, until stopped
    (SIGTERM/Ctrl-C)."""
    config = settings()
    logs.configure(config.log_format)
    db = database()  # migrations applied once, before any worker starts
    stop = threading.Event()
    courses: list[int] = []
    thread = threading.Thread(target=lambda: courses.append(course_jobs.work(db, config, stop, once=once)),
                              name="leads-course-jobs", daemon=True)
    thread.start()
    try:
        n = runner.run(config, issuer, once=once, concurrency=concurrency, schedule=scheduled_jobs)
    finally:
        if not once:
            stop.set()
        thread.join()
        db.engine.dispose()
    if once:
        typer.echo(f"worked {n} job(s), {sum(courses)} course job(s)")
