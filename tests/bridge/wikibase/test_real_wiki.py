"""The client against the double in its strict (real-Wikibase) mode: throttling, normalisation, keys without
CirrusSearch, conflicts with edits made on the wiki, statements edited in place, and clear errors."""

from __future__ import annotations

import copy
import json
import unicodedata
from typing import Any

import pytest

from bridge.dataspace.model import DesignSet
from bridge.errors import LeadsError, NotFound, UpstreamError
from bridge.wikibase.client import PushConflict, WikibaseApiError, WikibaseClient
from bridge.wikibase.codec import export_dump
from bridge.wikibase.propmap import PropertyMap
from tests.bridge.wikibase.conftest import generated_design_set, make_client, without_ids
from tests.bridge.wikibase.fake_wikibase import FakeClock, FakeWikibase


def ready(client: WikibaseClient, sample: DesignSet) -> tuple[PropertyMap, dict[str, str]]:
    pm = client.bootstrap().propmap
    report = client.push(sample, pm)
    return pm, dict(report.created)


def edits(fake: FakeWikibase) -> list[dict[str, Any]]:
    return [e for e in fake.log if e.get("action") == "wbeditentity"]


def test_writes_keep_a_pace_below_the_accounts_limit(fake: FakeWikibase, client: WikibaseClient,
                                                      sample: DesignSet, clock: FakeClock) -> None:
    start = clock.now()
    ready(client, sample)
    saved = fake.counts["saved"]
    assert saved >= 80 and fake.counts["throttled"] == 0  # close to a minute's allowance, never refused
    elapsed = clock.now() - start
    assert elapsed >= (saved - 1) * 60 / 81 - 1  # 90 % of the 90 edits a minute the wiki reports for the account
    assert fake.counts["query"] >= 1 and any(e.get("meta") == "userinfo" for e in fake.log)


def test_a_bot_exempt_from_limits_goes_at_full_speed(fake: FakeWikibase, client: WikibaseClient,
                                                     sample: DesignSet, clock: FakeClock) -> None:
    fake.noratelimit.add("Leads")
    start = clock.now()
    ready(client, sample)
    assert clock.now() == start  # never waited


def test_throttled_edits_and_creates_are_retried_past_the_window(fake: FakeWikibase, sample: DesignSet,
                                                                 clock: FakeClock) -> None:
    """Too fast for the account (200 a minute against 90): the wiki throttles creates (no-automatic-entity-id)
    and edits (failed-save + actionthrottledtext); every one is retried, nothing is duplicated."""
    notes: list[str] = []
    client = make_client(fake.url, clock=clock, edits_per_minute=200, notify=notes.append)
    big = generated_design_set(200)
    pm, created = ready(client, big)
    assert len(created) == len(big.entities)
    assert fake.counts["throttled:wikibase-idgenerator"] > 0  # creates refused: no-automatic-entity-id
    assert fake.counts["throttled:edit"] > 0  # edits refused: failed-save + actionthrottledtext
    assert any("throttled" in n for n in notes)
    keys = [st["mainsnak"]["datavalue"]["value"] for e in fake.entities.values()
            for st in e["claims"].get(pm.pid("leads-key"), [])]
    assert len(keys) == len(set(keys))  # no duplicates
    assert sum(clock.slept) > 60  # waited out MediaWiki's window


def test_maxlag_waits_as_the_server_says(fake: FakeWikibase, client: WikibaseClient, clock: FakeClock) -> None:
    fake.fail_next("maxlag", times=2, action="wbgetentities")
    client.get_entities(["Q1"], allow_missing=True)
    assert clock.slept == [5.0, 5.0]  # Retry-After: 5, not 1 s of LEADS's own back-off


def test_the_retry_budget_outlasts_the_window_then_says_so(fake: FakeWikibase, clock: FakeClock) -> None:
    client = make_client(fake.url, clock=clock)
    fake.fail_next("throttled", times=100, action="wbgetentities")
    with pytest.raises(UpstreamError) as info:
        client.get_entities(["Q1"], allow_missing=True)
    assert sum(clock.slept) > 60 and info.value.code == "wikibase_rate_limited"
    assert "throttled this account" in info.value.message and "try again later" in info.value.message


