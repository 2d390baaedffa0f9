"""The scheduled jobs and the loop that runs them in any process (web or worker) once per period, cluster-wide.

Each job is a function of the database and the settings that returns a one-line summary; the registry below names
them as ``LEADS_SCHEDULED_JOBS`` does. ``Scheduler`` is a daemon thread: every tick it tries to claim each enabled
job's current period (``leases.claim``) and runs the ones it won, renewing the lease while a job runs. Enabling the
jobs in every replica is safe and is the documented shape (docs/deploy.md, "Many machines").
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from bridge.awards.api import AgsTarget, lti_reader_for, lti_roster_for, poll_targets
from bridge.credentials.api import CredentialService, Verifier
from bridge.db import Database, outage, outage_words
from bridge.errors import LeadsError
from bridge.ltitool.api import LtiTool
from bridge.pool.api import PoolVerifier, recheck, tidy
from bridge.scheduling import leases
from bridge.settings import Settings

log = logging.getLogger("leads.scheduled")

JobFn = Callable[[Database, Settings], str]


def ags_poll(db: Database, settings: Settings) -> str:
    """Grade intake by LTI AGS from every course that launched LEADS (incremental per context)."""
    with db.session() as session:
        if session.scalar(select(AgsTarget.context).limit(1)) is None:
            return "nothing to poll: no course is known yet"  # a quiet period, not a failure
    tool = LtiTool(settings, db)
    try:
        reports = poll_targets(db, lti_reader_for(tool), cfg=settings.awards, roster_for=lti_roster_for(tool))
    finally:
        tool.close()
    return "; ".join(r.text() for r in reports.values()) or "no course is known yet"


def pool_recheck(db: Database, settings: Settings) -> str:
    """Re-verify every credential in the public pool (each status list fetched once per pass), then delete the
    profiles left empty too long (``bridge.pool.retention``)."""
    inner = Verifier(CredentialService(db, settings))
    try:
        summary = recheck(db, PoolVerifier(inner, settings.pool_trust),
                          retry_seconds=settings.pool_recheck_retry_seconds).summary()
    finally:
        inner.close()
    return f"{summary}; {tidy(db, datetime.now(UTC), settings.pool_keep_empty).text()}"


def registry_refresh(db: Database, settings: Settings) -> str:
    """Fetch the configured issuer registries again."""
    verifier = Verifier(CredentialService(db, settings))
    try:
        states = verifier.trust.refresh()
    finally:
        verifier.close()
    return "; ".join(f"{s.source.name}: {'NOT refreshed' if s.error else len(s.entries)}" for s in states) \
        or "no registries configured"


JOBS: dict[str, JobFn] = {"ags-poll": ags_poll, "pool-recheck": pool_recheck, "registry-refresh": registry_refresh}


def period_of(name: str, settings: Settings) -> float:
    return float({"ags-poll": settings.schedule_ags_poll_seconds,
                  "pool-recheck": settings.schedule_pool_recheck_seconds,
                  "registry-refresh": settings.schedule_registry_refresh_seconds}[name])


@dataclass
class Scheduled:
    name: str
    fn: JobFn
    period: float


def enabled(settings: Settings) -> list[Scheduled]:
    names = [n.strip() for n in settings.scheduled_jobs.split(",") if n.strip()]
    unknown = sorted(set(names) - set(JOBS))
    if unknown:
        raise LeadsError(f"LEADS_SCHEDULED_JOBS names unknown job(s) {', '.join(unknown)}; known: "
                         f"{', '.join(JOBS)}", code="invalid_setting")
    return [Scheduled(n, JOBS[n], period_of(n, settings)) for n in dict.fromkeys(names)]


def run_once(db: Database, settings: Settings, job: Scheduled, *, holder: str, ttl: float,
             clock: leases.Clock = time.time) -> str | None:
    """Run ``job`` if this process wins its current period; returns its summary, or None when it did not run."""
    leases.ensure(db, job.name)
    slot = leases.claim(db, job.name, period=job.period, ttl=ttl, holder=holder, now=clock())
    if slot is None:
        return None
    done = threading.Event()

    def keep_alive() -> None:
        while not done.wait(ttl / 3):
            try:
                held = leases.renew(db, job.name, holder=holder, ttl=ttl, now=clock())
            except Exception as exc:  # the database away for a moment: renew at the next beat, or the lease lapses
                log.warning("scheduled job %s could not renew its lease (%s); trying again in %.1f s", job.name,
                            getattr(exc, "orig", None) or exc, ttl / 3)
                continue
            if not held:
                log.warning("scheduled job %s lost its lease while running", job.name)
                return

    renewer = threading.Thread(target=keep_alive, name=f"lease-{job.name}", daemon=True)
    renewer.start()
    outcome = "failed"
    try:
        outcome = job.fn(db, settings)
        log.info("scheduled job %s ran (period %d) in %s: %s", job.name, slot, holder, outcome)
        return outcome
    except Exception as exc:  # a failing job must not stop the loop (nor the web process it runs in)
        outcome = f"failed: {exc!r}"
        log.exception("scheduled job %s failed (period %d)", job.name, slot)
        return outcome
    finally:
        done.set()
        renewer.join()
        leases.release(db, job.name, slot, holder=holder, now=clock(), outcome=outcome)


class Scheduler:
    """A daemon thread running the enabled jobs; ``stop()`` ends it after the job in hand."""

    def __init__(self, db: Database, settings: Settings, jobs: list[Scheduled] | None = None) -> None:
        self.db, self.settings = db, settings
        self.jobs = enabled(settings) if jobs is None else jobs
        self.holder = leases.holder_name()
        self.ttl = float(settings.schedule_lease_seconds)
        self.tick = min([5.0, *(j.period / 4 for j in self.jobs)])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="leads-scheduler", daemon=True)

    def start(self) -> Scheduler:
        if self.jobs and not logging.getLogger().handlers and not log.handlers:
            # under uvicorn only its own loggers are configured: the runs must still show in the process's log
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
            log.addHandler(handler)
            log.setLevel(logging.INFO)
        if self.jobs:
            log.info("scheduled jobs in %s: %s", self.holder, ", ".join(j.name for j in self.jobs))
            self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            for job in self.jobs:
                if self._stop.is_set():
                    return
                try:
                    run_once(self.db, self.settings, job, holder=self.holder, ttl=self.ttl)
                except Exception:  # the database away for a moment: try again next tick
                    log.exception("scheduled job %s could not be claimed", job.name)
            self._stop.wait(self.tick)


def every_period(db: Database, settings: Settings, name: str, fn: JobFn, period: float,
                 echo: Callable[[str], object]) -> None:
    """``leads … --every N``: the job each period this process wins, until stopped (Ctrl-C / SIGTERM)."""
    job = Scheduled(name, fn, period)
    holder, ttl = leases.holder_name(), float(settings.schedule_lease_seconds)
    while True:
        try:
            summary = run_once(db, settings, job, holder=holder, ttl=ttl)
        except Exception as exc:  # the claim or the release met the database away: the next beat tries again
            kind = outage(exc)
            if kind is None:
                raise
            log.warning("scheduled job %s: %s; trying again", name, outage_words(kind, exc))
            summary = None
        if summary is not None:
            echo(summary)
        time.sleep(min(5.0, period / 4))


def start(db: Database, settings: Settings) -> Scheduler:
    """The enabled scheduled jobs of one process, started (a worker process is handed this by ``leads worker``)."""
    return Scheduler(db, settings).start()
