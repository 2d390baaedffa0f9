"""``leads verify`` loads only what verifying needs (no web application, composition root, data space, PDF or
HTTP stack, no migrations): checked on the modules a fresh process has loaded, not on a timing, so re-adding an
eager import fails here (benchmarks/bench_cli.py measures the time itself)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.cli import app
from bridge.cli.common import existing_database
from bridge.db.engine import up_to_date

ROOT = Path(__file__).resolve().parents[3]
# what verifying a JSON credential of this installation must not import
HEAVY = ("fastapi", "fpdf", "pypdf", "alembic", "rich", "pygments", "httpx", "httpcore", "bridge.app",
         "bridge.composition", "bridge.startup", "bridge.awards", "bridge.dataspace", "bridge.wikibase",
         "bridge.certificates.page", "bridge.certificates.pdf", "bridge.credentials.service", "issuer.fetch.transport",
         "sqlalchemy", "bridge.credentials.records")  # the embedded SQLite file is read with sqlite3
VERIFY_AND_LIST = ("import sys\nsys.argv[0] = 'leads'\nfrom bridge.cli import app\ntry:\n    app()\n"
                   "except SystemExit as exc:\n    code = exc.code\n"
                   "print('loaded:', sorted(m for m in sys.modules if m.startswith({heavy})))\nsys.exit(code)")


@pytest.fixture
def data_dir(cli_home: Path) -> Path:
    return cli_home


def _verify_in_a_fresh_process(path: Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADS_")}
    env.update(PYTHONPATH=str(ROOT), LEADS_DATA_DIR=str(data_dir))
    code = VERIFY_AND_LIST.format(heavy=repr(HEAVY))
    return subprocess.run([sys.executable, "-c", code, "verify", str(path)], env=env, cwd=path.parent,
                          capture_output=True, text=True, timeout=120, check=False)


def test_verify_imports_only_what_verifying_needs(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "c.json"
    issued = CliRunner().invoke(app, ["issue", "--design", "glam-mc-rights", "--name", "Ada Lovelace", "-o", str(out)])
    assert issued.exit_code == 0, issued.output

    # the first verification signs the status lists (a write: through the ORM store); the next ones only read
    first = _verify_in_a_fresh_process(out, data_dir)
    assert first.returncode == 0 and "bridge.credentials.records" in first.stdout, first.stdout + first.stderr
    done = _verify_in_a_fresh_process(out, data_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("proof", "issuer", "status", "shape"):  # the same checks as before, all of them run
        assert f"PASS  {name}" in done.stdout
    assert "this installation's own issuer" in done.stdout and "verdict: verified" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "loaded: []"

    document = json.loads(out.read_text())
    document["credentialSubject"]["achievement"]["name"] = "Something else"
    out.write_text(json.dumps(document))
    tampered = _verify_in_a_fresh_process(out, data_dir)
    assert tampered.returncode == 1 and "FAIL  proof" in tampered.stdout


def test_verify_on_a_database_not_yet_migrated_prepares_it(data_dir: Path) -> None:
    """Not at the migration heads (here: no database at all): the command migrates it as every command does."""
    db = existing_database()
    try:
        assert up_to_date(db)
    finally:
        db.engine.dispose()
