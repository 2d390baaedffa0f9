"""``leads serve``: the web application under uvicorn."""

from __future__ import annotations

import typer

from bridge.app import LOG_SETUP_ENV
from bridge.ops import logs
from bridge.settings import get_settings
from bridge.startup import prepare


def serve(
    host: str = typer.Option(None, help="Interface to bind (default LEADS_HOST, 127.0.0.1)"),
    port: int = typer.Option(None, help="Port (default LEADS_PORT, 8000)"),
    workers: int = typer.Option(1, help="Worker processes"),
    reload: bool = typer.Option(False, help="Reload on code changes (development)"),
) -> None:
    """Start the web application (migrations and the sample data space are applied first)."""
    import os

    from bridge.web import serving

    settings = get_settings()
    logs.configure(settings.log_format)
    os.environ[LOG_SETUP_ENV] = "1"  # each uvicorn worker process sets up the same logging
    prepare(settings)  # once, before workers fork, so they never race on migrations
    serving.run("bridge.app:create_app", factory=True, host=host or settings.host, port=port or settings.port,
                workers=workers, reload=reload, log_config=None)


def migrate() -> None:
    """Apply the database migrations (and the sample data space when enabled), then exit: the deployment's one-off
    job before web and worker replicas start (they would do it too, one at a time under a lock)."""
    prepare(get_settings()).engine.dispose()
    typer.echo("database at the latest revision")
