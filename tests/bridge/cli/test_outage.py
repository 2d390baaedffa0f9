"""The database away is one line and exit status 75 (EX_TEMPFAIL) for every command, never a page of traceback:
``leads migrate`` as a deployment job and ``leads worker`` at start-up meet it whenever PostgreSQL is down,
starting or full, and the line says what to check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("command", [["migrate"], ["worker"], ["credential", "revoke", "urn:uuid:x", "--reason", "r"]])
def test_a_database_that_does_not_answer_is_one_line_and_exit_75(tmp_path: Path, command: list[str]) -> None:
    env = {**os.environ, "LEADS_DATA_DIR": str(tmp_path),
           "LEADS_DATABASE_URL": "postgresql://leads:s3cret-pw@127.0.0.1:1/leads"}  # nothing listens on port 1
    done = subprocess.run([sys.executable, "-c", "from bridge.cli import app; app()", *command], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 75, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error (database_unavailable): the database refused"), lines[:5]
    assert "port 1 failed" in lines[0] and "LEADS_DATABASE_URL" in lines[0]  # what failed, what to check
    assert "Traceback" not in done.stderr and "s3cret-pw" not in done.stderr

