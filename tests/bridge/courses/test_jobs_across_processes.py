"""Two `leads serve` processes and one `leads worker`: a course generation started on one web process is followed
to completion from the other (the job lives in the database queue, decision 020), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.bridge.courses.conftest import PILOT
from tests.bridge.courses.fakes import FakeMoodle, serve
from tests.processes import stop_all

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "t" * 32
AUTH = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
CLI = "import sys; from bridge.cli import app; sys.argv[0] = 'leads'; app()"
START_SECONDS = 300  # a first start makes keys and loads the sample; on a busy CI machine that takes a while


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(port: int, procs: list[subprocess.Popen[bytes]], logs: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert all(p.poll() is None for p in procs), _logs(logs)
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"leads serve on {port} did not answer in {START_SECONDS} s\n{_logs(logs)}")


def _logs(where: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')}" for p in sorted(where.glob("p*.log")))


def test_a_generation_started_on_one_web_process_is_followed_from_the_other(empty_database_url: str,
                                                                          tmp_path: Path) -> None:
    fake = FakeMoodle()
    with serve(fake) as moodle:
        first, second = _free_port(), _free_port()
        env = {**os.environ, "LEADS_DATABASE_URL": empty_database_url, "LEADS_DATA_DIR": str(tmp_path / "var"),
               "LEADS_LOAD_SAMPLE": "true", "LEADS_BASE_URL": "https://leads.example.org",
               "LEADS_ADMIN_TOKEN": TOKEN, "LEADS_SECRET_KEY": "s" * 32, "LEADS_AWARDS_IDLE_SECONDS": "0.2",
               "LEADS_COURSE_TARGETS": json.dumps({"uni-moodle": {"lms": "moodle", "url": moodle,
                                                                  "token": "good-token"}}),
               "PYTHONPATH": str(ROOT)}
        logs = [(tmp_path / f"p{i}.log").open("wb") for i in range(3)]
        web = [subprocess.Popen([sys.executable, "-c", CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
                                cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
               for port, log in zip((first, second), logs, strict=False)]
        procs = list(web)
        try:
            _wait_up(first, procs, tmp_path)
            _wait_up(second, procs, tmp_path)
            started = httpx.post(f"http://127.0.0.1:{first}/courses/generate", headers=AUTH,
                                 data={"design": PILOT, "target": "uni-moodle"}, timeout=30)
            assert started.status_code == 202, started.text
            job_url = f"http://127.0.0.1:{second}{started.json()['url']}"
            queued = httpx.get(job_url, headers=AUTH, timeout=10).json()
            assert queued["status"] == "queued"  # no worker yet: nothing runs inside a web process

            procs.append(subprocess.Popen([sys.executable, "-c", CLI, "worker"], cwd=tmp_path, env=env,
                                          stdout=logs[2], stderr=subprocess.STDOUT))
            deadline = time.monotonic() + START_SECONDS + 120  # the worker starts, then creates the course
            seen: set[str] = set()
            while time.monotonic() < deadline:
                job = httpx.get(job_url, headers=AUTH, timeout=10).json()
                seen.add(job["status"])
                if job["status"] in ("done", "failed"):
                    break
                time.sleep(0.1)
            assert job["status"] == "done", (job, _logs(tmp_path))
            assert [s["status"] for s in job["steps"]] == ["done"] * 6
            assert job["result"]["url"].startswith(moodle + "/course/view.php?id=")
            assert len(fake.courses) == 1
            same = httpx.get(f"http://127.0.0.1:{first}{started.json()['url']}", headers=AUTH, timeout=10).json()
            assert same == job  # both web processes read the one row
            assert "Traceback" not in _logs(tmp_path)
        finally:
            stop_all(procs, logs, timeout=20)
