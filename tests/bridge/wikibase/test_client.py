"""The client through the real wikibaseintegrator against the fake Action API on loopback."""

from __future__ import annotations

import math
import socket
from typing import Any

import pytest

from bridge.dataspace import service
from bridge.dataspace.model import Activity, Competence, CompetenceRequirement, DesignSet, Practice, Ref
from bridge.dataspace.repository import EntityRepository
from bridge.db import Database
from bridge.errors import LeadsError, NotFound, UpstreamError
from bridge.wikibase.client import WikibaseClient
from bridge.wikibase.codec import export_dump
from bridge.wikibase.propmap import PropertyMap
from tests.bridge.wikibase.conftest import make_client, without_ids
from tests.bridge.wikibase.fake_wikibase import FakeWikibase
from tests.bridge.wikibase.renumber import id_mapping, renumber


def stored(db: Database) -> list[dict[str, Any]]:
    with db.session() as session:
        return [e.model_dump(mode="json") for e in EntityRepository(session).list()]


def test_bootstrap_creates_the_model_then_nothing(fake: FakeWikibase, client: WikibaseClient) -> None:
    first = client.bootstrap()
    assert len(first.created) == len(first.propmap.ids) and not first.found
    assert fake.counts["login"] == 1  # one bot-password log-in, then the csrf token is reused
    edits = fake.counts["wbeditentity"]
    second = make_client(fake.url).bootstrap()
    assert second.created == [] and second.propmap.ids == first.propmap.ids
    assert fake.counts["wbeditentity"] == edits
    assert all("LEADS-tests/0.1" in ua and "WikibaseIntegrator" in ua for ua in fake.user_agents)


def test_bootstrap_tags_a_property_found_by_label(fake: FakeWikibase, client: WikibaseClient) -> None:
    client.bootstrap()
    pm = client.property_map()
    ects = fake.entities[pm.pid("ects")]
    del ects["claims"][pm.pid("leads-key")]  # someone made the property by hand
    report = make_client(fake.url).bootstrap()
    assert report.created == [] and ("ects", pm.pid("ects")) in report.found
    assert fake.entities[pm.pid("ects")]["claims"][pm.pid("leads-key")][0]["mainsnak"]["datavalue"]["value"] == "ects"


def test_push_then_pull_gives_the_same_model(fake: FakeWikibase, client: WikibaseClient, sample: DesignSet,
                                             db: Database) -> None:
    client.bootstrap()
    pm = client.property_map()
    report = client.push(sample, pm)
    assert len(report.created) == len(sample.entities) and not report.updated
    practice = next(e for e in sample.entities if isinstance(e, Practice))
    result = make_client(fake.url).pull(practice.key, pm)
    assert without_ids(result.design_set) == without_ids(sample)
    service.store(db, result.design_set)
    rows = stored(db)
    assert len(rows) == len(sample.entities) and all(r["wikibase_id"] for r in rows)


def test_second_push_changes_nothing_and_an_edit_is_an_update(fake: FakeWikibase, client: WikibaseClient,
                                                              sample: DesignSet) -> None:
    client.bootstrap()
    pm = client.property_map()
    client.push(sample, pm)
    edits = fake.counts["wbeditentity"]
    again = make_client(fake.url).push(sample, pm)
    assert not again.created and not again.updated and len(again.unchanged) == len(sample.entities)
    assert fake.counts["wbeditentity"] == edits
    changed = sample.model_copy(deep=True)
    practice = changed.entities[0]
    assert isinstance(practice, Practice)
    practice.labels["es"] = "Otra etiqueta"
    practice.has_part = list(reversed([Ref(key=r.key, order=5 - (r.order or 0)) for r in practice.has_part]))
    third = make_client(fake.url).push(changed, pm)
    assert [k for k, _ in third.updated] == [practice.key] and not third.created
    pulled = make_client(fake.url).pull(practice.key, pm).design_set
    got = next(e for e in pulled.entities if e.key == practice.key)
    assert isinstance(got, Practice) and got.labels["es"] == "Otra etiqueta"
    assert [r.order for r in got.has_part] == [1, 2, 3, 4]
    assert [r.key for r in got.has_part] == [r.key for r in sorted(practice.has_part, key=lambda r: r.order or 0)]


