"""Fixtures: a strict fake Wikibase on loopback and a client for it, sharing a clock that moves only on sleep.

The fake throttles at 90 edits a minute like a real wiki; the shared :class:`FakeClock` lets a push wait out
the 60 s window in no time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bridge.dataspace.model import (
    Activity,
    Assessment,
    Competence,
    CompetenceRequirement,
    Course,
    CredentialDesign,
    DesignSet,
    Entity,
    LearningOutcome,
    Practice,
    Ref,
)
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


def generated_design_set(n: int = 200) -> DesignSet:
    """A practice with every kind of entity, ``n`` entities in all (labels unique, terms within the limits)."""
    k = max(1, (n - 4) // 6)
    comps = [Competence(key=f"g-c{i}", labels={"en": f"Competence {i}", "es": f"Competencia {i}"}, part_of="g-p",
                        esco=f"http://data.europa.eu/esco/skill/{i:04d}") for i in range(k)]
    outcomes = [LearningOutcome(key=f"g-lo{i}", labels={"en": f"Outcome {i}"},
                                competence=CompetenceRequirement(key=comps[i].key, level=2)) for i in range(k)]
    assessments = [Assessment(key=f"g-as{i}", labels={"en": f"Assessment {i}"}, passing_threshold=60 + i % 30,
                              assesses=[outcomes[i].key]) for i in range(k)]
    designs = [CredentialDesign(key=f"g-mc{i}", labels={"en": f"Micro-credential {i}"}, part_of="g-p", ects=1,
                                eqf_level=4, outcomes=[outcomes[i].key], assessed_by=[assessments[i].key],
                                language="en") for i in range(k)]
    courses = [Course(key=f"g-co{i}", labels={"en": f"Course {i}"}, design=designs[i].key, lms="moodle",
                      url=f"https://moodle.example.org/course/view.php?id={i}") for i in range(k)]
    acts = [Activity(key=f"g-a{i}", labels={"en": f"Activity {i}"}, part_of="g-p",
                     requires=[CompetenceRequirement(key=c.key, level=1) for c in comps[i::3]]) for i in range(3)]
    practice = Practice(key="g-p", labels={"en": "Generated practice"},
                        has_part=[Ref(key=a.key, order=i + 1) for i, a in enumerate(acts)])
    entities: list[Entity] = [practice, *acts, *comps, *outcomes, *assessments, *designs, *courses]
    extra = n - len(entities)
    entities += [Competence(key=f"g-cx{i}", labels={"en": f"Extra competence {i}"}, part_of="g-p")
                 for i in range(extra)]
    return DesignSet(entities=entities[:n])
