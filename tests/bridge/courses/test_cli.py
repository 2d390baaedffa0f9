"""``leads course export`` and ``leads course create`` end to end (SQLite data dir with the pilot sample)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.cli import app
from bridge.settings import get_settings
from tests.bridge.courses.conftest import PILOT
from tests.bridge.courses.fakes import FakeMoodle, serve
from tests.bridge.courses.mbz_check import check_mbz, read_mbz
from tests.bridge.courses.olx_import import check_course, import_olx

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("LEADS_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LEADS_BASE_URL", "https://leads.example.org")
    monkeypatch.delenv("LEADS_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_export_both_formats(env: Path) -> None:
    mbz, olx = env / "c.mbz", env / "c.tar.gz"
    r1 = runner.invoke(app, ["course", "export", "--design", PILOT, "--format", "mbz", "-o", str(mbz)])
    r2 = runner.invoke(app, ["course", "export", "--design", PILOT, "--format", "olx", "-o", str(olx)])
    assert r1.exit_code == 0, r1.output
    assert r2.exit_code == 0, r2.output
    assert check_mbz(read_mbz(mbz.read_bytes())) == []
    assert check_course(import_olx(olx.read_bytes())) == []
    assert "3 graded LTI links to https://leads.example.org/lti/launch" in r1.output


def test_export_errors_exit_2(env: Path) -> None:
    r = runner.invoke(app, ["course", "export", "--design", "nope", "--format", "mbz", "-o", str(env / "x")])
    assert r.exit_code == 2 and "design_not_found" in r.output
    r = runner.invoke(app, ["course", "export", "--design", PILOT, "--format", "scorm", "-o", str(env / "x")])
    assert r.exit_code == 2 and "mbz, moodle-competencies, olx" in r.output
    out = env / "framework.csv"
    r = runner.invoke(app, ["course", "export", "--design", PILOT, "--format", "moodle-competencies", "-o", str(out)])
    assert r.exit_code == 0 and "Import competency framework" in r.output, r.output
    assert out.read_text(encoding="utf-8").startswith('"Parent id number","Id number"') or \
        out.read_text(encoding="utf-8").startswith("Parent id number,Id number")
    r = runner.invoke(app, ["course", "create", "--design", PILOT, "--target", "nowhere"])
    assert r.exit_code == 2 and "LEADS_COURSE_TARGETS" in r.output


def test_create_twice_against_fake_moodle(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeMoodle()
    with serve(fake) as url:
        targets = {"uni-moodle": {"lms": "moodle", "url": url, "token": "good-token"}}
        monkeypatch.setenv("LEADS_COURSE_TARGETS", json.dumps(targets))
        first = runner.invoke(app, ["course", "create", "--design", PILOT, "--target", "uni-moodle"])
        second = runner.invoke(app, ["course", "create", "--design", PILOT, "--target", "uni-moodle", "--json"])
        listed = runner.invoke(app, ["course", "links"])
    assert first.exit_code == 0, first.output
    assert "created moodle course" in first.output and "[   done] Section names" in first.output
    assert second.exit_code == 0, second.output
    assert json.loads(second.output)["updated"] is True
    assert len(fake.courses) == 1
    assert "uni-moodle" in listed.output and "done" in listed.output


def test_bad_targets_configuration(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADS_COURSE_TARGETS", json.dumps({"m": {"lms": "moodle", "url": "https://m.example"}}))
    r = runner.invoke(app, ["course", "targets"])
    assert r.exit_code == 2 and "token" in r.output
    monkeypatch.setenv("LEADS_COURSE_TARGETS", "{not json")
    get_settings.cache_clear()  # a command reads the settings once per process
    r = runner.invoke(app, ["course", "targets"])
    assert r.exit_code == 2 and "not JSON" in r.output
