"""`leads wikibase …` end to end against the fake Wikibase, with settings from the environment."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from bridge.cli import app
from bridge.dataspace.service import SAMPLE_DESIGN_SET, SAMPLE_DUMP
from bridge.settings import get_settings
from bridge.wikibase import transport
from tests.bridge.wikibase.conftest import BOT_PASSWORD, BOT_USER
from tests.bridge.wikibase.fake_wikibase import FakeClock, FakeWikibase

runner = CliRunner()


@pytest.fixture
def env(fake: FakeWikibase, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setattr(transport, "time", SimpleNamespace(sleep=clock.sleep, monotonic=clock.now))
    for name, value in {"DATA_DIR": str(tmp_path / "var"), "LOAD_SAMPLE": "false", "WIKIBASE_API_URL": fake.url,
                        "WIKIBASE_USER": BOT_USER, "WIKIBASE_PASSWORD": BOT_PASSWORD,
                        "WIKIBASE_BACKOFF_SECONDS": "0.01", "WIKIBASE_MAX_RETRIES": "2"}.items():
        monkeypatch.setenv("LEADS_" + name, value)
    monkeypatch.delenv("LEADS_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def leads(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_bootstrap_push_pull(env: Path, fake: FakeWikibase) -> None:
    code, out = leads("wikibase", "bootstrap", "--save-map", str(env / "map.json"))
    assert code == 0 and out.strip().endswith(f"property map written to {env / 'map.json'}")
    assert "0 found" in out and "created" in out
    code, out = leads("wikibase", "bootstrap")
    assert code == 0 and "0 created" in out

    code, out = leads("wikibase", "push", str(SAMPLE_DESIGN_SET))
    assert code == 0 and "26 created, 0 updated, 0 unchanged" in out, out
    code, out = leads("wikibase", "push", str(SAMPLE_DESIGN_SET))
    assert code == 0 and "0 created, 0 updated, 26 unchanged" in out, out

    code, out = leads("wikibase", "pull", "--practice", "glam-archive-to-commons")
    assert code == 0 and "stored 26 entities" in out, out
    fake.reset_counts()
    code, out = leads("wikibase", "pull", "--practice", "glam-archive-to-commons")
    assert code == 0 and "stored 26 entities" in out, out
    assert not any(e.get("list") == "search" for e in fake.log)  # the key's Q id came from the local store
    code, out = leads("data", "list", "--json")
    listed = json.loads(out)
    assert len(listed) == 26 and all(row["wikibase_id"] for row in listed)


def test_property_map_file_from_settings(env: Path, fake: FakeWikibase, monkeypatch: pytest.MonkeyPatch) -> None:
    assert leads("wikibase", "bootstrap", "--save-map", str(env / "map.json"))[0] == 0
    monkeypatch.setenv("LEADS_WIKIBASE_PROPERTY_MAP", str(env / "map.json"))
    get_settings.cache_clear()
    fake.reset_counts()
    code, out = leads("wikibase", "push", str(SAMPLE_DESIGN_SET))
    assert code == 0 and "26 created" in out
    assert "wbsearchentities" in fake.counts  # entities are looked up, but no property was searched for
    assert not any(e.get("type") == "property" for e in fake.log if e.get("action") == "wbsearchentities")


def test_errors_exit_2_with_a_message(env: Path, fake: FakeWikibase) -> None:
    code, out = leads("wikibase", "pull", "--practice", "Q1")
    assert code == 2 and "property_map_incomplete" in out and "leads wikibase bootstrap" in out
    leads("wikibase", "bootstrap")
    code, out = leads("wikibase", "pull", "--practice", "Q999")
    assert code == 2 and "no entity Q999" in out
    broken = env / "broken.json"
    data = json.loads(SAMPLE_DESIGN_SET.read_text(encoding="utf-8"))
    data["entities"][0]["has_part"].append({"key": "nowhere", "order": 9})
    broken.write_text(json.dumps(data), encoding="utf-8")
    edits = fake.counts["wbeditentity"]
    code, out = leads("wikibase", "push", str(broken))
    assert code == 2 and "nowhere" in out and fake.counts["wbeditentity"] == edits


def test_export_dump_reproduces_the_bundled_sample(env: Path) -> None:
    out_file = env / "dump.json"
    code, _ = leads("wikibase", "export-dump", str(SAMPLE_DESIGN_SET), "--out", str(out_file))
    assert code == 0 and out_file.read_text(encoding="utf-8") == SAMPLE_DUMP.read_text(encoding="utf-8")


def test_no_wikibase_configured(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEADS_WIKIBASE_API_URL")
    get_settings.cache_clear()
    code, out = leads("wikibase", "bootstrap")
    assert code == 2 and "LEADS_WIKIBASE_API_URL" in out
