"""How long finished award work is kept: done jobs and LMS event receipts go ``keep`` after they were done
(``LEADS_AWARDS_KEEP_DONE_DAYS``, 30).

A 100,000-learner course leaves 400,000 done issue jobs, as many PDF jobs and a receipt per grade event; nothing
reads them once done, yet every backup carried them and the queue's index grew with them. What stays: queued,
running and failed jobs (an operator acts on those), EDC jobs (their payload names the learner's EDC, which the
learner's page links), and the record itself — grade events, awards, credentials. A receipt only has to outlive
an LMS's redeliveries of the same event (hours) and the signed timestamp's window (a day at most), so an old one
stops nothing.

Workers clean between batches, when the queue is empty, a chunk at a time (``SKIP LOCKED`` on PostgreSQL, so two
workers never wait for each other): issuing is never slowed by it, and nothing needs scheduling.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, tuple_

from bridge.awards.tables import Job, WebhookReceipt
from bridge.db import Database

CHUNK = 5_000


@dataclass(frozen=True)
class Cleaned:
    jobs: int
    receipts: int
    limit: int = CHUNK

    def more(self) -> bool:
        """A full chunk was removed: there may be more."""
        return self.jobs >= self.limit or self.receipts >= self.limit


def clean_up(db: Database, keep: timedelta, now: datetime, limit: int = CHUNK) -> Cleaned:
    """Remove up to ``limit`` done jobs (not EDC) and as many receipts older than ``now - keep``: one statement
    each."""
    cutoff = now - keep
    old_jobs = select(Job.id).where(Job.state == "done", Job.kind != "edc", Job.done_at < cutoff).limit(limit)
    if not db.is_sqlite:
        old_jobs = old_jobs.with_for_update(skip_locked=True)
    old_receipts = (select(WebhookReceipt.source, WebhookReceipt.event_id)
                    .where(WebhookReceipt.received_at < cutoff).limit(limit))
    with db.session() as session:
        jobs = session.execute(delete(Job).where(Job.id.in_(old_jobs.scalar_subquery()))
                               .execution_options(synchronize_session=False))
        receipts = session.execute(delete(WebhookReceipt).where(
            tuple_(WebhookReceipt.source, WebhookReceipt.event_id).in_(old_receipts))
            .execution_options(synchronize_session=False))
    return Cleaned(int(jobs.rowcount), int(receipts.rowcount), limit)  # type: ignore[attr-defined]
