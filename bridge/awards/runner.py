"""Running workers: one loop per process (signing is CPU work, so concurrency means processes, not threads).

SIGTERM and SIGINT stop a loop after the job in hand; SIGKILL loses nothing either (leases expire).
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from collections.abc import Callable
from datetime import timedelta
from types import FrameType
from typing import Protocol

from bridge import memory
from bridge.awards.config import AwardSettings
from bridge.awards.credential_adapters import CertificatePdfRenderer, CredentialsServiceIssuer
from bridge.awards.issuer_port import Issuer, load_issuer
from bridge.awards.mail import SmtpMailer
from bridge.awards.supervisor import Supervisor
from bridge.awards.worker import Worker
from bridge.credentials.api import CredentialService
from bridge.db import Database, make_database
from bridge.errors import LeadsError
from bridge.settings import Settings
from issuer.canon import enable_crosscheck, set_default_canonicaliser

log = logging.getLogger("leads.awards.worker")


class Started(Protocol):
    def stop(self) -> None: ...


#: Starts the scheduled jobs in a worker process (``bridge.scheduling.jobs.start``, handed down by ``leads worker``:
#: scheduling sits above awards); a module-level function, so spawned processes can receive it.
Schedule = Callable[[Database, Settings], Started]


def make_worker(db: Database, cfg: AwardSettings, settings: Settings, issuer_spec: str | None = None) -> Worker:
    spec = issuer_spec or cfg.issuer
    credentials = CredentialService(db, settings)
    issuer: Issuer = CredentialsServiceIssuer(credentials) if spec == "credentials" else load_issuer(spec, db)
    pdf = CertificatePdfRenderer(credentials) if cfg.prerender_pdf and spec == "credentials" else None
    mailer = None if not cfg.smtp_host else SmtpMailer(
        cfg.smtp_host, cfg.smtp_port, cfg.smtp_user, cfg.smtp_password, cfg.smtp_starttls)
    return Worker(db=db, issuer=issuer, lease=timedelta(seconds=cfg.lease_seconds),
                  batch=cfg.batch, backoff_base=cfg.backoff_base_seconds, backoff_max=cfg.backoff_max_seconds,
                  pdf=pdf, mailer=mailer, mail_from=cfg.mail_from, base_url=settings.base_url,
                  keep_done=timedelta(days=cfg.keep_done_days))


def run_loop(settings: Settings, issuer_spec: str | None, once: bool, install_signals: bool = True,
             schedule: Schedule | None = None) -> int:
    """One worker loop on its own engine; returns the number of jobs it claimed."""
    # a spawned worker process starts without the parent's logging: its jobs and scheduled runs would go unlogged
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # font subsetting says forty lines a PDF at INFO
    cfg = settings.awards
    set_default_canonicaliser(settings.canonicaliser)  # a spawned worker process configures issuer/ itself
    if settings.canon_crosscheck:
        enable_crosscheck(True)
    db = make_database(settings.effective_database_url, **settings.database_pool)
    stop = threading.Event()
    if install_signals:
        def _stop(_sig: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    scheduler = None if once or schedule is None else schedule(db, settings)  # LEADS_SCHEDULED_JOBS, leased
    try:
        worker = make_worker(db, cfg, settings, issuer_spec)
        if not once:  # a long-running loop: what make_worker loaded (keys, contexts, the data space) stays
            memory.settle()
        log.info("worker %s started (issuer %s)", worker.name, issuer_spec or cfg.issuer)
        return worker.run(stop, idle=cfg.idle_seconds, once=once)
    finally:
        if scheduler is not None:
            scheduler.stop()
        db.engine.dispose()


def run(settings: Settings, issuer_spec: str | None = None, *, once: bool = False, concurrency: int = 1,
        schedule: Schedule | None = None) -> int:
    """``concurrency`` worker processes (PostgreSQL only); SQLite allows one writer, so one worker."""
    if concurrency < 1:
        raise LeadsError("--concurrency must be at least 1", code="invalid_option")
    if concurrency > 1 and not settings.effective_database_url.startswith(("postgresql", "postgres")):
        raise LeadsError("SQLite runs one worker at a time; use --concurrency 1, or PostgreSQL "
                         "(LEADS_DATABASE_URL) for more", code="invalid_option")
    if concurrency == 1:
        return run_loop(settings, issuer_spec, once, schedule=schedule)
    ctx = multiprocessing.get_context("spawn")
    supervisor = Supervisor(lambda i: ctx.Process(target=run_loop, args=(settings, issuer_spec, once, True, schedule),
                                                  name=f"leads-worker-{i}"), concurrency, once=once)

    def _forward(_sig: int, _frame: FrameType | None) -> None:
        supervisor.stop()

    signal.signal(signal.SIGTERM, _forward)
    signal.signal(signal.SIGINT, _forward)
    failed = supervisor.run()
    if failed:
        raise LeadsError(f"worker process(es) {', '.join(failed)} stopped with an error; see the log",
                         code="worker_failed", status=500)
    return 0
