"""Fixtures: a strict fake Wikibase on loopback and a client for it, sharing a clock that moves only on sleep.

The fake throttles at 90 edits a minute like a real wiki; the shared :class:`FakeClock` lets a push wait out
the 60 s window in no time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bridge.dataspace.model import DesignSet
from bridge.dataspace.service import SAMPLE_DESIGN_SET, read_design_set_file
from bridge.wikibase.client import WikibaseClient
from tests.bridge.wikibase.fake_wikibase import FakeClock, FakeWikibase, running

BOT_USER, BOT_PASSWORD = "Leads@bot", "bot-secret"
_CLOCKS: dict[str, FakeClock] = {}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> Iterator[FakeWikibase]:
    with running(FakeWikibase(clock=clock)) as server:
        _CLOCKS[server.url] = clock  # every client made for this fake (make_client(fake.url)) shares its clock
        yield server
        _CLOCKS.pop(server.url, None)


def make_client(url: str, *, max_retries: int = 4, password: str = BOT_PASSWORD, clock: FakeClock | None = None,
                **kwargs: object) -> WikibaseClient:
    clock = clock or _CLOCKS.get(url) or FakeClock()
    return WikibaseClient(url, user_agent="LEADS-tests/0.1 (leads@example.org)", user=BOT_USER,
                          password=password, max_retries=max_retries, backoff_seconds=0.01, timeout=5,
                          sleep=clock.sleep, clock=clock.now, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def client(fake: FakeWikibase, clock: FakeClock) -> WikibaseClient:
    return make_client(fake.url, clock=clock)


@pytest.fixture
def sample() -> DesignSet:
    return read_design_set_file(SAMPLE_DESIGN_SET)


def without_ids(design_set: DesignSet) -> list[dict[str, object]]:
    """The model minus ``wikibase_id``, sorted by key, for comparisons across Wikibases."""
    return sorted((e.model_dump(mode="json", exclude={"wikibase_id"}) for e in design_set.entities),
                  key=lambda d: str(d["key"]))
