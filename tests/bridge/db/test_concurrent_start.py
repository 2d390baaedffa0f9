"""`leads serve` and two `leads worker` started at the same instant on an empty PostgreSQL database: migrations
run under a lock, so all three come up (without it, two create ``alembic_version`` at once and one dies)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text

from bridge.dataspace.tables import EntityRow
from bridge.db import make_database
from bridge.db.engine import migration_lock
from tests.conftest import _postgres_database
from tests.processes import stop_all

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.postgres
def test_serve_and_two_workers_start_together_on_an_empty_postgres(tmp_path: Path) -> None:
    url = next(gen := _postgres_database())  # a fresh, empty database of its own
    port = _free_port()
    env = {**os.environ, "LEADS_DATABASE_URL": url, "LEADS_DATA_DIR": str(tmp_path / "var"),
           "LEADS_LOAD_SAMPLE": "true", "LEADS_BASE_URL": f"http://127.0.0.1:{port}",
           "LEADS_AWARDS_IDLE_SECONDS": "0.2", "PYTHONPATH": str(ROOT)}
    code = "import sys; from bridge.cli import app; sys.argv[0] = 'leads'; app()"
    commands = [["serve", "--host", "127.0.0.1", "--port", str(port)], ["worker"], ["worker"]]
    logs = [(tmp_path / f"p{i}.log").open("wb") for i in range(3)]
    procs = [subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT) for args, log in zip(commands, logs, strict=True)]
    try:
        deadline = time.monotonic() + 90
        up = False
        while time.monotonic() < deadline and not up:
            assert all(p.poll() is None for p in procs), _logs(tmp_path)
            try:
                up = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                time.sleep(0.2)
        assert up, "leads serve did not answer in 90 s\n" + _logs(tmp_path)
        time.sleep(3)  # the workers are past their migrations and polling the queue
        assert [p.poll() for p in procs] == [None, None, None], _logs(tmp_path)
        assert "Traceback" not in _logs(tmp_path)
        db = make_database(url)
        with db.engine.connect() as conn:
            heads = conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one()
            assert heads >= 5  # every branch migrated once
            assert conn.execute(select(func.count()).select_from(EntityRow)).scalar_one() > 0  # sample loaded once
        db.engine.dispose()
    finally:
        stop_all(procs, logs, timeout=15)
        next(gen, None)


def _logs(tmp_path: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')}" for p in sorted(tmp_path.glob("p*.log")))


def test_the_sqlite_migration_lock_excludes_a_second_holder(tmp_path: Path) -> None:
    """Two holders of the file lock never overlap: the second waits until the first lets go."""
    db = make_database(f"sqlite:///{tmp_path / 'leads.sqlite3'}")
    script = ("import sys, time; from bridge.db import make_database; from bridge.db.engine import migration_lock\n"
              f"db = make_database('sqlite:///{tmp_path / 'leads.sqlite3'}')\n"
              "with migration_lock(db): print('got', flush=True)\n")
    with migration_lock(db):
        child = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                                 env={**os.environ, "PYTHONPATH": str(ROOT)})
        time.sleep(2.0)
        assert child.poll() is None  # still waiting for the lock
    out, _ = child.communicate(timeout=30)
    assert out.strip() == b"got"
    db.engine.dispose()
