"""Running workers: one loop per process (signing is CPU work, so concurrency means processes, not threads).

SIGTERM and SIGINT stop a loop after the job in hand; SIGKILL loses nothing either (leases expire).
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
from datetime import timedelta
from types import FrameType

from bridge.awards.config import AwardSettings
from bridge.awards.issuers import CertificatePdfRenderer
from bridge.awards.issuing import load_issuer
from bridge.awards.mail import SmtpMailer
from bridge.awards.worker import Worker
from bridge.db import Database, make_database
from bridge.errors import LeadsError

log = logging.getLogger("leads.awards.worker")


def make_worker(db: Database, cfg: AwardSettings, issuer_spec: str | None = None) -> Worker:
    from bridge.settings import get_settings

    settings = get_settings()
    pdf = CertificatePdfRenderer(db, settings) if cfg.prerender_pdf and (issuer_spec or cfg.issuer) == "credentials" \
        else None
    mailer = None if not cfg.smtp_host else SmtpMailer(
        cfg.smtp_host, cfg.smtp_port, cfg.smtp_user, cfg.smtp_password, cfg.smtp_starttls)
    return Worker(db=db, issuer=load_issuer(issuer_spec or cfg.issuer, db), lease=timedelta(seconds=cfg.lease_seconds),
                  batch=cfg.batch, backoff_base=cfg.backoff_base_seconds, backoff_max=cfg.backoff_max_seconds,
                  pdf=pdf, mailer=mailer, mail_from=cfg.mail_from, base_url=settings.base_url)


def run_loop(url: str, issuer_spec: str | None, once: bool, install_signals: bool = True) -> int:
    """One worker loop on its own engine; returns the number of jobs it claimed."""
    # a spawned worker process starts without the parent's logging: its jobs and scheduled runs would go unlogged
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # font subsetting says forty lines a PDF at INFO
    cfg = AwardSettings()
    db = make_database(url)
    stop = threading.Event()
    if install_signals:
        def _stop(_sig: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    from bridge.scheduling.jobs import Scheduler
    from bridge.settings import get_settings

    scheduler = None if once else Scheduler(db, get_settings()).start()  # LEADS_SCHEDULED_JOBS, leased
    try:
        worker = make_worker(db, cfg, issuer_spec)
        log.info("worker %s started (issuer %s)", worker.name, issuer_spec or cfg.issuer)
        return worker.run(stop, idle=cfg.idle_seconds, once=once)
    finally:
        if scheduler is not None:
            scheduler.stop()
        db.engine.dispose()


def run(url: str, issuer_spec: str | None = None, *, once: bool = False, concurrency: int = 1) -> int:
    """``concurrency`` worker processes (PostgreSQL only); SQLite allows one writer, so one worker."""
    if concurrency < 1:
        raise LeadsError("--concurrency must be at least 1", code="invalid_option")
    if concurrency > 1 and not url.startswith(("postgresql", "postgres")):
        raise LeadsError("SQLite runs one worker at a time; use --concurrency 1, or PostgreSQL "
                         "(LEADS_DATABASE_URL) for more", code="invalid_option")
    if concurrency == 1:
        return run_loop(url, issuer_spec, once)
    ctx = multiprocessing.get_context("spawn")
    children = [ctx.Process(target=run_loop, args=(url, issuer_spec, once), name=f"leads-worker-{i}")
                for i in range(concurrency)]
    for child in children:
        child.start()

    def _forward(sig: int, _frame: FrameType | None) -> None:
        for child in children:
            if child.pid is not None and child.is_alive():
                child.terminate()

    signal.signal(signal.SIGTERM, _forward)
    signal.signal(signal.SIGINT, _forward)
    for child in children:
        child.join()
    failed = [c.name for c in children if c.exitcode not in (0, -signal.SIGTERM)]
    if failed:
        raise LeadsError(f"worker process(es) {', '.join(failed)} stopped with an error; see the log",
                         code="worker_failed", status=500)
    return 0