def test_push_keeps_statements_and_languages_it_does_not_own(fake: FakeWikibase, client: WikibaseClient,
                                               sample: DesignSet) -> None:
    client.bootstrap()
    pm = client.property_map()
    report = client.push(sample, pm)
    qid = report.created[0][1]
    foreign = {"mainsnak": {"snaktype": "somevalue", "property": "P999", "datatype": "string"},
               "type": "statement", "id": qid + "$OTHER", "rank": "normal"}  # a statement someone else made
    fake.entities[qid]["claims"]["P999"] = [foreign]
    fake.entities[qid]["labels"]["fr"] = {"language": "fr", "value": "Numériser une petite archive"}
    changed = sample.model_copy(deep=True)
    changed.entities[0].labels["en"] = "Digitising a small archive for Wikimedia Commons"
    make_client(fake.url).push(changed, pm)
    assert "P999" in fake.entities[qid]["claims"]
    assert fake.entities[qid]["labels"]["fr"]["value"] == "Numériser une petite archive"
    assert fake.entities[qid]["labels"]["en"]["value"] == "Digitising a small archive for Wikimedia Commons"


def big_design_set(n_competences: int) -> DesignSet:
    comps = [Competence(key=f"c-{i}", labels={"en": f"Competence {i}"}, part_of="p") for i in range(n_competences)]
    acts = [Activity(key=f"a-{i}", labels={"en": f"Activity {i}"}, part_of="p",
                     requires=[CompetenceRequirement(key=c.key, level=2) for c in comps[i::3]])
            for i in range(3)]
    practice = Practice(key="p", labels={"en": "Big practice"},
                        has_part=[Ref(key=a.key, order=i + 1) for i, a in enumerate(acts)])
    return DesignSet(entities=[practice, *acts, *comps])


def test_pull_reads_in_batches_of_50(fake: FakeWikibase, client: WikibaseClient) -> None:
    design_set = big_design_set(130)
    fake.load(export_dump(design_set))
    pm = client.property_map()
    practice = next(eid for eid, e in fake.entities.items() if e["labels"]["en"]["value"] == "Big practice")
    fake.reset_counts()
    result = client.pull(practice, pm)  # by Q id: finding an id by key costs reads of its own (tested below)
    assert without_ids(result.design_set) == without_ids(design_set)
    batches = fake.requested_ids()
    assert all(len(b) <= 50 for b in batches)
    assert len(batches) == sum(math.ceil(n / 50) for n in result.levels)
    assert len(batches) <= 6 < len(design_set.entities)  # levels: practice; 3 activities; 130 competences
    assert fake.counts["query"] <= 2 * len(result.levels)  # one haswbstatement + one linkshere per level at most


@pytest.mark.parametrize("fault", ["maxlag", "503", "429", "throttled"])
def test_transient_errors_are_retried(fake: FakeWikibase, client: WikibaseClient, sample: DesignSet,
                                      fault: str) -> None:
    fake.load(export_dump(sample))
    pm = client.property_map()
    practice = next(e for e in export_dump(sample)["entities"].values() if e["type"] == "item"
                    and pm.pid("has-part") in e["claims"] and pm.pid("part-of") not in e["claims"])
    fake.reset_counts()
    fake.fail_next(fault, times=2, action="wbgetentities")
    result = client.pull(practice["id"], pm)
    assert without_ids(result.design_set) == without_ids(sample)
    assert fake.counts["wbgetentities"] == len(result.levels) + 2


def test_429_waits_as_long_as_retry_after_says(fake: FakeWikibase) -> None:
    waits: list[float] = []
    client = WikibaseClient(fake.url, user_agent="LEADS-tests", max_retries=3, backoff_seconds=0.01,
                            sleep=waits.append)
    fake.fail_next("429", times=2, retry_after="7")
    assert client.get_entities(["Q1"], allow_missing=True) == {}
    assert waits == [7.0, 7.0]


def test_retries_run_out_with_a_clear_error_and_nothing_stored(fake: FakeWikibase, sample: DesignSet,
                                                              db: Database) -> None:
    fake.load(export_dump(sample))
    client = make_client(fake.url, max_retries=2)
    pm = client.property_map()
    service.load_sample_if_empty(db)
    before = stored(db)
    fake.fail_next("503", times=5, action="wbgetentities")
    fake.reset_counts()
    with pytest.raises(UpstreamError) as info:
        service.store(db, client.pull("Q8", pm).design_set)
    assert info.value.code == "wikibase_unavailable" and "after 2 attempts" in info.value.message
    assert "HTTP 5xx" in info.value.message and fake.counts["wbgetentities"] == 2  # max_retries from settings
    assert stored(db) == before