def test_text_is_normalised_so_a_second_push_is_unchanged(fake: FakeWikibase, client: WikibaseClient,
                                                          sample: DesignSet) -> None:
    odd = sample.model_copy(deep=True)
    odd.entities[0].labels["en"] = odd.entities[0].labels["en"] + "  "
    odd.entities[1].labels["es"] = unicodedata.normalize("NFD", odd.entities[1].labels["es"] + " Ñandú ")
    pm, created = ready(client, odd)
    stored = fake.entities[created[odd.entities[1].key]]["labels"]["es"]["value"]
    assert stored == unicodedata.normalize("NFC", stored) and not stored.endswith(" ")
    saved = fake.counts["saved"]
    again = make_client(fake.url).push(odd, pm)
    assert len(again.unchanged) == len(odd.entities) and not again.updated
    assert fake.counts["saved"] == saved  # not one revision more


def test_pull_by_key_without_cirrussearch_checks_the_key(fake: FakeWikibase, client: WikibaseClient,
                                                         sample: DesignSet) -> None:
    assert not fake.cirrus
    pm, created = ready(client, sample)
    fresh = make_client(fake.url)
    result = fresh.pull("glam-archive-to-commons", pm)
    assert without_ids(result.design_set) == without_ids(sample)
    assert not any(e.get("list") == "search" for e in fake.log)
    notes: list[str] = []
    stale = make_client(fake.url, notify=notes.append)  # a local id that now belongs to another item
    result = stale.pull("glam-archive-to-commons", pm, hint=created["glam-plan-rights"])
    assert result.design_set.entities and any("no longer carries the LEADS key" in n for n in notes)
    root = next(e for e in result.design_set.entities if e.key == "glam-archive-to-commons")
    assert root.wikibase_id == created["glam-archive-to-commons"]
    with pytest.raises(NotFound) as info:
        make_client(fake.url).pull("glamb-archive-to-commons", pm)
    assert "glamb-archive-to-commons" in info.value.message


def test_update_edits_statements_in_place_with_baserevid(fake: FakeWikibase, client: WikibaseClient,
                                                         sample: DesignSet) -> None:
    pm, created = ready(client, sample)
    qid = created["glam-mc-rights"]
    before = copy.deepcopy(fake.entities[qid]["claims"])
    changed = sample.model_copy(deep=True)
    design = next(e for e in changed.entities if e.key == "glam-mc-rights")
    design.ects = 0.5  # type: ignore[union-attr]
    fake.reset_counts()
    report = make_client(fake.url).push(changed, pm)
    assert report.updated == [("glam-mc-rights", qid)]
    [edit] = edits(fake)
    sent = json.loads(edit["data"])
    assert edit["baserevid"] and list(sent) == ["claims"] and len(sent["claims"]) == 1
    after = fake.entities[qid]["claims"]
    assert {pid: [s["id"] for s in g] for pid, g in after.items()} == \
        {pid: [s["id"] for s in g] for pid, g in before.items()}  # every statement keeps its id
    ects = pm.pid("ects")
    assert after[ects][0]["mainsnak"]["datavalue"]["value"]["amount"] == "+0.5"


def test_a_wiki_edit_since_the_last_sync_stops_the_push(fake: FakeWikibase, client: WikibaseClient,
                                                        sample: DesignSet) -> None:
    pm = client.bootstrap().propmap
    first = client.push(sample, pm)
    qid = dict(first.created)["glam-mc-rights"]

    def retitle(entity: dict[str, Any]) -> None:
        entity["descriptions"]["en"]["value"] = "Changed on the wiki"

    fake.wiki_edit(qid, retitle)
    mine = sample.model_copy(deep=True)
    next(e for e in mine.entities if e.key == "glam-mc-rights").descriptions["en"] = "Changed in LEADS"
    rev, saved = fake.entities[qid]["lastrevid"], fake.counts["saved"]
    with pytest.raises(PushConflict) as info:
        make_client(fake.url).push(mine, pm, base=first.records)
    text = str(info.value.problems[0])
    assert "glam-mc-rights" in text and "description (en)" in text
    assert "Changed on the wiki" in text and "Changed in LEADS" in text
    assert fake.entities[qid]["lastrevid"] == rev and fake.counts["saved"] == saved  # nothing written

    other = sample.model_copy(deep=True)  # a change to another field is merged, keeping the wiki's edit
    next(e for e in other.entities if e.key == "glam-mc-rights").labels["es"] = "Otro título"
    report = make_client(fake.url).push(other, pm, base=first.records)
    assert report.merged == [("glam-mc-rights", qid)]
    assert fake.entities[qid]["descriptions"]["en"]["value"] == "Changed on the wiki"
    assert fake.entities[qid]["labels"]["es"]["value"] == "Otro título"


