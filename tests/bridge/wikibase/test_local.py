"""Storing a pull: the practice replaces what was there, but never an entity of another kind under the same key."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.dataspace.api import EntityRepository
from bridge.dataspace.model import CompetenceRequirement, DesignSet, LearningOutcome
from bridge.db import Database
from bridge.errors import ValidationFailed
from bridge.wikibase import local
from bridge.wikibase.client import WikibaseClient
from tests.bridge.wikibase.fake_wikibase import FakeWikibase

ROOT = "glam-archive-to-commons"


def test_a_pull_that_would_change_an_entitys_kind_is_refused_and_stores_nothing(
        fake: FakeWikibase, client: WikibaseClient, sample: DesignSet, db: Database) -> None:
    """Someone on the wiki gives an activity the key of a learning outcome stored here: the pull replaced the
    outcome with an activity, and the whole data space then failed validation (editor pages answered 404)."""
    pm = client.bootstrap().propmap
    client.push(sample, pm)
    local.apply_pull(db, client.pull(ROOT, pm), ROOT, client.api_url)
    with db.session() as session:
        EntityRepository(session).upsert_many([LearningOutcome(
            key="other-lo", labels={"en": "Other outcome"},
            competence=CompetenceRequirement(key="glam-structured-data", level=2))])
        ids = {e.key: e.wikibase_id for e in EntityRepository(session).list()}
    records = local.load_records(db, client.api_url)

    def rekey(entity: dict[str, Any]) -> None:
        entity["claims"][pm.pid("leads-key")][0]["mainsnak"]["datavalue"]["value"] = "other-lo"

    fake.wiki_edit(str(ids["glam-link-wikidata"]), rekey)
    result = client.pull(ROOT, pm)
    with pytest.raises(ValidationFailed) as info:
        local.apply_pull(db, result, ROOT, client.api_url)
    [problem] = info.value.problems
    assert problem.entity == "other-lo" and "learning outcome" in problem.message and "activity" in problem.message
    assert "nothing was stored" in info.value.message
    with db.session() as session:
        after = {e.key: e for e in EntityRepository(session).list()}
    assert after["other-lo"].kind == "learning-outcome" and "glam-link-wikidata" in after  # nothing replaced
    assert local.load_records(db, client.api_url) == records
