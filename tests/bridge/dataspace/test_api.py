"""The design-set API: admin token, validation listing every problem, all-or-nothing storing, entity listing."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bridge.app import create_app
from bridge.dataspace import service
from bridge.dataspace.repository import EntityRepository
from bridge.db import Database
from bridge.settings import Settings

TOKEN = "a-real-admin-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"admin_token": SecretStr(TOKEN)})


@pytest.fixture
def client(app_settings: Settings, db: Database) -> TestClient:
    return TestClient(create_app(app_settings, db))


def sample() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(service.SAMPLE_DESIGN_SET.read_text(encoding="utf-8"))
    return data


def stored_keys(db: Database) -> set[str]:
    with db.session() as session:
        return {e.key for e in EntityRepository(session).list()}


def broken() -> dict[str, Any]:
    """The sample with one of each problem the validation must catch, plus a new, valid practice."""
    data = sample()
    by_key = {e["key"]: e for e in data["entities"]}
    by_key["glam-mc-rights"]["has_part"] = [{"key": "glam-archive-to-commons-certificate", "order": 1}]  # cycle
    by_key["glam-mc-digitisation"]["outcomes"] = []  # a credential without outcomes
    by_key["glam-archive-to-commons-certificate"]["ects"] = 3  # parts (5) exceed the whole
    by_key["glam-mc-commons-upload"]["eqf_level"] = 9  # outside 1-8
    by_key["glam-course-moodle"]["design"] = "no-such-design"  # dangling reference
    by_key["glam-as-rights-quiz"]["labels"] = {"es": "Solo en español"}  # missing (English) label
    data["entities"].append({"kind": "practice", "key": "new-valid-practice", "labels": {"en": "New"}})
    return data


def test_validate_accepts_the_sample_without_storing(client: TestClient, db: Database) -> None:
    r = client.post("/api/design-sets/validate", json=sample())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["valid"] is True and body["counts"]["credential-design"] == 4 and body["counts"]["course"] == 2
    assert stored_keys(db) == set()


def test_validate_lists_every_problem(client: TestClient, db: Database) -> None:
    r = client.post("/api/design-sets/validate", json=broken())
    assert r.status_code == 422
    problems = r.json()["problems"]
    found = {(p["entity"], p["property"]) for p in problems}
    assert ("glam-mc-rights", "has part") in found or ("glam-archive-to-commons-certificate", "has part") in found
    assert any("cycle" in p["message"] for p in problems)
    assert ("glam-mc-digitisation", "learning outcome") in found
    assert ("glam-archive-to-commons-certificate", "ECTS credit points") in found
    assert ("glam-mc-commons-upload", "EQF level") in found
    assert ("glam-course-moodle", "credential design") in found
    assert ("glam-as-rights-quiz", "label") in found
    assert all(p["message"] for p in problems)
    assert stored_keys(db) == set()


def test_store_needs_the_admin_token(client: TestClient, db: Database) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        r = client.post("/api/design-sets", json=sample(), headers=headers)
        assert r.status_code == 401, headers
        assert r.json()["error"] == "unauthorized" and "LEADS_ADMIN_TOKEN" in r.json()["message"]
        assert r.headers["www-authenticate"].startswith("Bearer")
    assert stored_keys(db) == set()


def test_store_refuses_a_broken_set_and_stores_nothing_in_part(client: TestClient, db: Database) -> None:
    r = client.post("/api/design-sets", json=broken(), headers=AUTH)
    assert r.status_code == 422
    assert len(r.json()["problems"]) >= 6
    assert stored_keys(db) == set()  # not even the valid new practice


def test_store_the_sample_then_browse_it(client: TestClient, db: Database) -> None:
    r = client.post("/api/design-sets", json=sample(), headers=AUTH)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["stored"] == len(sample()["entities"])
    assert body["counts"] == {"activity": 4, "assessment": 3, "competence": 5, "course": 2,
                              "credential-design": 4, "learning-outcome": 7, "practice": 1}
    assert "glam-archive-to-commons" in stored_keys(db)
    assert client.get("/practices/glam-archive-to-commons").status_code == 200

    # a later set may refer to what is stored already
    more = {"entities": [{"kind": "course", "key": "glam-course-extra", "labels": {"en": "Extra"},
                          "design": "glam-mc-rights", "url": "https://moodle.example.org/course/view.php?id=9"}]}
    assert client.post("/api/design-sets/validate", json=more).status_code == 200
    assert client.post("/api/design-sets", json=more, headers=AUTH).status_code == 201
    before = copy.deepcopy(stored_keys(db))
    bad_update = {"entities": [{"kind": "course", "key": "glam-course-extra", "labels": {"en": "Extra"},
                                "design": "gone"}]}
    assert client.post("/api/design-sets", json=bad_update, headers=AUTH).status_code == 422
    assert stored_keys(db) == before
    assert client.get("/courses/glam-course-extra", headers={"Accept": "application/json"}).json()[
        "design"]["key"] == "glam-mc-rights"


def test_bad_bodies_are_4xx_with_problems(client: TestClient) -> None:
    r = client.post("/api/design-sets/validate", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["problems"]
    r = client.post("/api/design-sets/validate", json={"entities": [{"kind": "planet", "key": "x"}]})
    assert r.status_code == 422 and r.json()["problems"]
    r = client.post("/api/design-sets/validate", json={"entities": [{"kind": "practice", "key": "Bad Key!"}]})
    assert r.status_code == 422
    assert any(p["property"] == "key" for p in r.json()["problems"])


def test_entities_list_with_keys(client: TestClient, db: Database) -> None:
    service.load_sample_if_empty(db)
    everything = client.get("/api/entities").json()["entities"]
    assert len(everything) == len(sample()["entities"])
    courses = client.get("/api/entities", params={"kind": "course"}).json()["entities"]
    assert [c["key"] for c in courses] == ["glam-course-moodle", "glam-course-openedx"]
    assert courses[0]["href"] == "/courses/glam-course-moodle"
    assert courses[0]["uri"] == "http://testserver/entity/glam-course-moodle"
    assert {e["kind"] for e in client.get("/api/entities?kind=credential-design").json()["entities"]} == {
        "credential-design"}
    assert client.get("/api/entities?kind=planet").status_code == 422


def test_store_a_wbgetentities_dump(client: TestClient, db: Database) -> None:
    dump = json.loads(service.SAMPLE_DUMP.read_text(encoding="utf-8"))
    assert isinstance(dump["entities"], dict)
    assert client.post("/api/design-sets/validate", json=dump).status_code == 200
    r = client.post("/api/design-sets", json=dump, headers=AUTH)
    assert r.status_code == 201, r.text
    assert r.json()["counts"]["credential-design"] == 4
    assert {e["key"] for e in sample()["entities"]} <= stored_keys(db)
    practice = client.get("/practices/glam-archive-to-commons", headers={"Accept": "application/json"}).json()
    assert practice["practice"]["wikibase_id"]
    assert client.get(f"/entity/{practice['practice']['wikibase_id']}", follow_redirects=False).headers[
        "location"] == "/practices/glam-archive-to-commons"