def test_missing_entity_is_not_found_and_nothing_stored(fake: FakeWikibase, sample: DesignSet,
                                                       db: Database) -> None:
    dump = export_dump(sample)
    fake.load(dump)
    client = make_client(fake.url)
    pm = client.property_map()
    with pytest.raises(NotFound) as info:
        client.pull("Q9999", pm)
    assert "Q9999" in info.value.message and info.value.status == 404
    # an entity under the practice was deleted: the pull fails as a whole
    competence = next(e.wikibase_id for e in service.parse_design_set(dump).entities if e.kind == "competence")
    assert competence
    del fake.entities[competence]
    service.load_sample_if_empty(db)
    before = stored(db)
    with pytest.raises(NotFound) as info:
        service.store(db, client.pull("glam-archive-to-commons", pm).design_set)
    assert competence in info.value.message
    assert stored(db) == before


def test_connection_refused_is_a_clear_error_and_nothing_stored(db: Database, sample: DesignSet) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = make_client(f"http://127.0.0.1:{port}/w/api.php", max_retries=2)
    service.load_sample_if_empty(db)
    before = stored(db)
    with pytest.raises(UpstreamError) as info:
        client.property_map()
    assert info.value.code == "wikibase_unavailable" and "cannot connect to 127.0.0.1" in info.value.message
    with pytest.raises(UpstreamError) as info:
        client.push(sample, PropertyMap.from_entities(export_dump(sample)["entities"].values()))
    assert "nothing was written to the wiki and nothing was changed locally" in info.value.message
    assert stored(db) == before


def test_wrong_bot_password_is_refused_clearly(fake: FakeWikibase) -> None:
    client = make_client(fake.url, password="wrong")
    with pytest.raises(UpstreamError) as info:
        client.bootstrap()
    assert info.value.code == "wikibase_login_failed" and "Incorrect username or password" in info.value.message


def test_writing_without_credentials_says_what_to_set(fake: FakeWikibase) -> None:
    client = WikibaseClient(fake.url, user_agent="LEADS-tests", backoff_seconds=0.01)
    with pytest.raises(LeadsError) as info:
        client.bootstrap()
    assert "LEADS_WIKIBASE_USER" in info.value.message


def test_renumbered_wikibase_pulls_the_same_model(fake: FakeWikibase, client: WikibaseClient,
                                                  sample: DesignSet) -> None:
    dump = export_dump(sample)
    other = renumber(dump, id_mapping(dump))
    fake.load(other)
    pm = client.property_map()
    assert set(pm.ids.values()) <= set(other["entities"]) and set(pm.ids.values()).isdisjoint(dump["entities"])
    result = client.pull("glam-archive-to-commons", pm)
    assert without_ids(result.design_set) == without_ids(sample)


def test_fake_refuses_more_than_50_ids(fake: FakeWikibase, client: WikibaseClient) -> None:
    with pytest.raises(UpstreamError) as info:
        client.call({"action": "wbgetentities", "ids": "|".join(f"Q{i}" for i in range(1, 52))})
    assert "toomanyvalues" in info.value.message


def test_known_ids_are_confirmed_without_searching(fake: FakeWikibase, client: WikibaseClient,
                                                   sample: DesignSet) -> None:
    """Search indexes lag behind edits on a real Wikibase; ids LEADS already knows are checked by reading."""
    client.bootstrap()
    pm = client.property_map()
    known = dict(client.push(sample, pm).created)
    known["glam-plan-rights"] = known["glam-scan-describe"]  # a stale id is not trusted: its key differs
    fake.reset_counts()
    report = make_client(fake.url).push(sample, pm, known)
    assert len(report.unchanged) == len(sample.entities)
    assert fake.counts["wbsearchentities"] == 0 and fake.counts["query"] == 1  # only the stale one searched


def test_search_lag_does_not_make_duplicates(fake: FakeWikibase, client: WikibaseClient,
                                             sample: DesignSet) -> None:
    """Right after an edit, a real Wikibase's search may not find it; the label clash on creation does."""
    first = client.bootstrap()
    pm = first.propmap
    client.push(sample, pm)
    count = len(fake.entities)
    fake.search_lag = True
    again = make_client(fake.url).bootstrap()
    assert again.created == [] and again.propmap.ids == pm.ids
    pushed = make_client(fake.url).push(sample, pm)
    assert not pushed.created and len(pushed.unchanged) == len(sample.entities)
    assert len(fake.entities) == count


def test_label_clash_with_a_foreign_item_is_explained(fake: FakeWikibase, client: WikibaseClient,
                                                      sample: DesignSet) -> None:
    client.bootstrap()
    pm = client.property_map()
    practice = sample.entities[0]
    foreign = client.create({"labels": {"en": {"language": "en", "value": practice.labels["en"]}},
                             "descriptions": {"en": {"language": "en", "value": practice.descriptions["en"]}}},
                            "item")
    fake.search_lag = True
    with pytest.raises(UpstreamError) as info:
        client.push(sample, pm)
    assert foreign["id"] in info.value.message and "change one of the two labels" in info.value.message
