"""The lease of a scheduled job, on SQLite and PostgreSQL: one holder per period, renewed while running, taken
over after a crash once it expires."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest
from sqlalchemy import select

from bridge.db import Database
from bridge.scheduling import leases
from bridge.scheduling.jobs import Scheduled, run_once
from bridge.scheduling.tables import ScheduledRun
from bridge.settings import Settings
from tests.conftest import refused_connection_error


def test_one_claim_per_period_and_the_next_period_is_claimable(db: Database) -> None:
    leases.ensure(db, "job")
    leases.ensure(db, "job")  # a second replica finds the row there
    assert leases.claim(db, "job", period=10, ttl=30, holder="a", now=100.0) == 10
    assert leases.claim(db, "job", period=10, ttl=30, holder="b", now=101.0) is None  # held
    leases.release(db, "job", 10, holder="a", now=102.0, outcome="ok")
    assert leases.claim(db, "job", period=10, ttl=30, holder="b", now=105.0) is None  # this period ran already
    assert leases.claim(db, "job", period=10, ttl=30, holder="b", now=110.0) == 11
    with db.session() as session:
        runs = session.execute(select(ScheduledRun.slot, ScheduledRun.holder, ScheduledRun.outcome)
                               .order_by(ScheduledRun.slot)).all()
    assert [tuple(r) for r in runs] == [(10, "a", "ok"), (11, "b", None)]


def test_a_crashed_holder_blocks_only_until_its_lease_expires(db: Database) -> None:
    leases.ensure(db, "job")
    assert leases.claim(db, "job", period=10, ttl=30, holder="dead", now=100.0) == 10
    assert leases.claim(db, "job", period=10, ttl=30, holder="b", now=125.0) is None  # still held (no renewal)
    assert leases.claim(db, "job", period=10, ttl=30, holder="b", now=131.0) == 13
    assert not leases.renew(db, "job", holder="dead", ttl=30, now=132.0)  # the lease is no longer the dead one's
    assert leases.renew(db, "job", holder="b", ttl=30, now=132.0)


def test_racing_replicas_run_a_period_once(db: Database, settings: Settings) -> None:
    ran: list[str] = []
    gate = threading.Barrier(4)

    def job(_db: Database, _settings: Settings) -> str:
        ran.append(threading.current_thread().name)
        return "ok"

    def replica(name: str) -> None:
        gate.wait()
        run_once(db, settings, Scheduled("race", job, 3600.0), holder=name, ttl=60, clock=lambda: 7200.5)

    threads = [threading.Thread(target=replica, args=(f"r{i}",), name=f"r{i}") for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ran) == 1


def test_a_failing_job_is_recorded_and_lets_the_lease_go(db: Database, settings: Settings) -> None:
    def broken(_db: Database, _settings: Settings) -> str:
        raise RuntimeError("registry away")

    outcome = run_once(db, settings, Scheduled("broken", broken, 10.0), holder="a", ttl=60, clock=lambda: 50.0)
    assert outcome is not None and "registry away" in outcome
    assert leases.claim(db, "broken", period=10, ttl=60, holder="b", now=60.0) == 6  # free for the next period


def test_the_lease_renewer_outlives_the_database_away_for_a_moment(db: Database, settings: Settings,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    """A renewal that meets the database away is tried again at the next beat: a renewer that ended there would let
    the lease lapse under a long job, and the next period could start beside it on another replica."""
    refused, real, calls = refused_connection_error(), leases.renew, []

    def away_twice(*args: Any, **kwargs: Any) -> bool:
        calls.append(1)
        if len(calls) <= 2:
            raise refused
        return real(*args, **kwargs)

    monkeypatch.setattr(leases, "renew", away_twice)
    with caplog.at_level(logging.WARNING, "leads.scheduled"):
        outcome = run_once(db, settings, Scheduled("long", lambda _db, _s: time.sleep(0.8) or "ok", 3600.0),
                           holder="a", ttl=0.3)
    assert outcome == "ok" and len(calls) >= 5, calls
    assert sum("could not renew its lease" in r.getMessage() for r in caplog.records) == 2
    assert not any("lost its lease" in r.getMessage() for r in caplog.records)


def test_every_period_waits_out_the_database_away(db: Database, settings: Settings,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """``leads … --every N`` (a loop under systemd or a container) goes on after a claim that met the database away;
    any other error still ends it."""
    from bridge.scheduling import jobs

    refused, answers = refused_connection_error(), iter(["away", "ran", "bug"])

    def once(*_args: Any, **_kwargs: Any) -> str | None:
        answer = next(answers)
        if answer == "away":
            raise refused
        if answer == "bug":
            raise ValueError("a fault of the job's code")
        return answer

    monkeypatch.setattr(jobs, "run_once", once)
    echoed: list[str] = []
    with pytest.raises(ValueError, match="a fault"):
        jobs.every_period(db, settings, "job", lambda _db, _s: "x", 0.01, echoed.append)
    assert echoed == ["ran"]
