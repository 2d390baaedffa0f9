"""The course job queue: one claim per job, an expired lease is taken over, finished jobs are cleaned up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.courses import jobs
from bridge.courses.tables import CourseJob
from bridge.db import Database
from bridge.errors import NotFound


def test_a_job_is_claimed_once_and_an_expired_lease_is_taken_over(db: Database) -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    job_id = jobs.enqueue(db, "design", "target", now=lambda: t0)
    assert jobs.get(db, job_id)["status"] == "queued"
    assert jobs.claim(db, "a", now=lambda: t0) == job_id
    assert jobs.claim(db, "b", now=lambda: t0 + timedelta(minutes=1)) is None  # a holds the lease
    assert jobs.get(db, job_id)["status"] == "running"
    later = t0 + jobs.LEASE + timedelta(seconds=1)
    assert jobs.claim(db, "b", now=lambda: later) == job_id  # a died: b takes it over
    with db.session() as session:
        row = session.get(CourseJob, job_id)
        assert row is not None and row.worker == "b"


def test_finished_jobs_are_cleaned_after_keep(db: Database) -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    old, fresh = jobs.enqueue(db, "d", "t", now=lambda: t0), jobs.enqueue(db, "d", "t", now=lambda: t0)
    waiting = jobs.enqueue(db, "d", "t", now=lambda: t0)
    with db.session() as session:
        for job_id, when in ((old, t0), (fresh, t0 + jobs.KEEP)):
            row = session.get(CourseJob, job_id)
            assert row is not None
            row.status, row.updated_at = "done", when
    assert jobs.clean(db, now=lambda: t0 + jobs.KEEP + timedelta(minutes=1)) == 1
    with pytest.raises(NotFound):
        jobs.get(db, old)
    assert jobs.get(db, fresh)["status"] == "done" and jobs.get(db, waiting)["status"] == "queued"


def test_an_unknown_target_fails_the_job_visibly(db: Database, settings: object,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from bridge.settings import Settings

    assert isinstance(settings, Settings)
    monkeypatch.setattr(settings.courses, "targets", "{}")
    job_id = jobs.enqueue(db, "design", "nowhere")
    assert jobs.claim(db, "w") == job_id
    jobs.run(db, settings, job_id)
    job = jobs.get(db, job_id)
    assert job["status"] == "failed" and job["error"]["message"]
