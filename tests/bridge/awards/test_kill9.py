"""kill -9: `leads worker` issuing a 1,000-award batch on PostgreSQL with the real credential service is
SIGKILLed mid-batch, several times, started again, and in the end every award has exactly one signed
credential — 0 lost, 0 duplicated."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bridge.awards.tables import Award, Job
from bridge.db import Database
from tests.bridge.awards.workers import issue_jobs, issued_once, prepare, queue, scalar, start, wait

LEARNERS = 250  # × (3 micro-credentials + the stack) = 1,000 awards
KILLS = 4


@pytest.mark.parametrize("db", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_kill_9_mid_batch_loses_nothing_and_duplicates_nothing(db: Database, postgres_url: str,
                                                               tmp_path: Path) -> None:
    settings = prepare(db, tmp_path)
    queue(db, range(LEARNERS), "kill9")
    total = scalar(db, select(func.count()).select_from(Award))
    assert total == 1000 and issue_jobs(db, "queued") == 1000

    log_path = tmp_path / "worker.log"
    rng = random.Random(9)
    kills: list[str] = []
    with log_path.open("ab") as log:
        for n in range(KILLS):
            before = issue_jobs(db, "done")
            proc = start(postgres_url, settings.data_dir, log)
            # into the batch: jobs finished since it started, and jobs claimed and in hand (some signed already)
            wait(lambda before=before: issue_jobs(db, "done") >= before + 5 and issue_jobs(db, "running") > 0, 90,
                 f"worker run {n + 1} to make progress")
            time.sleep(rng.uniform(0.0, 0.3))
            wait(lambda: issue_jobs(db, "running") > 0, 30, "a claimed batch")  # kill with jobs in hand
            in_hand = issue_jobs(db, "running")
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(10) == -signal.SIGKILL
            kills.append(f"kill {n + 1}: {issue_jobs(db, 'done')}/1000 done, {in_hand} claimed and in hand")
        assert issue_jobs(db, "done") < total, "the batch finished before the last kill; nothing was tested"
        proc = start(postgres_url, settings.data_dir, log, concurrency=2)  # restarted: two processes
        try:
            wait(lambda: issue_jobs(db, "done") == total, 240, "the restarted workers to finish the batch")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    assert proc.returncode == 0, log_path.read_text()[-3000:]

    matched, credentials, slots = issued_once(db)
    with db.engine.connect() as conn:
        rerun = conn.execute(text("SELECT count(*) FROM jobs WHERE attempts > 1")).scalar_one()
    lost = total - matched
    duplicated = (credentials - matched) + (credentials - slots)
    for line in kills:
        print(line)
    print(f"kill -9 test: {total} awards, {KILLS} SIGKILLs, {credentials} signed credentials, lost {lost}, "
          f"duplicated {duplicated}, {rerun} job(s) ran again after a kill")
    assert (lost, duplicated) == (0, 0)
    assert issue_jobs(db, "failed") == 0
    assert scalar(db, select(func.count()).select_from(Job).where(Job.state == "failed")) == 0  # PDF jobs too
