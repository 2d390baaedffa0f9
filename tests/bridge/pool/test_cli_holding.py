"""``leads pool challenge`` and ``leads pool publish`` take a presentation; a bare credential is refused (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.cli import app
from bridge.credentials.service import CredentialService, IssueInput
from bridge.settings import get_settings
from tests.bridge.pool.holding import Holder


@pytest.fixture
def runner(cli_home: Path) -> CliRunner:
    return CliRunner()


def test_publish_from_the_command_line_needs_the_holders_presentation(runner: CliRunner, tmp_path: Path) -> None:
    from bridge.cli.common import database

    made = runner.invoke(app, ["pool", "profile", "ada", "--name", "Ada Lovelace"])
    assert made.exit_code == 0, made.output
    token = made.output.rsplit(": ", 1)[1].strip()
    ada = Holder()
    row = CredentialService(database(), get_settings()).issue(
        IssueInput(design_key="glam-mc-rights", learner_name="Ada Lovelace", learner_id=ada.did))
    (tmp_path / "c.json").write_text(json.dumps(row.document))
    bare = runner.invoke(app, ["pool", "publish", "ada", str(tmp_path / "c.json"), "--token", token])
    assert bare.exit_code == 2 and "publishing needs proof that you hold this credential" in bare.output

    issued = json.loads(runner.invoke(app, ["pool", "challenge"]).output)
    assert issued["domain"] == "127.0.0.1:8000"
    vp = ada.present(None, row.document, challenge=issued["challenge"], domain=issued["domain"])
    (tmp_path / "vp.json").write_text(json.dumps(vp))
    done = runner.invoke(app, ["pool", "publish", "ada", str(tmp_path / "vp.json"), "--token", token])
    assert done.exit_code == 0 and "published entry" in done.output, done.output
    again = runner.invoke(app, ["pool", "publish", "ada", str(tmp_path / "vp.json"), "--token", token])
    assert again.exit_code == 2 and "already used" in again.output
