"""What the tests that run ``leads worker`` as a process share: a signing-ready data space, the command's
environment, the queue's counts, and waiting for them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select, text

from bridge.awards import service
from bridge.awards.service import GradeInput
from bridge.awards.tables import Job
from bridge.dataspace import service as dataspace
from bridge.db import Database
from bridge.settings import Settings
from bridge.trust.organisations import IssuerDirectory

ROOT = Path(__file__).resolve().parents[3]
STACK = "glam-archive-to-commons-certificate"


def wait(predicate: Callable[[], bool], timeout: float, what: str, step: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(step)


def scalar(db: Database, stmt: Any) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def issue_jobs(db: Database, state: str) -> int:
    """Issue jobs in ``state`` (not the PDF jobs that follow each issuance)."""
    return scalar(db, select(func.count()).select_from(Job).where(Job.state == state, Job.kind == "issue"))


def prepare(db: Database, tmp_path: Path) -> Settings:
    """The sample data space and the issuer's key ring, made before any worker can be killed writing it."""
    dataspace.store(db, dataspace.read_design_set_file(dataspace.SAMPLE_DESIGN_SET))
    settings = Settings(data_dir=tmp_path / "var", base_url="http://testserver", load_sample=False)
    directory = IssuerDirectory(settings)
    directory.signer(directory.root)
    return settings


def queue(db: Database, learners: range, source: str) -> None:
    """Each learner passes the stack's three micro-credentials: four awards (three and the stack)."""
    with db.session() as session:
        service.record_many(session, service.load_rules(session), [
            GradeInput(source=source, learner=f"learner-{i:04d}", learner_name=f"Learner {i}", design=STACK,
                       assessment=assessment, score=score, maximum=100)
            for i in learners
            for assessment, score in (("glam-as-rights-quiz", 80), ("glam-as-digitisation-portfolio", 65),
                                      ("glam-as-upload-project", 90))])


def start(url: str, data_dir: Path, log: IO[bytes], concurrency: int = 1,
          **env: str) -> subprocess.Popen[bytes]:
    """``leads worker`` with short leases and pauses, so a killed worker's jobs come back within seconds."""
    environ = {**os.environ, "LEADS_DATABASE_URL": url, "LEADS_DATA_DIR": str(data_dir), "LEADS_LOAD_SAMPLE": "false",
               "LEADS_BASE_URL": "http://testserver", "LEADS_AWARDS_ISSUER": "credentials",
               "LEADS_AWARDS_LEASE_SECONDS": "5.0", "LEADS_AWARDS_IDLE_SECONDS": "0.05", "LEADS_AWARDS_BATCH": "5",
               "PYTHONPATH": str(ROOT), **env}
    return subprocess.Popen([sys.executable, "-c", "from bridge.cli import app; app()", "worker",
                             "--concurrency", str(concurrency)], cwd=ROOT, env=environ, stdout=log, stderr=log)


def issued_once(db: Database) -> tuple[int, int, int]:
    """(awards issued with their own credential, credentials, distinct status-list slots): equal when nothing was
    issued twice."""
    with db.engine.connect() as conn:
        matched = conn.execute(text(
            "SELECT count(*) FROM awards a JOIN issued_credentials c ON c.award_id = a.id "
            "AND a.credential_id = 'urn:uuid:' || c.id WHERE a.state = 'issued'")).scalar_one()
        credentials = conn.execute(text("SELECT count(*) FROM issued_credentials")).scalar_one()
        slots = conn.execute(text("SELECT count(DISTINCT (revocation_list, revocation_index)) "
                                  "FROM issued_credentials")).scalar_one()
    return int(matched), int(credentials), int(slots)
