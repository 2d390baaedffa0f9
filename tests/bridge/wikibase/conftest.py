"""Fixtures: a fake Wikibase on loopback and a client for it with fast retries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bridge.dataspace.model import DesignSet
from bridge.dataspace.service import SAMPLE_DESIGN_SET, read_design_set_file
from bridge.wikibase.client import WikibaseClient
from tests.bridge.wikibase.fake_wikibase import FakeWikibase, running

BOT_USER, BOT_PASSWORD = "Leads@bot", "bot-secret"


@pytest.fixture
def fake() -> Iterator[FakeWikibase]:
    with running() as server:
        yield server


def make_client(url: str, *, max_retries: int = 4, password: str = BOT_PASSWORD) -> WikibaseClient:
    return WikibaseClient(url, user_agent="LEADS-tests/0.1 (leads@example.org)", user=BOT_USER,
                          password=password, max_retries=max_retries, backoff_seconds=0.01, timeout=5)


@pytest.fixture
def client(fake: FakeWikibase) -> WikibaseClient:
    return make_client(fake.url)


@pytest.fixture
def sample() -> DesignSet:
    return read_design_set_file(SAMPLE_DESIGN_SET)


def without_ids(design_set: DesignSet) -> list[dict[str, object]]:
    """The model minus ``wikibase_id``, sorted by key, for comparisons across Wikibases."""
    return sorted((e.model_dump(mode="json", exclude={"wikibase_id"}) for e in design_set.entities),
                  key=lambda d: str(d["key"]))
