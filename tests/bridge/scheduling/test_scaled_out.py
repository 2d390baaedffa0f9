"""The scaled-out shape on one PostgreSQL database (docs/deploy.md, "Many machines"): two web processes and three
workers, real subprocesses, every one of them with the scheduled jobs enabled. A cohort's grades arrive while they
run: every award is signed exactly once, and each scheduled job runs once per period — counted from the processes'
own log lines, so two replicas running the same period would show even if the run table could not record it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from itertools import pairwise
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bridge.awards import service
from bridge.awards.service import GradeInput
from bridge.awards.tables import Award, Job
from bridge.credentials.tables import IssuedCredentialRow
from bridge.db import make_database
from bridge.scheduling.tables import ScheduledRun
from bridge.settings import Settings
from bridge.trust.organisations import IssuerDirectory
from tests.bridge.db.test_concurrent_start import _free_port
from tests.conftest import _postgres_database
from tests.processes import stop_all

ROOT = Path(__file__).resolve().parents[3]
CODE = "import sys; from bridge.cli import app; sys.argv[0] = 'leads'; app()"
DESIGN = "glam-archive-to-commons-certificate"
GRADES = (("glam-as-rights-quiz", 8, 10), ("glam-as-digitisation-portfolio", 61, 100), ("glam-as-upload-project", 4, 5))
PERIODS = {"ags-poll": 4.0, "pool-recheck": 5.0, "registry-refresh": 4.5}
COHORT = 25
RAN = re.compile(r"scheduled job (\S+) (?:ran|failed) \(period (\d+)\)")


def _logs(tmp_path: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')}" for p in sorted(tmp_path.glob("p*.log")))


@pytest.mark.postgres
def test_two_web_and_three_workers_issue_once_and_run_each_job_once_per_period(tmp_path: Path) -> None:
    url = next(gen := _postgres_database())
    ports = [_free_port(), _free_port()]
    data_dir = tmp_path / "var"
    env = {**os.environ, "LEADS_DATABASE_URL": url, "LEADS_DATA_DIR": str(data_dir), "LEADS_LOAD_SAMPLE": "true",
           "LEADS_BASE_URL": "http://127.0.0.1:8000", "LEADS_AWARDS_ISSUER": "credentials",
           "LEADS_AWARDS_IDLE_SECONDS": "0.2", "LEADS_AWARDS_PRERENDER_PDF": "false", "PYTHONPATH": str(ROOT),
           "LEADS_SCHEDULED_JOBS": ",".join(PERIODS), "LEADS_SCHEDULE_LEASE_SECONDS": "30",
           "LEADS_SCHEDULE_AGS_POLL_SECONDS": str(PERIODS["ags-poll"]),
           "LEADS_SCHEDULE_POOL_RECHECK_SECONDS": str(PERIODS["pool-recheck"]),
           "LEADS_SCHEDULE_REGISTRY_REFRESH_SECONDS": str(PERIODS["registry-refresh"])}
    # the migrations job first (as in Kubernetes), and the issuer key ring before any replica signs
    subprocess.run([sys.executable, "-c", CODE, "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    directory = IssuerDirectory(Settings(data_dir=data_dir, base_url=env["LEADS_BASE_URL"], load_sample=False))
    directory.signer(directory.root)

    commands = [*(["serve", "--host", "127.0.0.1", "--port", str(p)] for p in ports), ["worker"], ["worker"],
                ["worker"]]
    logs = [(tmp_path / f"p{i}.log").open("wb") for i in range(len(commands))]
    procs = [subprocess.Popen([sys.executable, "-c", CODE, *args], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT) for args, log in zip(commands, logs, strict=True)]
    db = make_database(url)
    try:
        deadline = time.monotonic() + 120
        for port in ports:
            up = False
            while not up:
                assert time.monotonic() < deadline, "the web processes did not answer\n" + _logs(tmp_path)
                assert all(p.poll() is None for p in procs), _logs(tmp_path)
                try:
                    up = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
                except httpx.HTTPError:
                    time.sleep(0.3)
        started = time.time()
        with db.session() as session:  # the cohort's grades arrive while every replica runs
            rules = service.load_rules(session)
            service.record_many(session, rules, [
                GradeInput(source="lms", learner=f"lms:{i}", learner_name=f"Learner {i}", design=DESIGN,
                           assessment=key, score=score, maximum=maximum, event_id=f"{i}:{key}")
                for i in range(COHORT) for key, score, maximum in GRADES])
        while True:
            with db.engine.connect() as conn:
                awards = conn.execute(select(func.count()).select_from(Award)).scalar_one()
                pending = conn.execute(select(func.count()).select_from(Job).where(
                    Job.kind == "issue", Job.state != "done")).scalar_one()
            if awards and not pending:
                break
            assert time.monotonic() < deadline + 120, "the cohort was not issued\n" + _logs(tmp_path)
            assert all(p.poll() is None for p in procs), _logs(tmp_path)
            time.sleep(0.5)
        time.sleep(max(0.0, started + 20 - time.time()))  # at least four periods of every job
        assert [p.poll() for p in procs] == [None] * len(procs), _logs(tmp_path)
    finally:
        stopping = time.time()
        stop_all(procs, logs, timeout=30)
    try:
        with db.engine.connect() as conn:
            assert awards == COHORT * 4  # three micro-credentials and the stacked certificate each
            issued = conn.execute(select(func.count()).select_from(IssuedCredentialRow)).scalar_one()
            per_award = conn.execute(select(IssuedCredentialRow.award_id, func.count())
                                     .group_by(IssuedCredentialRow.award_id).having(func.count() > 1)).all()
            attempts = conn.execute(select(func.max(Job.attempts)).where(Job.kind == "issue")).scalar_one()
            runs = conn.execute(select(ScheduledRun.name, ScheduledRun.slot, ScheduledRun.holder)).all()
            finished_at = {(name, slot): end for name, slot, end in conn.execute(
                select(ScheduledRun.name, ScheduledRun.slot, ScheduledRun.finished_at))}
        assert issued == awards and per_award == [], "a credential was issued twice"
        assert attempts == 1, "a job was worked by two workers"

        text = _logs(tmp_path)
        assert "Traceback" not in text, text
        seen = Counter((m.group(1), int(m.group(2))) for m in RAN.finditer(text))
        assert seen, text
        assert max(seen.values()) == 1, f"a period ran twice: {[k for k, n in seen.items() if n > 1]}"
        for job in PERIODS:
            slots = sorted(slot for name, slot in seen if name == job)
            assert len(slots) >= 3, f"{job} ran in periods {slots}\n{text}"
            # a period passes unrun only while the job's previous run was still going (a run never overlaps the
            # next), give or take one period: on this 2-core machine shared with other suites, every process can
            # stall for seconds at once
            period = PERIODS[job]
            for before, after in pairwise(slots):
                if after - before > 1:
                    finished = finished_at[(job, before)]
                    assert finished is not None and finished + period >= (after - 1) * period, \
                        f"{job} skipped periods {before + 1}..{after - 1} while nothing ran"
        recorded = {(name, slot) for name, slot, _ in runs}
        assert set(seen) <= recorded  # the run table agrees; runs it has beyond the logs were cut by the stop
        for key in recorded - set(seen):
            assert finished_at[key] is None or finished_at[key] >= stopping, key
        assert len({holder.rsplit(":", 2)[1] for _, _, holder in runs}) > 1  # not one process doing all
    finally:
        db.engine.dispose()
        next(gen, None)
