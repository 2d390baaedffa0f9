"""``leads serve``: the web application under uvicorn."""

from __future__ import annotations

import signal
import subprocess
import sys
from types import FrameType

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
    with_worker: bool = typer.Option(False, "--with-worker",
                                     help="Also run one award worker beside it (`make run`; in production "
                                          "`leads worker` runs on its own)"),
) -> None:
    """Start the web application (migrations and the sample data space are applied first)."""
    import os

    from bridge.web import serving

    settings = get_settings()
    logs.configure(settings.log_format)
    os.environ[LOG_SETUP_ENV] = "1"  # each uvicorn worker process sets up the same logging
    prepare(settings)  # once, before workers fork, so they never race on migrations
    worker = _start_worker() if with_worker else None
    if worker is not None:  # uvicorn re-raises the SIGTERM it stopped on: end through ``finally``, not SIG_DFL
        signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        serving.run("bridge.app:create_app", factory=True, host=host or settings.host, port=port or settings.port,
                    workers=workers, reload=reload, log_config=None)
    finally:
        if worker is not None:
            _stop(worker)


WORKER = "import sys; from bridge.cli import app; sys.argv[0] = 'leads'; app()"


def _start_worker() -> subprocess.Popen[bytes]:
    """``leads worker`` as a child process, so that earned certificates are signed on a single ``make run`` too
    (signing never runs in a web process); it inherits the settings and the terminal."""
    return subprocess.Popen([sys.executable, "-c", WORKER, "worker"])


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _stop(child: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """End the worker with the server: SIGTERM (it finishes its batch), then SIGKILL past ``timeout``."""
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def migrate() -> None:
    """Apply the database migrations (and the sample data space when enabled), then exit: the deployment's one-off
    job before web and worker replicas start (they would do it too, one at a time under a lock)."""
    prepare(get_settings()).engine.dispose()
    typer.echo("database at the latest revision")
