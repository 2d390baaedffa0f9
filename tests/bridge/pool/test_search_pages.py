"""The pool's search a page at a time (MOOC scale: tens of thousands of people): every person matching is on
exactly one page, in name order, ties by number; the language filter is the database's; the count stops at a
bound; a changed link is a 422 that says what to do; the published credentials are never read. On both back-ends."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from bridge.app import create_app
from bridge.dataspace import service as dataspace_service
from bridge.db import Database
from bridge.pool import capx, search
from bridge.pool.tables import PoolCompetence, PoolEntry, PoolProfile
from bridge.settings import Settings
from tests.bridge.db.sent import sent_to
from tests.bridge.pool.fakes import FakeCapx, serve

COMPETENCE = "glam-copyright-assessment"
JSON = {"Accept": "application/json"}
# names out of order, one shared by two people (the page boundary falls between them), accents sorted by the database
NAMES = ["Zoe", "Ada", "Bea", "Bea", "Cai", "Dov", "Eli", "Fay", "Gus", "Hal", "Ivo"]


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    dataspace_service.load_sample_if_empty(db)
    now = datetime.now(UTC)
    with db.session() as session:
        for i, name in enumerate(NAMES):
            person = PoolProfile(handle=f"p{i}", display_name=name, languages=["es"] if i % 2 else ["en"],
                                 token_hash="x" * 64)
            entry = PoolEntry(fingerprint=f"{i:064d}", credential={"big": "x" * 5000}, issuer="did:web:example.org",
                              title="Rights", design_key="glam-mc-rights", verified_at=now, issuer_name="Example",
                              state="verified")
            entry.competences.append(PoolCompetence(competence_key=COMPETENCE, level=2))
            person.entries.append(entry)
            session.add(person)
    with TestClient(create_app(settings, db)) as test_client:
        yield test_client


def _walk(client: TestClient, first: str) -> tuple[list[dict[str, Any]], list[str]]:
    seen: list[dict[str, Any]] = []
    links, url = [], first
    while url:
        response = client.get(url, headers=JSON)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["people"]) <= 3
        seen += body["people"]
        links.append(url)
        url = body["next"]
    return seen, links


def test_every_person_on_exactly_one_page_in_name_order(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "PAGE_SIZE", 3)
    seen, links = _walk(client, f"/pool?competence={COMPETENCE}")
    names = [p["display_name"] for p in seen]
    assert names == sorted(NAMES) and len({p["handle"] for p in seen}) == len(NAMES)
    assert len(links) == 4 and all(f"competence={COMPETENCE}" in link for link in links[1:])
    assert [p["handle"] for p in seen if p["display_name"] == "Bea"] == ["p2", "p3"]  # ties in the order published
    assert all(c["competence"] == COMPETENCE and c["issuer_name"] == "Example" for p in seen for c in p["competences"])
    first = client.get(f"/pool?competence={COMPETENCE}", headers=JSON).json()
    assert (first["total"], first["total_exact"]) == (len(NAMES), True)
    # the competence's own page pages the same way
    seen, _ = _walk(client, f"/pool/competences/{COMPETENCE}")
    assert [p["display_name"] for p in seen] == sorted(NAMES)


def test_the_language_filter_and_the_count_bound(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "PAGE_SIZE", 3)
    seen, _ = _walk(client, "/pool?language=%20es%20")
    assert sorted(p["handle"] for p in seen) == sorted(f"p{i}" for i in range(len(NAMES)) if i % 2)
    assert client.get("/pool?language=fr", headers=JSON).json()["people"] == []
    monkeypatch.setattr(search, "COUNT_UP_TO", 4)
    body = client.get("/pool", headers=JSON).json()
    assert (body["total"], body["total_exact"]) == (4, False)
    page = client.get("/pool?lang=es").text
    assert "Personas (más de 4)" in page and "Se muestran 3 de más de 4 personas, por orden de nombre." in page
    assert re.search(r'<a href="/pool\?lang=es&amp;after=[A-Za-z0-9_-]+" rel="next">Página siguiente</a>', page)
    monkeypatch.setattr(search, "COUNT_UP_TO", 1000)
    page = client.get("/pool?lang=en").text
    assert "People (11)" in page and "Showing 3 of 11 people, in order of name." in page
    assert "First page" not in page
    following = re.search(r'<a href="([^"]+)" rel="next">Next page</a>', page)
    assert following is not None
    second = client.get(following.group(1).replace("&amp;", "&")).text
    assert '<a href="/pool?lang=en">First page</a>' in second


def _token(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


CHANGED = ["zzz", "%%%", _token([1, 2]), _token({"a": 1}), _token(["Ada", True]), _token(["Ada", 10**30]),
           _token(["Ada", -1]), _token(["A\u0000da", 3]), _token(["x" * 1001, 3]), _token(["Ada"])]


@pytest.mark.parametrize("after", CHANGED)
def test_a_changed_link_is_refused_with_what_to_do(client: TestClient, after: str) -> None:
    response = client.get("/pool", params={"after": after}, headers=JSON)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_cursor"
    assert "start again from the first page" in response.json()["message"]
    assert client.get(f"/pool/competences/{COMPETENCE}", params={"after": after}).status_code == 422


def test_a_page_never_reads_the_published_credentials(client: TestClient, db: Database) -> None:
    with sent_to(db) as sent:
        assert client.get("/pool", headers=JSON).status_code == 200
    assert any("pool_entries.title" in s for s in sent.statements), sent.statements
    assert not any("pool_entries.credential" in s or "holder_proof" in s
                                       for s in sent.statements), sent.statements


def test_the_capx_missing_report_costs_the_same_for_any_number_of_people(
        client: TestClient, db: Database, settings: Settings) -> None:
    """A public page: one grouped query however many people are in the pool (it read every profile before)."""
    with serve(FakeCapx()) as url, httpx.Client() as http:
        online = settings.model_copy(update={"capx_api_url": url})
        with sent_to(db) as sent:
            report, reached = capx.missing_report(db, online, http)
        assert reached and [(m["competence"], m["holders"]) for m in report] == [(COMPETENCE, len(NAMES))]
        now = datetime.now(UTC)
        with db.session() as session:  # as many people again, one of them holding it twice
            for i in range(len(NAMES)):
                person = PoolProfile(handle=f"q{i}", display_name=f"Q {i}", languages=[], token_hash="y" * 64)
                for copy in range(2 if i == 0 else 1):
                    entry = PoolEntry(fingerprint=f"q{i}-{copy}", credential={}, issuer="did:web:example.org",
                                      title="Rights", verified_at=now, state="verified")
                    entry.competences.append(PoolCompetence(competence_key=COMPETENCE, level=1))
                    person.entries.append(entry)
                session.add(person)
        with sent_to(db) as again:
            report, _ = capx.missing_report(db, online, http)
    assert [m["holders"] for m in report] == [2 * len(NAMES)]
    pool_reads = [[s for s in run.statements if "pool_" in s] for run in (sent, again)]
    assert len(pool_reads[0]) == len(pool_reads[1]) == 1, pool_reads


def test_languages_are_named_in_the_readers_language_never_as_codes(client: TestClient) -> None:
    english = client.get("/pool?lang=en&language=es").text
    assert "speaks Spanish" in english and "speaks es" not in english
    assert '<option value="es" selected>Spanish</option>' in english and ">French</option>" in english
    spanish = client.get("/pool?lang=es").text
    assert "habla español" in spanish and "habla inglés" in spanish and "habla es<" not in spanish
    assert "Trabaja en el idioma" in spanish and '<option value="fr" >francés</option>' in spanish
    profile = client.get("/pool/people/p1?lang=es").text
    assert "<dd>español</dd>" in profile
    odd = client.get("/pool?lang=en&language=eu").text  # a link for a language the form does not offer
    assert '<option value="eu" selected>Basque</option>' in odd
