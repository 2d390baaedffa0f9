"""Cat's map from pasted and uploaded credentials: verified credentials of trusted issuers count as held, the rest
are shown as not counted; each gap lists the designs and courses that close it; nothing is kept unless shared."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bridge.app import create_app
from bridge.editor.tables import SharedMap
from bridge.settings import Settings

ADMIN = {"Authorization": "Bearer change-me-dev-only"}
PRACTICE = "glam-archive-to-commons"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("map") / "var", base_url="http://testserver",
                        load_sample=True)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def issue(app: TestClient, design: str) -> bytes:
    r = app.post("/api/credentials", json={"design": design, "learner": {"name": "Cat"}, "format": "ob3",
                                           "grade": "A"}, headers=ADMIN)
    assert r.status_code == 201, r.text
    return app.get(f"/credentials/{r.json()['id']}?format=json").content


def shared_count(app: TestClient) -> int:
    with app.app.state.db.session() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(SharedMap)) or 0)


def test_held_and_missing_with_designs_and_courses(app: TestClient) -> None:
    rights = issue(app, "glam-mc-rights")
    r = app.post("/map", data={"practice": PRACTICE, "credential": rights.decode()},
                 headers={"Accept": "application/json"})
    assert r.status_code == 200, r.text
    data = r.json()
    assert [c["key"] for c in data["held"]] == ["glam-copyright-assessment"]
    assert data["held"][0]["from"] and data["credentials"][0]["counted"] is True
    missing = {c["key"]: c for c in data["missing"]}
    digit = missing["glam-digitisation-imaging"]["routes"]
    assert next(d["key"] for d in digit) == "glam-mc-digitisation"  # the micro-credential first, then the stack
    assert digit[-1]["key"] == "glam-archive-to-commons-certificate"
    assert {c["key"] for c in digit[-1]["courses"]} == {"glam-course-moodle", "glam-course-openedx"}
    assert missing["glam-digitisation-imaging"]["pool"] == "/pool/competences/glam-digitisation-imaging"
    assert shared_count(app) == 0  # nothing kept


def test_tampered_credential_does_not_count_and_upload_works(app: TestClient) -> None:
    doc = json.loads(issue(app, "glam-mc-digitisation"))
    doc["credentialSubject"]["name"] = "Mallory"
    r = app.post("/map", data={"practice": PRACTICE}, headers={"Accept": "application/json"},
                 files={"files": ("c.json", json.dumps(doc).encode(), "application/json")})
    data = r.json()
    assert data["held"] == [] and data["credentials"][0]["counted"] is False


def test_shared_map_keeps_the_map_only(app: TestClient, tmp_path: Path) -> None:
    before = shared_count(app)
    r = app.post("/map", data={"practice": PRACTICE, "credential": issue(app, "glam-mc-rights").decode(),
                               "share": "1"})
    assert r.status_code == 303 and r.headers["location"].startswith("/map/s/")
    assert shared_count(app) == before + 1
    page = app.get(r.headers["location"])
    assert (page.status_code == 200 and "Copyright" in page.text) or "copyright" in page.text.lower()
    with app.app.state.db.session() as session:  # type: ignore[attr-defined]
        stored = json.dumps([row.data for row in session.scalars(select(SharedMap))])
    assert "proof" not in stored and "credentialSubject" not in stored
    location = r.headers["location"]
    path, _, key = location.partition("?k=")
    assert "remove-map" in page.text and "remove-map" not in app.get(path).text  # only the key shows the button
    assert app.post(f"{path}/remove", data={"k": "guess"}).status_code == 404
    assert app.post(f"{path}/remove", data={"k": key}).status_code == 303
    assert app.get(path).status_code == 404 and shared_count(app) == before


def test_a_shared_map_keeps_neither_what_was_sent_nor_long_names(app: TestClient) -> None:
    """Before, a shared map kept every item sent, named as it was sent: five anonymous posts of twenty files named
    "N" × 450,000 kept 45 MB for ever."""
    junk = [("files", (f"c{i}.json", json.dumps({"@context": [], "name": "N" * 450_000}).encode(),
                       "application/json")) for i in range(3)]
    shared = app.post("/map", data={"practice": PRACTICE, "credential": issue(app, "glam-mc-rights").decode(),
                                    "share": "1"}, files=junk)
    assert shared.status_code == 303
    with app.app.state.db.session() as session:  # type: ignore[attr-defined]
        stored = json.dumps([row.data for row in session.scalars(select(SharedMap))])
    assert len(stored) < 20_000 and "NNNNNNNNNN" not in stored and '"credentials"' not in stored
    assert app.get(shared.headers["location"]).status_code == 200
    shown = app.post("/map", data={"practice": PRACTICE}, files=junk[:1], headers={"Accept": "application/json"})
    assert len(shown.json()["credentials"][0]["name"]) == 200  # what the learner sees of it, not kept


def test_the_map_speaks_spanish(app: TestClient) -> None:
    page = app.get("/map?lang=es").text
    assert "Mi mapa de competencias" in page and "Mostrar mi mapa" in page
    doc = json.loads(issue(app, "glam-mc-rights"))
    doc["credentialSubject"]["name"] = "Mallory"
    page = app.post("/map?lang=es", data={"practice": PRACTICE, "credential": json.dumps(doc)}).text
    assert "no cuenta: no se verifica" in page and "Lo que le falta" in page


def test_what_did_not_count_is_said_at_the_top_of_the_map(app: TestClient) -> None:
    """The reasons are listed under the map; on a phone that is far below "Nothing in this practice yet"."""
    rights = issue(app, "glam-mc-rights")
    page = app.post("/map?lang=es", data={"practice": PRACTICE, "credential": "{nope"},
                    files=[("files", ("x.bin", b"\x00\xffjunk", "application/octet-stream")),
                           ("files", ("c.json", rights, "application/json"))]).text
    notice = page.split('id="uncounted"', 1)[1].split("</p>", 1)[0]
    assert 'href="#your-credentials"' in notice and "2 elementos que aportó no cuentan" in notice
    assert page.index('id="uncounted"') < page.index('id="held"') < page.index('id="your-credentials"')
    page = app.post("/map", data={"practice": PRACTICE, "credential": rights.decode()}).text
    assert 'id="uncounted"' not in page  # everything counted: nothing to say


def test_a_shared_map_is_kept_for_a_while_not_for_ever(app: TestClient) -> None:
    """Anyone may share a map; each was a row kept for ever. Its page says until when it is kept; past that it is
    gone, and sharing the next map deletes the maps past their time."""
    old = app.post("/map", data={"practice": PRACTICE, "share": "1"})
    assert old.status_code == 303
    page = app.get(old.headers["location"] + "&lang=es").text
    until = (datetime.now(UTC) + timedelta(days=365)).year
    assert "Se conserva hasta el" in page and str(until) in page
    old_id = old.headers["location"].split("/map/s/", 1)[1].split("?", 1)[0]
    with app.app.state.db.session() as session:  # type: ignore[attr-defined]
        session.get(SharedMap, old_id).created_at = datetime.now(UTC) - timedelta(days=366)
    gone = app.get(old.headers["location"], headers={"Accept": "application/json"})
    assert gone.status_code == 404 and "its time ran out" in gone.json()["message"]
    assert app.post("/map", data={"practice": PRACTICE, "share": "1"}).status_code == 303
    with app.app.state.db.session() as session:  # type: ignore[attr-defined]
        assert session.get(SharedMap, old_id) is None


def test_sharing_maps_is_rationed_per_address(tmp_path: Path) -> None:
    """Anyone may share a map and each is kept a year: without a bound one address kept about 43,000 rows a day."""
    settings = Settings(data_dir=tmp_path / "var", base_url="http://testserver", load_sample=True,
                        shared_maps_per_hour=2)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        for _ in range(2):
            assert client.post("/map", data={"practice": PRACTICE, "share": "1"}).status_code == 303
        refused = client.post("/map?lang=es", data={"practice": PRACTICE, "share": "1"})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 60
        assert "Demasiados mapas compartidos" in refused.text
        assert client.post("/map", data={"practice": PRACTICE}).status_code == 200  # seeing a map is not sharing
        assert shared_count(client) == 2
