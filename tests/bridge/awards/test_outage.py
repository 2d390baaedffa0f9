"""A database outage (a restart, a failover, ``max_connections`` reached) does not end a worker loop: it waits, tries
again with growing pauses, and issues what was queued once the database is back. A loop that ended there would be
restarted under ``leads worker --concurrency N`` (test_supervisor.py), but a child that dies young five times stops
the command: an outage of a minute must not look like a broken configuration."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from bridge.awards import service
from bridge.awards.service import GradeInput
from bridge.awards.tables import Award
from bridge.awards.worker import Worker
from bridge.dataspace import service as dataspace
from bridge.db import Database, make_database, upgrade
from tests.bridge.awards import fakes
from tests.bridge.awards.workers import wait
from tests.conftest import _postgres_database, refuse_connections

STACK = "glam-archive-to-commons-certificate"


@pytest.fixture
def own_db() -> Iterator[tuple[Database, str]]:
    """A database of its own: the test refuses every connection to it, which must not reach other tests."""
    for url in _postgres_database():
        db = make_database(url)
        upgrade(db)
        dataspace.store(db, dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET))
        fakes.reset(db)
        yield db, url
        db.engine.dispose()


def _grades(db: Database, learners: range) -> None:
    with db.session() as session:
        service.record_all(session, service.load_rules(session), [
            GradeInput(source="outage", learner=f"learner-{i}", learner_name=f"Learner {i}", design=STACK,
                       assessment="glam-as-rights-quiz", score=9, maximum=10) for i in learners])


def _issued(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Award)
                                .where(Award.state == "issued")).scalar_one())


@pytest.mark.postgres
@pytest.mark.parametrize("idle", [0.05, 0.0])  # an idle pause of 0 must not turn into a tight loop of connects
def test_a_worker_loop_outlives_a_database_outage_and_issues_what_was_queued_after_it(
    own_db: tuple[Database, str], caplog: pytest.LogCaptureFixture, idle: float,
) -> None:
    db, url = own_db
    _grades(db, range(3))
    worker = Worker(db, fakes.TableIssuer(db), batch=5)
    stop, failure = threading.Event(), []

    def loop() -> None:
        try:
            worker.run(stop, idle=idle)
        except BaseException as exc:  # what ended the loop, for the assertion below
            failure.append(exc)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        wait(lambda: _issued(db) == 3, 30, "the first awards")
        with caplog.at_level(logging.WARNING, logger="leads.awards.worker"):
            refuse_connections(url, True)
            try:
                wait(lambda: any("database is unavailable" in r.getMessage() for r in caplog.records), 30,
                      "the worker to notice the outage")
                time.sleep(1.0)  # several tries while the database refuses
                assert thread.is_alive() and not failure, failure
            finally:
                refuse_connections(url, False)
        _grades(db, range(3, 6))
        wait(lambda: _issued(db) == 6, 30, "the awards queued after the outage")
        assert thread.is_alive() and not failure, failure
        pauses = [r.getMessage() for r in caplog.records if "database is unavailable" in r.getMessage()]
        assert 2 <= len(pauses) <= 8, pauses  # it tried again, with growing pauses, not in a tight loop
        assert fakes.count_calls(db) == 6  # each award signed once
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive() and not failure, failure
