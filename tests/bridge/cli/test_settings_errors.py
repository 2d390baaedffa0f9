"""Settings that cannot be used are a list of what to change and exit status 78 (EX_CONFIG) for every command,
never pydantic's page of traceback; a secret's value is never printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("command", [["serve"], ["worker", "--once"], ["migrate"]])
def test_unusable_settings_are_a_list_and_exit_78(tmp_path: Path, command: list[str]) -> None:
    env = {**os.environ, "LEADS_DATA_DIR": str(tmp_path), "LEADS_PORT": "http", "LEADS_AWARDS_BATCH": "0",
           "LEADS_AWARDS_WEBHOOK_SECRETS": '{"moodle": "s3cret-value", }'}
    done = subprocess.run([sys.executable, "-c", "from bridge.cli import app; app()", *command], cwd=tmp_path,
                          env={k: v for k, v in env.items() if k != "LEADS_DATABASE_URL"},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 78, done.stderr[-2000:]
    assert done.stderr.splitlines() == [
        "error (invalid_settings): LEADS cannot start with these settings; change them in the environment (or .env) "
        "and start again:",
        "  - LEADS_AWARDS_WEBHOOK_SECRETS is not valid JSON (Expecting property name enclosed in double quotes: line "
        "1 column 28 (char 27)); docs/deploy.md shows its form"], done.stderr[-2000:]
    env["LEADS_AWARDS_WEBHOOK_SECRETS"] = '{"moodle": "s3cret-value"}'
    done = subprocess.run([sys.executable, "-c", "from bridge.cli import app; app()", *command], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 78, done.stderr[-2000:]
    assert done.stderr.splitlines()[1:] == [
        "  - LEADS_PORT is 'http': input should be a valid integer, unable to parse string as an integer",
        "  - LEADS_AWARDS_BATCH is '0': input should be greater than or equal to 1"]
    assert "Traceback" not in done.stderr and "s3cret" not in done.stderr
