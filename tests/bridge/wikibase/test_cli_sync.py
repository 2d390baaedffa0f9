"""Wikibase sync end to end through `leads`, against the double in its default strict mode
(90 edits a minute, normalisation on, no CirrusSearch), with the clock of the fake so no one waits a minute."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client import REGISTRY
from typer.testing import CliRunner

from bridge.cli import app
from bridge.dataspace.service import SAMPLE_DESIGN_SET
from bridge.settings import get_settings
from bridge.wikibase import transport
from tests.bridge.wikibase.conftest import BOT_PASSWORD, BOT_USER, generated_design_set
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
    monkeypatch.delenv("LEADS_WIKIBASE_EDITS_PER_MINUTE", raising=False)
    get_settings.cache_clear()
    assert leads("wikibase", "bootstrap")[0] == 0
    yield tmp_path
    get_settings.cache_clear()


def leads(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def keys_on_wiki(fake: FakeWikibase) -> list[str]:
    key_pid = next(e["id"] for e in fake.entities.values() if e["type"] == "property"
                   and e["labels"]["en"]["value"] == "LEADS key")
    return [st["mainsnak"]["datavalue"]["value"] for e in fake.entities.values() if e["type"] == "item"
            for st in e["claims"].get(key_pid, [])]


def test_a_200_entity_design_set_pushes_once_then_is_unchanged(env: Path, fake: FakeWikibase,
                                                               clock: FakeClock) -> None:
    path = env / "generated.json"
    path.write_text(generated_design_set(200).model_dump_json(), encoding="utf-8")
    start = clock.now()
    code, out = leads("wikibase", "push", str(path))
    assert code == 0 and "200 created, 0 updated, 0 unchanged" in out, out[-2000:]
    assert "[200/200] completing" in out  # progress shown while it runs
    assert clock.now() - start >= 399 * 60 / 81 - 1  # 400 edits at 81 a minute, under the 90 allowed
    assert fake.counts["throttled"] == 0
    code, out = leads("wikibase", "push", str(path))
    assert code == 0 and "0 created, 0 updated, 200 unchanged" in out, out[-2000:]
    keys = keys_on_wiki(fake)
    assert len(keys) == len(set(keys)) == 200 + 28 - 21  # entities + classes; no duplicates
    assert "Traceback" not in out


def test_pull_by_key_and_removal_of_what_is_gone_on_the_wiki(env: Path, fake: FakeWikibase) -> None:
    assert leads("wikibase", "push", str(SAMPLE_DESIGN_SET))[0] == 0
    code, out = leads("wikibase", "pull", "--practice", "glam-archive-to-commons")
    assert code == 0 and "stored 26 entities" in out, out
    assert not any(e.get("list") == "search" for e in fake.log)  # no CirrusSearch needed

    listed = {row["key"]: row["wikibase_id"] for row in json.loads(leads("data", "list", "--json")[1])}
    gone = listed["glam-lo-structured-data"]
    def links_to_gone(st: dict[str, Any]) -> bool:
        value = (st["mainsnak"].get("datavalue") or {}).get("value")
        return isinstance(value, dict) and value.get("id") == gone

    def unlink(e: dict[str, Any]) -> None:
        e["claims"] = {pid: [st for st in g if not links_to_gone(st)] for pid, g in e["claims"].items()}

    for eid, entity in list(fake.entities.items()):  # the outcome is deleted on the wiki, with links to it
        if any(links_to_gone(st) for g in entity["claims"].values() for st in g):
            fake.wiki_edit(eid, unlink)
    del fake.entities[gone]
    code, out = leads("wikibase", "pull", "--practice", "glam-archive-to-commons")
    assert code == 0 and "removed glam-lo-structured-data" in out and "stored 25 entities" in out, out
    assert "glam-lo-structured-data" not in {r["key"] for r in json.loads(leads("data", "list", "--json")[1])}


def sync_count(outcome: str) -> float:
    return REGISTRY.get_sample_value("leads_wikibase_sync_total", {"outcome": outcome}) or 0.0


def test_a_wiki_edit_after_the_last_pull_stops_the_push_showing_the_difference(env: Path, fake: FakeWikibase) -> None:
    ok, conflicts = sync_count("ok"), sync_count("conflict")
    assert leads("wikibase", "push", str(SAMPLE_DESIGN_SET))[0] == 0
    assert sync_count("ok") == ok + 1  # leads_wikibase_sync_total, for the operator
    assert leads("wikibase", "pull", "--practice", "glam-archive-to-commons")[0] == 0
    qid = {r["key"]: r["wikibase_id"] for r in json.loads(leads("data", "list", "--json")[1])}["glam-mc-rights"]

    def edit(entity: dict[str, Any]) -> None:
        entity["labels"]["en"]["value"] = "Rights for GLAM uploads (edited on the wiki)"

    fake.wiki_edit(qid, edit)
    data = json.loads(SAMPLE_DESIGN_SET.read_text(encoding="utf-8"))
    mine = next(e for e in data["entities"] if e["key"] == "glam-mc-rights")
    mine["labels"]["en"] = "Rights for GLAM uploads (edited in LEADS)"
    path = env / "mine.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    saved = fake.counts["saved"]
    code, out = leads("wikibase", "push", str(path))
    assert code == 2 and "wikibase_edit_conflict" in out and "nothing was written" in out, out
    assert f"glam-mc-rights ({qid}) · changed on the wiki: label (en)" in out
    assert "(edited on the wiki)" in out and "(edited in LEADS)" in out
    assert fake.counts["saved"] == saved and "Traceback" not in out
    assert sync_count("conflict") == conflicts + 1


def test_an_interrupted_push_tells_the_truth_without_tracebacks(env: Path, fake: FakeWikibase) -> None:
    fake.outage_after = fake.counts["saved"] + 10
    code, out = leads("wikibase", "push", str(SAMPLE_DESIGN_SET))
    assert code == 2 and "wikibase_push_interrupted" in out and "10 item(s) created" in out, out
    assert "Run the same push again" in out and "Traceback" not in out
    assert (env / "var" / "logs" / "wikibase.log").exists()
    fake.outage_after = None
    code, out = leads("wikibase", "push", str(SAMPLE_DESIGN_SET))
    assert code == 0 and "16 created" in out, out
    assert len(keys_on_wiki(fake)) == len(set(keys_on_wiki(fake)))


def test_oauth_over_plain_http_names_the_client_librarys_rule(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    monkeypatch.delenv("LEADS_WIKIBASE_USER")
    monkeypatch.setenv("LEADS_WIKIBASE_OAUTH_CLIENT_ID", "leads-consumer")
    monkeypatch.setenv("LEADS_WIKIBASE_OAUTH_CLIENT_SECRET", "consumer-secret")
    get_settings.cache_clear()
    code, out = leads("wikibase", "push", str(SAMPLE_DESIGN_SET))
    assert code == 2 and "nothing was sent" in out and "OAUTHLIB_INSECURE_TRANSPORT=1" in out, out
    assert "client library" in out and "Traceback" not in out
