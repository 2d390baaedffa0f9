"""kill -9: `leads worker` issuing a 1,000-award batch on PostgreSQL with the real credential service is
SIGKILLed mid-batch, several times, started again, and in the end every award has exactly one signed
credential — 0 lost, 0 duplicated."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy import func, select, text

from bridge.awards import service
from bridge.awards.service import GradeInput
from bridge.awards.tables import Award, Job
from bridge.dataspace import service as dataspace
from bridge.db import Database
from bridge.settings import Settings
from bridge.trust.organisations import IssuerDirectory

ROOT = Path(__file__).resolve().parents[3]
STACK = "glam-archive-to-commons-certificate"
LEARNERS = 250  # × (3 micro-credentials + the stack) = 1,000 awards
KILLS = 4


def _scalar(db: Database, stmt: Any) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def _jobs(db: Database, state: str) -> int:
    """Issue jobs in ``state`` (the PDF jobs that follow each issuance are not what this test counts)."""
    return _scalar(db, select(func.count()).select_from(Job).where(Job.state == state, Job.kind == "issue"))


def _start(url: str, data_dir: Path, log: IO[bytes], concurrency: int = 1) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LEADS_DATABASE_URL": url, "LEADS_DATA_DIR": str(data_dir), "LEADS_LOAD_SAMPLE": "false",
           "LEADS_BASE_URL": "http://testserver", "LEADS_AWARDS_ISSUER": "credentials",
           "LEADS_AWARDS_LEASE_SECONDS": "5.0", "LEADS_AWARDS_IDLE_SECONDS": "0.05", "LEADS_AWARDS_BATCH": "5",
           "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", "from bridge.cli import app; app()", "worker",
                             "--concurrency", str(concurrency)], cwd=ROOT, env=env, stdout=log, stderr=log)


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.mark.parametrize("db", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_kill_9_mid_batch_loses_nothing_and_duplicates_nothing(db: Database, postgres_url: str,
                                                               tmp_path: Path) -> None:
    dataspace.store(db, dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET))
    settings = Settings(data_dir=tmp_path / "var", base_url="http://testserver", load_sample=False)
    directory = IssuerDirectory(settings)
    directory.signer(directory.root)  # the key ring exists before any worker can be killed writing it
    with db.session() as session:
        rules = service.load_rules(session)
        service.record_many(session, rules, [
            GradeInput(source="kill9", learner=f"learner-{i:04d}", learner_name=f"Learner {i}", design=STACK,
                       assessment=assessment, score=score, maximum=100)
            for i in range(LEARNERS)
            for assessment, score in (("glam-as-rights-quiz", 80), ("glam-as-digitisation-portfolio", 65),
                                      ("glam-as-upload-project", 90))])
    total = _scalar(db, select(func.count()).select_from(Award))
    assert total == 1000 and _jobs(db, "queued") == 1000

    log_path = tmp_path / "worker.log"
    rng = random.Random(9)
    kills: list[str] = []
    with log_path.open("ab") as log:
        for n in range(KILLS):
            before = _jobs(db, "done")
            proc = _start(postgres_url, settings.data_dir, log)
            # into the batch: jobs finished since it started, and jobs claimed and in hand (some signed already)
            _wait(lambda before=before: _jobs(db, "done") >= before + 5 and _jobs(db, "running") > 0, 90,
                  f"worker run {n + 1} to make progress")
            time.sleep(rng.uniform(0.0, 0.3))
            _wait(lambda: _jobs(db, "running") > 0, 30, "a claimed batch")  # kill with jobs in hand
            in_hand = _jobs(db, "running")
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(10) == -signal.SIGKILL
            kills.append(f"kill {n + 1}: {_jobs(db, 'done')}/1000 done, {in_hand} claimed and in hand")
        assert _jobs(db, "done") < total, "the batch finished before the last kill; nothing was tested"
        proc = _start(postgres_url, settings.data_dir, log, concurrency=2)  # restarted: two processes
        try:
            _wait(lambda: _jobs(db, "done") == total, 240, "the restarted workers to finish the batch")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    assert proc.returncode == 0, log_path.read_text()[-3000:]

    with db.engine.connect() as conn:
        matched = conn.execute(text(
            "SELECT count(*) FROM awards a JOIN issued_credentials c ON c.award_id = a.id "
            "AND a.credential_id = 'urn:uuid:' || c.id "
            "WHERE a.state = 'issued'")).scalar_one()
        credentials = conn.execute(text("SELECT count(*) FROM issued_credentials")).scalar_one()
        slots = conn.execute(text("SELECT count(DISTINCT (revocation_list, revocation_index)) "
                                  "FROM issued_credentials")).scalar_one()
        rerun = conn.execute(text("SELECT count(*) FROM jobs WHERE attempts > 1")).scalar_one()
    lost = total - matched
    duplicated = (credentials - matched) + (credentials - slots)
    for line in kills:
        print(line)
    print(f"kill -9 test: {total} awards, {KILLS} SIGKILLs, {credentials} signed credentials, lost {lost}, "
          f"duplicated {duplicated}, {rerun} job(s) ran again after a kill")
    assert (lost, duplicated) == (0, 0)
    assert _jobs(db, "failed") == 0
    assert _scalar(db, select(func.count()).select_from(Job).where(Job.state == "failed")) == 0  # PDF jobs too
