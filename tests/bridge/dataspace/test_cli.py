"""``leads data``: list with stable keys (for scripts), validate (exit 2 listing every problem), load."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.cli import app
from bridge.dataspace import service
from bridge.settings import get_settings


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    monkeypatch.setenv("LEADS_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_list_designs_as_json_for_scripts(env: Path) -> None:
    done = CliRunner().invoke(app, ["data", "list", "--kind", "credential-design", "--json"])
    assert done.exit_code == 0, done.output
    keys = [e["key"] for e in json.loads(done.stdout)]
    assert keys == ["glam-archive-to-commons-certificate", "glam-mc-commons-upload", "glam-mc-digitisation",
                    "glam-mc-rights"]


def test_validate_a_broken_set_prints_every_problem_and_exits_2(env: Path) -> None:
    data = json.loads(service.SAMPLE_DESIGN_SET.read_text())
    by_key = {e["key"]: e for e in data["entities"]}
    by_key["glam-mc-commons-upload"]["eqf_level"] = 9
    by_key["glam-mc-digitisation"]["outcomes"] = []
    broken = env / "broken.json"
    broken.write_text(json.dumps(data))
    done = CliRunner().invoke(app, ["data", "validate", str(broken)])
    assert done.exit_code == 2
    assert "glam-mc-commons-upload · EQF level: is 9" in done.stderr
    assert "glam-mc-digitisation · learning outcome" in done.stderr
    good = CliRunner().invoke(app, ["data", "validate", str(service.SAMPLE_DESIGN_SET)])
    assert good.exit_code == 0 and "no problems" in good.stdout


def test_validate_names_a_file_that_is_not_json(env: Path) -> None:
    bad = env / "bad.json"
    bad.write_text("{not json")
    done = CliRunner().invoke(app, ["data", "validate", str(bad)])
    assert done.exit_code == 2 and "not JSON" in done.stderr and "line 1" in done.stderr
