"""The course job queue: one claim per job, an expired lease is taken over, finished jobs are cleaned up, and the
loop outlives the database being away."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import OperationalError

from bridge.courses import jobs
from bridge.courses.tables import CourseJob
from bridge.db import Database, make_database, upgrade
from bridge.errors import NotFound
from tests.bridge.awards.workers import wait
from tests.conftest import _postgres_database, refuse_connections, refused_connection_error


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


def test_a_job_cut_short_is_taken_again_by_its_own_worker_at_once(db: Database) -> None:
    """Its loop claims only between jobs, so a job still running under its name was cut short (the database went
    away under it): no waiting out the 15-minute lease; another worker still waits."""
    job_id = jobs.enqueue(db, "design", "target")
    assert jobs.claim(db, "a") == job_id
    assert jobs.claim(db, "b") is None
    assert jobs.claim(db, "a") == job_id


def test_the_database_away_during_a_job_leaves_it_to_run_again_not_failed(db: Database, settings: object,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from bridge.courses import service
    from bridge.settings import Settings

    assert isinstance(settings, Settings)
    monkeypatch.setattr(settings.courses, "targets", '{"t": {"lms": "moodle", "url": "https://m.example.org", '
                                                     '"token": "x"}}')
    refused = refused_connection_error()

    def away(*_args: object, **_kwargs: object) -> None:
        raise refused

    monkeypatch.setattr(service, "load_outline", away)
    job_id = jobs.enqueue(db, "design", "t")
    assert jobs.claim(db, "w") == job_id
    with pytest.raises(OperationalError):
        jobs.run(db, settings, job_id)
    assert jobs.get(db, job_id)["status"] == "running"  # not "failed": the page keeps waiting, the loop retries
    assert jobs.claim(db, "w") == job_id


@pytest.fixture
def own_postgres() -> Iterator[tuple[Database, str]]:
    """A database of its own: the test refuses every connection to it, which must not reach other tests."""
    for url in _postgres_database():
        db = make_database(url)
        upgrade(db)
        yield db, url
        db.engine.dispose()


@pytest.mark.postgres
def test_the_loop_outlives_a_database_outage_and_runs_the_jobs_queued_after_it(
    own_postgres: tuple[Database, str], settings: object, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``leads worker`` runs this loop in a thread nobody restarts: a database restart must not end course
    generation for the life of the process."""
    from bridge.settings import Settings

    assert isinstance(settings, Settings)
    monkeypatch.setattr(settings.courses, "targets", "{}")  # every job fails visibly at once: enough to see it run
    db, url = own_postgres
    stop = threading.Event()
    ran: list[int] = []
    thread = threading.Thread(target=lambda: ran.append(jobs.work(db, settings, stop, idle=0.05)), daemon=True)
    with caplog.at_level(logging.WARNING, "leads.courses.jobs"):
        thread.start()
        try:
            time.sleep(0.3)
            refuse_connections(url, True)
            try:
                wait(lambda: any("database is unavailable" in r.getMessage() for r in caplog.records), 30,
                     "the loop to meet the outage")
            finally:
                refuse_connections(url, False)
            job_id = jobs.enqueue(db, "design", "nowhere")
            wait(lambda: jobs.get(db, job_id)["status"] == "failed", 30, "the job queued after the outage")
            assert thread.is_alive()
        finally:
            stop.set()
            thread.join(30)
    assert ran == [1]
