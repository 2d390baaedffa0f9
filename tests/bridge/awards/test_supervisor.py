"""``leads worker --concurrency N`` keeps N processes: a child that dies is started again after a pause, one that keeps
dying at start stops the command, ``--once`` restarts nothing. First with stdlib children (fast, every branch), then
the real command on PostgreSQL with a signing child SIGKILLed mid-batch."""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.process import BaseProcess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bridge.awards.supervisor import Supervisor, describe
from bridge.awards.tables import Award
from bridge.db import Database
from tests.bridge.awards import children
from tests.bridge.awards.workers import issue_jobs, issued_once, prepare, queue, scalar, start, wait

SPAWN = multiprocessing.get_context("spawn")


def _pids(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _maker(path: Path, *targets: Callable[[str], None]) -> Callable[[int], BaseProcess]:
    """Child ``i`` runs ``targets[i]`` (the last one for the rest)."""
    def make(i: int) -> BaseProcess:
        target = targets[min(i, len(targets) - 1)]
        return SPAWN.Process(target=target, args=(str(path),), name=f"leads-worker-{i}")
    return make


@contextmanager
def _running(supervisor: Supervisor) -> Iterator[list[list[str]]]:
    """``run`` in a thread (signal handlers are the command's business, not the supervisor's); stopped at the end."""
    result: list[list[str]] = []
    thread = threading.Thread(target=lambda: result.append(supervisor.run()), daemon=True)
    thread.start()
    try:
        yield result
    finally:
        supervisor.stop()
        thread.join(30)
        assert not thread.is_alive(), "the supervisor did not stop"


def test_describe_says_how_a_process_ended_in_words() -> None:
    assert describe(-signal.SIGKILL) == "killed by SIGKILL"
    assert describe(3) == "exit code 3"
    assert describe(None) == "still running"


def test_a_killed_child_is_started_again_and_stop_ends_every_child(tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    pids = tmp_path / "pids"
    supervisor = Supervisor(_maker(pids, children.serve), 2, pause=0.05)
    with caplog.at_level(logging.INFO, "leads.awards.worker"), _running(supervisor) as result:
        wait(lambda: len(_pids(pids)) == 2, 30, "two children")
        first, second = _pids(pids)
        os.kill(first, signal.SIGKILL)
        wait(lambda: len(_pids(pids)) == 3, 30, "the killed child's successor")
        assert _alive(second) and _alive(_pids(pids)[2]) and supervisor.restarts == 1
    assert result == [[]], "stopped as asked: no failure"
    assert not any(_alive(pid) for pid in _pids(pids))
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and re.fullmatch(r"worker process leads-worker-[01] stopped \(killed by SIGKILL\) after "
                                             r"[0-9.]+ s; a new one starts in 0\.05 s", errors[0]), errors


def test_a_child_dying_young_again_and_again_stops_the_others_and_fails(tmp_path: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    pids = tmp_path / "pids"
    supervisor = Supervisor(_maker(pids, children.crash, children.serve), 2, pause=0.01, give_up=4)
    with caplog.at_level(logging.INFO, "leads.awards.worker"), _running(supervisor) as result:
        wait(lambda: bool(result), 30, "the supervisor to give up")
    assert result == [["leads-worker-0"]]
    assert len(_pids(pids)) == 2 + 3, "the crashing child was started four times, the other once"
    assert not any(_alive(pid) for pid in _pids(pids)), "the healthy child was stopped too"
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert [re.sub(r"after [0-9.]+ s", "after … s", m) for m in errors[:3]] == [
        f"worker process leads-worker-0 stopped (exit code 3) after … s; a new one starts in {pause} s"
        for pause in ("0.01", "0.02", "0.04")]
    assert errors[-1] == ("worker process leads-worker-0 stopped (exit code 3) 4 times in a row, each within 60 s of "
                          "starting: giving up and stopping the others")


def test_the_pause_doubles_with_each_death_in_a_row(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    pids = tmp_path / "pids"
    supervisor = Supervisor(_maker(pids, children.crash), 1, pause=0.1, pause_max=0.3, give_up=5)
    with caplog.at_level(logging.INFO, "leads.awards.worker"), _running(supervisor) as result:
        wait(lambda: bool(result), 30, "the supervisor to give up")
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert [m.split("starts in ")[1] for m in errors[:-1]] == ["0.1 s", "0.2 s", "0.3 s", "0.3 s"]
    assert result == [["leads-worker-0"]] and len(_pids(pids)) == 5


def test_a_child_that_lived_long_enough_starts_its_count_again(tmp_path: Path) -> None:
    """With ``healthy`` 0 every death is the first of its row: the child is restarted, however often it dies."""
    pids = tmp_path / "pids"
    supervisor = Supervisor(_maker(pids, children.crash_six_times), 1, pause=0.01, healthy=0.0, give_up=2)
    with _running(supervisor) as result:
        wait(lambda: len(_pids(pids)) == 7, 30, "six restarts")
    assert result == [[]] and supervisor.restarts == 6


def test_once_restarts_nothing_and_reports_the_child_that_failed(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    assert Supervisor(_maker(pids, children.finish), 3, once=True, pause=0.01).run() == []
    assert len(_pids(pids)) == 3
    pids.unlink()
    supervisor = Supervisor(_maker(pids, children.finish, children.crash), 2, once=True, pause=0.01)
    assert supervisor.run() == ["leads-worker-1"]
    assert len(_pids(pids)) == 2 and supervisor.restarts == 0


def test_stop_during_a_pause_starts_nothing_more(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    supervisor = Supervisor(_maker(pids, children.crash), 1, pause=30.0)
    with _running(supervisor) as result:
        wait(lambda: len(_pids(pids)) == 1, 30, "the first child")
        time.sleep(0.3)  # it died and waits out its 30 s pause
    assert result == [[]] and len(_pids(pids)) == 1


# --- the real command -------------------------------------------------------------------------------------------


def _worker_children(parent: int) -> list[int]:
    """The signing children of ``leads worker`` (not multiprocessing's resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return sorted(found)


@pytest.mark.parametrize("db", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_leads_worker_starts_a_sigkilled_child_again_and_issues_every_award_once(db: Database, postgres_url: str,
                                                                                tmp_path: Path) -> None:
    settings = prepare(db, tmp_path)
    queue(db, range(0, 100), "supervisor")
    total = scalar(db, select(func.count()).select_from(Award))
    assert total == 400
    log_path = tmp_path / "worker.log"
    with log_path.open("ab") as log:
        proc = start(postgres_url, settings.data_dir, log, concurrency=2, LEADS_AWARDS_LEASE_SECONDS="3.0",
                     LEADS_AWARDS_PRERENDER_PDF="false")
        try:
            wait(lambda: log_path.read_text().count("started (issuer") == 2, 90, "two worker processes")
            wait(lambda: issue_jobs(db, "running") > 0, 60, "a claimed batch")
            victim, survivor = _worker_children(proc.pid)
            os.kill(victim, signal.SIGKILL)  # with jobs in hand, most likely: they go back to the queue
            wait(lambda: log_path.read_text().count("started (issuer") == 3, 90, "the killed process's successor")
            wait(lambda: issue_jobs(db, "done") == total, 120, "the first batch")
            # the successor works: with the survivor frozen, only it can issue a second batch
            os.kill(survivor, signal.SIGSTOP)
            try:
                queue(db, range(100, 150), "supervisor")
                total += 200
                wait(lambda: issue_jobs(db, "done") == total, 120, "the second batch, by the successor alone")
            finally:
                os.kill(survivor, signal.SIGCONT)
            running = _worker_children(proc.pid)
            assert proc.poll() is None and len(running) == 2 and victim not in running and survivor in running
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    output = log_path.read_text()
    assert proc.returncode == 0, output[-3000:]
    assert re.search(r"worker process leads-worker-[01] stopped \(killed by SIGKILL\) after [0-9.]+ s; "
                     r"a new one starts in 1 s", output), output[-3000:]
    assert issued_once(db) == (total, total, total)
