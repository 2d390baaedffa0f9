"""Prometheus metrics: counters and histograms the code moves as things happen, and gauges read from the database
when ``/metrics`` is scraped.

Events (requests, launches, verifications, issuance, revocations, job failures, Wikibase pushes, AGS polls) are
counted where they happen, in whichever process they happen: the web processes and the worker. With several
processes, ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess mode) makes every process write its
values to files in that directory and the scrape adds them up; it must be set, to the same empty directory, for
all of them before they start (``docs/operations.md``). State (the award queue, status-list fill, the worker's
heartbeat) is not counted at all but read from the database at scrape time, so it is right whichever process
answers and needs no multiprocess gauge.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from bridge.db import Database

CONTENT_TYPE = CONTENT_TYPE_LATEST

HTTP_REQUESTS = Counter("leads_http_requests", "HTTP requests answered", ["method", "route", "status"])
HTTP_SECONDS = Histogram("leads_http_request_duration_seconds", "Time to answer an HTTP request", ["method", "route"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
LTI_LAUNCHES = Counter("leads_lti_launches", "LTI launches by outcome (accepted, refused, error)", ["outcome"])
VERIFICATIONS = Counter("leads_verifications", "Credential verifications by verdict (verified, invalid, revoked, "
                        "suspended, expired, untrusted, unknown, error…)", ["outcome"])
VERIFY_SECONDS = Histogram("leads_verification_duration_seconds", "Time to verify one credential",
                           buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20))
ISSUED = Counter("leads_credentials_issued", "Credentials signed", ["format"])
REVOKED = Counter("leads_credentials_revoked", "Credentials revoked")
JOB_FAILURES = Counter("leads_award_job_failures", "Award jobs that failed an attempt (retried or given up)",
                       ["kind"])
WIKIBASE_SYNC = Counter("leads_wikibase_sync", "Wikibase pushes by outcome (ok, conflict, error)", ["outcome"])
WIKIBASE_ENTITIES = Counter("leads_wikibase_entities_written", "Entities created or updated on the Wikibase")
AGS_POLLS = Counter("leads_ags_polls", "AGS polls of one course by outcome (ok, failed)", ["outcome"])


def _verdict(report: Any) -> str:
    try:
        return "verified" if report.ok else str(report.verdict)
    except Exception:  # a report without a verdict is still counted
        return "unknown"


def count_verification(report: Any, seconds: float) -> None:
    VERIFICATIONS.labels(_verdict(report)).inc()
    VERIFY_SECONDS.observe(seconds)


class StateCollector(Collector):
    """Gauges read from the database at scrape time: the award queue, status-list fill, worker heartbeats."""

    def __init__(self, db: Database, now: datetime | None = None) -> None:
        self.db = db
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from bridge.awards.tables import Job
        from bridge.credentials.tables import StatusListRow
        from bridge.ops.tables import WorkerHeartbeat

        now = self.now or datetime.now(UTC)
        depth = GaugeMetricFamily("leads_award_queue_depth", "Award jobs waiting or running, by kind and state",
                                  labels=["kind", "state"])
        oldest = GaugeMetricFamily("leads_award_queue_oldest_age_seconds",
                                   "Age of the oldest award job not yet done (0: none)")
        failed = GaugeMetricFamily("leads_award_jobs_failed", "Award jobs that gave up (need an admin)")
        fill = GaugeMetricFamily("leads_status_list_fill_ratio", "Share of a status list's entries allocated",
                                 labels=["issuer", "purpose", "list"])
        beat = GaugeMetricFamily("leads_worker_heartbeat_age_seconds",
                                 "Seconds since the freshest award worker heartbeat (-1: never seen)")
        with self.db.session() as session:
            for kind, state, n in session.execute(
                    select(Job.kind, Job.state, func.count()).where(Job.state.in_(("queued", "running")))
                    .group_by(Job.kind, Job.state)):
                depth.add_metric([kind, state], float(n))
            first = session.scalar(select(func.min(Job.created_at)).where(Job.state.in_(("queued", "running"))))
            oldest.add_metric([], max(0.0, (now - _aware(first)).total_seconds()) if first else 0.0)
            failed.add_metric([], float(session.scalar(select(func.count()).select_from(Job)
                                                       .where(Job.state == "failed")) or 0))
            for row in session.execute(select(StatusListRow.issuer_slug, StatusListRow.purpose, StatusListRow.id,
                                              StatusListRow.allocated_count, StatusListRow.length)):
                fill.add_metric([row[0], row[1], row[2]], (row[3] or 0) / row[4] if row[4] else 0.0)
            last = session.scalar(select(func.max(WorkerHeartbeat.seen_at)))
            beat.add_metric([], (now - _aware(last)).total_seconds() if last else -1.0)
        yield from (depth, oldest, failed, fill, beat)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def render(db: Database) -> bytes:
    """The exposition: this process's (or, in multiprocess mode, every process's) counters, then the state."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        events = CollectorRegistry()
        MultiProcessCollector(events)  # type: ignore[no-untyped-call]
    else:
        events = REGISTRY
    state = CollectorRegistry(auto_describe=False)
    state.register(StateCollector(db))
    return generate_latest(events) + generate_latest(state)