def test_interrupted_push_says_what_is_on_the_wiki_and_a_rerun_repairs(fake: FakeWikibase, client: WikibaseClient,
                                                                       sample: DesignSet) -> None:
    pm = client.bootstrap().propmap
    fake.outage_after = fake.counts["saved"] + 30  # dies after 26 creates and 4 completions
    with pytest.raises(UpstreamError) as info:
        make_client(fake.url, max_retries=2).push(sample, pm)
    message = info.value.message
    assert info.value.code == "wikibase_push_interrupted"
    assert "26 item(s) created" in message and "4 of 26 complete" in message
    assert "Run the same push again" in message
    fake.outage_after = None
    again = make_client(fake.url).push(sample, pm)
    assert not again.created and len(again.updated) == 22
    final = make_client(fake.url).push(sample, pm)
    assert len(final.unchanged) == 26
    assert len([e for e in fake.entities.values() if e["type"] == "item"]) == 26 + 7  # no duplicates


def test_index_php_gets_the_api_php_hint(fake: FakeWikibase) -> None:
    client = make_client(fake.url.replace("api.php", "index.php"))
    with pytest.raises(UpstreamError) as info:
        client.property_map()
    assert "api.php" in info.value.message and "index.php" in info.value.message
    with pytest.raises(UpstreamError) as info:
        client.bootstrap()
    assert "not index.php" in info.value.message


def test_label_clash_message_has_no_doubled_full_stop(fake: FakeWikibase, client: WikibaseClient,
                                                      sample: DesignSet) -> None:
    client.bootstrap()
    pm = client.property_map()
    practice = sample.entities[0]
    client.create({"labels": {"en": {"language": "en", "value": practice.labels["en"]}},
                   "descriptions": {"en": {"language": "en", "value": practice.descriptions["en"]}}}, "item")
    fake.search_lag = True
    with pytest.raises(LeadsError) as info:
        client.push(sample, pm)
    assert "change one of the two labels" in info.value.message and ".." not in info.value.message
    assert "already has label" in info.value.message  # the cause, not only "The save has failed"


def test_a_dump_numbered_like_another_wikibase_does_not_trust_stale_ids(fake: FakeWikibase, client: WikibaseClient,
                                                                        sample: DesignSet) -> None:
    dump = export_dump(sample)
    fake.load(dump)
    pm = client.property_map()
    wrong = {"glam-archive-to-commons": "Q9"}  # the id this key had on another Wikibase
    result = client.pull("glam-archive-to-commons", pm, hint=wrong["glam-archive-to-commons"])
    assert {e.key for e in result.design_set.entities} == {e.key for e in sample.entities}


def test_the_double_patches_a_stale_baserevid_like_editentity(fake: FakeWikibase, client: WikibaseClient,
                                                              sample: DesignSet) -> None:
    """An edit based on an old revision is patched onto the new one unless it touches what changed since."""
    _, created = ready(client, sample)
    qid = created["glam-mc-rights"]
    base = fake.entities[qid]["lastrevid"]
    fake.wiki_edit(qid, lambda e: e["descriptions"]["en"].update(value="Edited by someone"))
    client.edit(qid, {"labels": {"es": {"language": "es", "value": "Derechos"}}}, base_revision=base)
    assert fake.entities[qid]["descriptions"]["en"]["value"] == "Edited by someone"
    with pytest.raises(WikibaseApiError) as info:
        client.edit(qid, {"descriptions": {"en": {"language": "en", "value": "Mine"}}}, base_revision=base)
    assert info.value.api_code == "editconflict"


def test_ctrl_c_during_a_push_also_says_what_is_on_the_wiki(fake: FakeWikibase, client: WikibaseClient,
                                                            sample: DesignSet, monkeypatch: pytest.MonkeyPatch) -> None:
    pm = client.bootstrap().propmap
    pushing = make_client(fake.url)
    real_edit, calls = pushing.edit, []

    def edit_then_ctrl_c(*args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_edit(*args, **kwargs)

    monkeypatch.setattr(pushing, "edit", edit_then_ctrl_c)
    with pytest.raises(UpstreamError) as info:
        pushing.push(sample, pm)
    assert "interrupted (Ctrl-C)" in info.value.message and "2 of 26 complete" in info.value.message
