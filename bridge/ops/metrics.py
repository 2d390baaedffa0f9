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

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from bridge.awards.tables import Job, WorkerHeartbeat
from bridge.credentials.tables import StatusListRow
from bridge.db import Database
from bridge.db.base import aware
from bridge.metrics import CONTENT_TYPE

__all__ = ["CONTENT_TYPE", "StateCollector", "render"]


class StateCollector(Collector):
    """Gauges read from the database at scrape time: the award queue, status-list fill, worker heartbeats."""

    def __init__(self, db: Database, now: datetime | None = None) -> None:
        self.db = db
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
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
            oldest.add_metric([], max(0.0, (now - aware(first)).total_seconds()) if first else 0.0)
            failed.add_metric([], float(session.scalar(select(func.count()).select_from(Job)
                                                       .where(Job.state == "failed")) or 0))
            for row in session.execute(select(StatusListRow.issuer_slug, StatusListRow.purpose, StatusListRow.id,
                                              StatusListRow.allocated_count, StatusListRow.length)):
                fill.add_metric([row[0], row[1], row[2]], (row[3] or 0) / row[4] if row[4] else 0.0)
            last = session.scalar(select(func.max(WorkerHeartbeat.seen_at)))
            beat.add_metric([], (now - aware(last)).total_seconds() if last else -1.0)
        yield from (depth, oldest, failed, fill, beat)



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
