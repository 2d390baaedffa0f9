"""The CapX sync against a double of capx-backend: a learner's verified skill goes into skills_known (and
skills_available), the skill she typed herself stays, and the LEADS skill leaves CapX after its credential is
revoked. The evidence URL shows the entry with a verification run at the time of the request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bridge.app import create_app
from bridge.dataspace import service as dataspace_service
from bridge.db import Database
from bridge.pool.capx import SkillList
from bridge.settings import Settings
from tests.bridge.pool.fakes import FakeCapx, FakeWikiOAuth, WikiAccount, serve
from tests.bridge.pool.holding import Holder
from tests.bridge.pool.identity import ADMIN, sign_in, start_login
from tests.clock import Clock

QID = "Q12978"  # the sample data space's "Copyright and licensing assessment"


@pytest.fixture
def capx() -> Iterator[tuple[FakeCapx, str]]:
    fake = FakeCapx()
    with serve(fake) as url:
        yield fake, url


@pytest.fixture
def wiki() -> Iterator[tuple[FakeWikiOAuth, str]]:
    fake = FakeWikiOAuth()
    with serve(fake) as url:
        yield fake, url


@pytest.fixture
def client(settings: Settings, db: Database, capx: tuple[FakeCapx, str],
           wiki: tuple[FakeWikiOAuth, str]) -> Iterator[TestClient]:
    configured = settings.model_copy(update={
        "wiki_oauth_rest_url": f"{wiki[1]}/w/rest.php", "wiki_oauth_client_id": wiki[0].client_id,
        "wiki_oauth_client_secret": SecretStr(wiki[0].client_secret), "capx_api_url": capx[1]})
    dataspace_service.load_sample_if_empty(db)
    with TestClient(create_app(configured, db)) as test_client:
        yield test_client


def cat_in_the_pool(client: TestClient, wiki: FakeWikiOAuth) -> tuple[dict[str, Any], dict[str, str]]:
    """Cat: a credential bound to her key, published with a presentation, her wiki account proven."""
    holder = Holder()
    issued = client.post("/api/credentials", json={"design": "glam-mc-rights", "format": "ob3", "grade": "85",
                                                   "learner": {"name": "Cat", "id": holder.did}}, headers=ADMIN)
    assert issued.status_code == 201, issued.text
    made = client.post("/api/pool/profiles", json={"handle": "cat", "display_name": "Cat"})
    auth = {"Authorization": f"Bearer {made.json()['token']}"}
    published = client.post("/api/pool/profiles/cat/credentials", headers=auth,
                            json={"presentation": holder.present(client, issued.json()["credential"])})
    assert published.status_code == 201, published.text
    assert sign_in(client, wiki, start_login(client, "cat", auth), WikiAccount("CatGLAM", 4711)).status_code == 303
    return {**issued.json(), "entry": published.json()["id"]}, auth


def test_sync_keeps_the_persons_skills_and_removes_only_leads_skill_after_revocation(
        client: TestClient, capx: tuple[FakeCapx, str], wiki: tuple[FakeWikiOAuth, str]) -> None:
    fake, _ = capx
    decoy = fake.add_skill("Q129780")  # a substring match of Q12978: /skill/?search= would return it too
    typed = fake.add_skill("Q1")  # a capacity Cat entered herself in CapX
    copyright_id = fake.add_skill(QID)
    uid, token = fake.add_user("CatGLAM")
    fake.profiles[uid].update(skills_known=[typed], skills_available=[typed], about="Archivist in Lima",
                              language=[{"id": 1, "proficiency": "n"}])
    credential, auth = cat_in_the_pool(client, wiki[0])

    connected = client.post("/api/pool/profiles/cat/capx", headers=auth,
                            json={"capx_token": token, "share_available": True})
    assert connected.status_code == 200, connected.text
    assert connected.json()["added"] == [copyright_id] and decoy not in connected.json()["skills_known"]
    skill = connected.json()["skills"][0]
    assert skill["capacity"] == copyright_id and skill["level"] == 2
    assert skill["evidence"][0]["url"] == f"http://testserver/pool/evidence/{credential['entry']}"
    profile = fake.profiles[uid]
    assert profile["skills_known"] == [typed, copyright_id] and profile["skills_available"] == [typed, copyright_id]
    assert profile["about"] == "Archivist in Lima" and profile["language"] == [{"id": 1, "proficiency": "n"}]
    puts = [r for r in fake.requests if r[0] == "PUT"]
    assert len(puts) == 1 and puts[0][1] == f"/profile/{uid}/" and "user" in puts[0][2] and "language" in puts[0][2]

    again = client.post("/api/pool/profiles/cat/capx/sync", headers=auth)
    assert again.json()["added"] == [] and len([r for r in fake.requests if r[0] == "PUT"]) == 1  # nothing to write

    revoked = client.post(f"/api/credentials/{credential['id']}/revoke", json={"reason": "test"}, headers=ADMIN)
    assert revoked.status_code == 200
    after = client.post("/api/pool/profiles/cat/capx/sync", headers=auth)
    assert after.status_code == 200 and after.json()["removed"] == [copyright_id]
    assert fake.profiles[uid]["skills_known"] == [typed] and fake.profiles[uid]["skills_available"] == [typed]
    assert fake.profiles[uid]["about"] == "Archivist in Lima"

    # at once, the evidence URL vouches for it no more: not found, as if it had never been published (its owner
    # sees why on her own views)
    gone = client.get(f"/pool/evidence/{credential['entry']}", headers={"Accept": "application/json"})
    assert gone.status_code == 404 and gone.json()["error"] == "evidence_gone"
    owned = client.post("/pool/people/cat/hidden", data={"token": auth["Authorization"][7:]},
                        headers={"Accept": "application/json"}).json()["credentials"]
    assert [(e["id"], e["listed"], e["hidden_because"]) for e in owned] == [(credential["entry"], False, "revoked")]


def test_a_skill_with_no_capx_capacity_is_reported_with_what_capx_needs(
        client: TestClient, capx: tuple[FakeCapx, str], wiki: tuple[FakeWikiOAuth, str]) -> None:
    fake, _ = capx
    uid, _ = fake.add_user("CatGLAM")
    fake.profiles[uid]["language"] = [{"id": 2, "proficiency": "3"}]
    cat_in_the_pool(client, wiki[0])
    auth_free = client.get("/pool/capx/missing", headers={"Accept": "application/json"}).json()["missing"]
    assert [m["qid"] for m in auth_free] == [QID]
    assert auth_free[0]["request"] == {"method": "POST", "path": "/skill/", "body": {
        "skill_wikidata_item": QID, "skill_type": None}, "note": auth_free[0]["request"]["note"]}
    page = client.get("/pool/capx/missing?lang=es")
    assert page.status_code == 200 and QID in page.text


def test_the_missing_report_says_when_capx_cannot_be_reached(settings: Settings, db: Database) -> None:
    dataspace_service.load_sample_if_empty(db)
    with serve(FakeCapx()) as url:
        pass  # the port is closed again: nothing answers there
    with TestClient(create_app(settings.model_copy(update={"capx_api_url": url}), db)) as offline:
        report = offline.get("/pool/capx/missing", headers={"Accept": "application/json"}).json()
        assert report["capx_reached"] is False and report["missing"] == []
        assert "could not be reached" in offline.get("/pool/capx/missing").text


def test_the_public_missing_page_asks_capx_once_however_often_it_is_read(
        client: TestClient, capx: tuple[FakeCapx, str]) -> None:
    """Anyone may read the page: before, each read was one call to CapX, so LEADS could be used to load CapX."""
    fake, _ = capx
    for _ in range(5):
        assert client.get("/pool/capx/missing", headers={"Accept": "application/json"}).json()["capx_reached"]
        assert client.get("/pool/capx/missing?lang=es").status_code == 200
    assert [r for r in fake.requests if r[1] == "/list/skills/"] == [("GET", "/list/skills/", None)]


def test_the_kept_skill_list_is_read_again_after_its_time_and_sooner_after_a_failure() -> None:
    clock = Clock()
    skills = SkillList(ttl=600.0, failed_ttl=60.0, clock=clock)
    fake = FakeCapx()
    with serve(fake) as url, httpx.Client() as http:
        assert skills.capacities(url, http) == {}
        clock.now += 599.0
        assert skills.capacities(url, http) == {} and len(fake.requests) == 1
        fake.add_skill(QID)
        clock.now += 2.0  # past ten minutes: CapX's new skill shows
        assert list(skills.capacities(url, http) or {}) == [QID] and len(fake.requests) == 2
        other = FakeCapx()
        with serve(other) as moved:  # LEADS_CAPX_API_URL changed: never the old instance's list
            assert skills.capacities(moved, http) == {} and len(other.requests) == 1
    with serve(FakeCapx()) as gone:
        pass
    with httpx.Client() as http:
        assert skills.capacities(gone, http) is None
        clock.now += 59.0
        with serve(fake) as url:  # within the minute the failure is kept
            assert skills.capacities(gone, http) is None and len(fake.requests) == 2
            clock.now += 2.0
            assert skills.capacities(url, http) is not None and len(fake.requests) == 3


def test_the_token_must_belong_to_the_profiles_proven_wiki_user(
        client: TestClient, capx: tuple[FakeCapx, str], wiki: tuple[FakeWikiOAuth, str]) -> None:
    fake, _ = capx
    _, mallory_token = fake.add_user("Mallory")
    _, auth = cat_in_the_pool(client, wiki[0])
    refused = client.post("/api/pool/profiles/cat/capx", headers=auth, json={"capx_token": mallory_token})
    assert refused.status_code == 403 and refused.json()["error"] == "capx_account_mismatch"
    bad = client.post("/api/pool/profiles/cat/capx", headers=auth, json={"capx_token": "0" * 64})
    assert bad.status_code == 422 and bad.json()["error"] == "capx_token_refused"


def test_evidence_page_shows_the_entry_and_its_live_verification(
        client: TestClient, wiki: tuple[FakeWikiOAuth, str]) -> None:
    credential, _ = cat_in_the_pool(client, wiki[0])
    url = f"/pool/evidence/{credential['entry']}"
    data = client.get(url, headers={"Accept": "application/json"}).json()
    assert data["verification"]["verified"] is True and data["listed"] is True
    assert data["profile"] == {"handle": "cat", "display_name": "Cat", "wiki_username": "CatGLAM"}
    assert [(c["competence"], c["level"], c["wikidata"]) for c in data["competences"]] == [
        ("glam-copyright-assessment", 2, QID)]
    page = client.get(url)
    assert page.status_code == 200 and "Verified just now" in page.text and "level 2" in page.text
    export = client.get("/pool/people/cat/capx.json").json()
    assert export["wiki_username_verified"] is True and export["skills"][0]["level"] == 2
    assert export["skills"][0]["evidence"][0]["url"] == f"http://testserver{url}"
    assert client.get("/pool/evidence/999999").status_code == 404
    badges = client.get("/pool/capx/badges/user/CatGLAM/").json()["results"]
    assert badges[0]["assertion_url"] == f"http://testserver{url}"
    assert badges[0]["skills"][0]["skill_wikidata_item"] == QID and badges[0]["skills"][0]["level"] == 2
    assert client.get("/pool/capx/badges/user/Mallory/").json() == {"count": 0, "results": []}


def test_the_capx_double_is_as_strict_as_capx(capx: tuple[FakeCapx, str]) -> None:
    fake, url = capx
    q56, q565 = fake.add_skill("Q56"), fake.add_skill("Q565")
    uid, token = fake.add_user("CatGLAM")
    other, _ = fake.add_user("Ada")
    auth = {"Authorization": f"Token {token}"}
    assert [s["id"] for s in httpx.get(f"{url}/skill/", params={"search": "Q56"}).json()["results"]] == [q56, q565]
    assert httpx.get(f"{url}/list/skills/").json() == {str(q56): "Q56", str(q565): "Q565"}
    me = httpx.get(f"{url}/profile/{uid}/", headers=auth).json()
    body = {k: v for k, v in me.items() if k not in ("last_update", "last_login", "is_manager", "badges")}
    assert httpx.put(f"{url}/profile/{uid}/", json={**body, "skills_known": ["Q56"]}, headers=auth).json() == {
        "skills_known": ["Incorrect type. Expected pk value, received str."]}
    assert httpx.put(f"{url}/profile/{uid}/", json={**body, "skills_known": [999]}, headers=auth).json() == {
        "skills_known": ['Invalid pk "999" - object does not exist.']}
    missing = {k: v for k, v in body.items() if k not in ("user", "language")}
    assert httpx.put(f"{url}/profile/{uid}/", json=missing, headers=auth).json() == {
        "user": ["This field is required."], "language": ["This field is required."]}
    subset = httpx.put(f"{url}/profile/{uid}/", json={**body, "skills_known": [], "skills_available": [q56]},
                       headers=auth)
    assert subset.status_code == 409
    assert httpx.patch(f"{url}/profile/{uid}/", json={"about": "x"}, headers=auth).status_code == 405
    assert httpx.put(f"{url}/profile/{other}/", json=body, headers=auth).status_code == 404
    assert httpx.put(f"{url}/profile/{uid}/", json=body).json() == {
        "detail": "Authentication credentials were not provided."}
    assert httpx.get(f"{url}/profile/", headers={"Authorization": "Token nope"}).json() == {"detail": "Invalid token."}
    assert httpx.post(f"{url}/skill/", json={"skill_wikidata_item": "Q1"}, headers=auth).json() == {
        "detail": "Only staff can create skills."}
    assert httpx.put(f"{url}/profile/{uid}/", json={**body, "skills_known": [q56]}, headers=auth).status_code == 200


def test_my_certificates_syncs_with_the_wiki_session_and_follows_a_suspension(
        client: TestClient, capx: tuple[FakeCapx, str], wiki: tuple[FakeWikiOAuth, str]) -> None:
    import re

    fake, _ = capx
    copyright_id = fake.add_skill(QID)
    uid, token = fake.add_user("CatGLAM")
    fake.profiles[uid]["language"] = [{"id": 1, "proficiency": "4"}]
    credential, _ = cat_in_the_pool(client, wiki[0])  # the sign-in left the wiki session cookie in the client
    page = client.get("/pool/mine")
    assert page.status_code == 200 and "CatGLAM" in page.text and f"/pool/evidence/{credential['entry']}" in page.text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf is not None
    stale = client.post("/pool/mine/cat/capx", data={"csrf": "0" * 64, "capx_token": token}, follow_redirects=False)
    assert stale.status_code == 403 and fake.profiles[uid]["skills_known"] == []
    for odd in ("é", "\u00ff" * 64):  # compared as bytes: a str compare_digest raised TypeError (a 500)
        for path in ("/pool/mine/cat/capx", "/pool/mine/cat/delete", "/pool/mine/cat/unpublish/1"):
            assert client.post(path, data={"csrf": odd}, follow_redirects=False).status_code == 403
    done = client.post("/pool/mine/cat/capx", data={"csrf": csrf.group(1), "capx_token": token},
                       follow_redirects=False)
    assert done.status_code == 303 and fake.profiles[uid]["skills_known"] == [copyright_id]
    assert fake.profiles[uid]["skills_available"] == []  # not offered: the learner did not say so

    client.post(f"/api/credentials/{credential['id']}/suspend", json={"reason": "check"}, headers=ADMIN)
    client.post("/pool/mine/cat/capx", data={"csrf": csrf.group(1)}, follow_redirects=False)
    assert fake.profiles[uid]["skills_known"] == []
    client.post(f"/api/credentials/{credential['id']}/unsuspend", json={"reason": "ok"}, headers=ADMIN)
    client.post("/pool/mine/cat/capx", data={"csrf": csrf.group(1)}, follow_redirects=False)
    assert fake.profiles[uid]["skills_known"] == [copyright_id]  # lifted: back, it was never the person's choice
    assert "Sincronizar mis habilidades verificadas con CapX" in client.get("/pool/mine?lang=es").text
