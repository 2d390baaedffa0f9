"""``leads certificate pdf|extract`` on a credential issued with ``leads issue``; the extracted credential
passes ``leads verify``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.cli import app
from bridge.settings import get_settings
from tests.bridge.certificates.rendering import attachments, pdf_image, qr_texts


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("LEADS_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LEADS_BASE_URL", "http://127.0.0.1:8000")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_issue_then_pdf_extract_verify(data_dir: Path) -> None:
    runner = CliRunner()
    issued = data_dir / "c.json"
    r = runner.invoke(app, ["issue", "--design", "glam-mc-rights", "--name", "Ada Lovelace", "-o", str(issued)])
    assert r.exit_code == 0, r.output
    cid = json.loads(issued.read_text())["id"].removeprefix("urn:uuid:")

    pdf = data_dir / "c.pdf"
    r = runner.invoke(app, ["certificate", "pdf", cid, "-o", str(pdf), "--lang", "es"])
    assert r.exit_code == 0, r.output
    assert f"http://127.0.0.1:8000/credentials/{cid}" in qr_texts(pdf_image(pdf.read_bytes()))
    assert json.loads(attachments(pdf.read_bytes())["credential.json"][0]) == json.loads(issued.read_text())

    back = data_dir / "back.json"
    r = runner.invoke(app, ["certificate", "extract", str(pdf), "-o", str(back)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["verify", str(back)])
    assert r.exit_code == 0 and "The credential is verified" in r.output, r.output


def test_cli_errors_are_messages(data_dir: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["certificate", "extract", str(data_dir / "missing.pdf")])
    assert r.exit_code == 2 and "cannot read" in r.output
    r = runner.invoke(app, ["certificate", "pdf", "00000000-0000-0000-0000-000000000000", "--lang", "fr"])
    assert r.exit_code == 2 and "choose one of en, es" in r.output
