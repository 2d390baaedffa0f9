"""``leads issue`` + ``leads verify`` round trip offline, and ``leads credential revoke``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.cli import app
from issuer.shacl import CredentialShapeChecker


@pytest.fixture
def runner(cli_home: Path) -> CliRunner:
    return CliRunner()


def test_issue_verify_tamper_and_revoke(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "c.json"
    result = runner.invoke(app, ["issue", "--design", "glam-mc-rights", "--name", "Ada Lovelace", "--format", "ob3",
                                 "-o", str(out)])
    assert result.exit_code == 0, result.output
    credential = json.loads(out.read_text())
    assert credential["issuer"]["id"] == "did:web:127.0.0.1%3A8000"

    result = runner.invoke(app, ["verify", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("proof", "proof_purpose", "issuer", "validity", "status", "shape"):
        assert f"PASS  {name}" in result.output

    tampered = tmp_path / "t.json"
    tampered.write_text(out.read_text().replace("Ada Lovelace", "Ada Lovelacf"))
    result = runner.invoke(app, ["verify", str(tampered)])
    assert result.exit_code == 1 and "FAIL  proof" in result.output

    result = runner.invoke(app, ["credential", "revoke", credential["id"], "--reason", "duplicate"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["verify", str(out), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert next(c for c in report["checks"] if c["name"] == "status")["message"] == "revoked"  # "duplicate": private


def test_edc_and_jwt_to_stdout(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["issue", "--design", "glam-mc-rights", "--name", "Ada Lovelace", "--format", "edc"])
    assert result.exit_code == 0, result.output
    edc = json.loads(result.stdout)
    assert edc["type"] == ["VerifiableCredential", "EuropeanDigitalCredential"]
    assert CredentialShapeChecker().check(edc) == (
        True, "conforms to the EDC SHACL shapes (ELM 3.2, generic no-cv + full)")
    result = runner.invoke(app, ["issue", "--design", "glam-mc-rights", "--name", "Ada", "--format", "jwt"])
    token = result.stdout.strip()
    (tmp_path / "c.jwt").write_text(token)
    assert runner.invoke(app, ["verify", str(tmp_path / "c.jwt")]).exit_code == 0


def test_errors_are_messages_with_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["issue", "--design", "nope", "--name", "Ada"])
    assert result.exit_code == 2 and "no credential design 'nope'" in result.output
    result = runner.invoke(app, ["verify", str(tmp_path / "missing.json")])
    assert result.exit_code == 2 and "cannot read" in result.output
