"""The data-space pages: HTML for people, the same data as JSON, 404s, languages, accessibility basics, the map."""

from __future__ import annotations

import itertools
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bridge.app import create_app
from bridge.dataspace import service
from bridge.dataspace.model import DesignSet
from bridge.db import Database
from bridge.settings import Settings

PRACTICE = "glam-archive-to-commons"
STACK = "glam-archive-to-commons-certificate"
JSON = {"Accept": "application/json"}
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def client(settings: Settings, db: Database) -> TestClient:
    assert service.load_sample_if_empty(db) > 0
    return TestClient(create_app(settings, db))


class Outline(HTMLParser):
    """Collects what the accessibility checks need: lang, landmarks, headings, images, links, text."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.headings: list[tuple[int, str]] = []
        self.landmarks: list[str] = []
        self.images: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self.nav_labels: list[str | None] = []
        self._heading: int | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag in {"main", "nav", "header", "footer"}:
            self.landmarks.append(tag)
        if tag == "nav":
            self.nav_labels.append(a.get("aria-label"))
        if tag == "img":
            self.images.append(a)
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self._heading, self._text = int(tag[1]), []

    def handle_endtag(self, tag: str) -> None:
        if self._heading and tag == f"h{self._heading}":
            self.headings.append((self._heading, " ".join("".join(self._text).split())))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading:
            self._text.append(data)


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


def assert_accessible(html: str, lang: str = "en") -> Outline:
    page = outline(html)
    assert page.lang == lang
    assert "main" in page.landmarks and "nav" in page.landmarks
    assert all(page.nav_labels), "every navigation landmark needs an aria-label"
    levels = [level for level, _ in page.headings]
    assert levels and levels[0] == 1 and levels.count(1) == 1, page.headings
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), f"heading levels skip: {levels}"
    assert all(img.get("alt") for img in page.images)
    return page


def test_practices_lists_the_pilot_as_html_and_json(client: TestClient) -> None:
    r = client.get("/practices")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = assert_accessible(r.text)
    assert f"/practices/{PRACTICE}" in page.links
    data = client.get("/practices", headers=JSON).json()
    assert [p["key"] for p in data["practices"]] == [PRACTICE]
    assert data["practices"][0]["label"] in r.text
    assert data["practices"][0]["uri"] == f"http://testserver/entity/{PRACTICE}"


def test_the_bare_address_is_a_home_page_that_leads_to_the_practices(client: TestClient) -> None:
    r = client.get("/?lang=es")
    assert r.status_code == 200
    assert 'href="/practices?lang=es"' in r.text and 'href="/verify?lang=es"' in r.text
    assert client.get("/", headers=JSON).json()["links"]["practices"] == "/practices"


def test_practice_page_shows_activities_in_order_competences_designs_courses(client: TestClient) -> None:
    r = client.get(f"/practices/{PRACTICE}")
    assert r.status_code == 200
    page = assert_accessible(r.text)
    data = client.get(f"/practices/{PRACTICE}", headers=JSON).json()

    assert [a["key"] for a in data["activities"]] == [
        "glam-plan-rights", "glam-scan-describe", "glam-upload-commons", "glam-link-wikidata"]
    positions = [r.text.index(a["label"]) for a in data["activities"]]
    assert positions == sorted(positions), "activities must appear in their order"

    competences = {c["key"]: c for c in data["competences"]}
    assert len(competences) == 5
    assert competences["glam-copyright-assessment"]["required"]["level"] == 2
    assert competences["glam-copyright-assessment"]["required"]["level_label"] == "Applies"
    assert "Level 2 — Applies" in r.text

    designs = data["designs"]
    assert designs[0]["key"] == STACK and designs[0]["is_stack"]
    micro = ["glam-mc-rights", "glam-mc-digitisation", "glam-mc-commons-upload"]
    assert [p["key"] for p in designs[0]["parts"]] == micro
    assert [d["key"] for d in designs[1:]] == micro
    for d in designs:
        assert f"/designs/{d['key']}" in page.links

    courses = {c["key"]: c for c in data["courses"]}
    assert set(courses) == {"glam-course-moodle", "glam-course-openedx"}
    assert courses["glam-course-moodle"]["url"] in page.links  # the LMS link
    assert "/courses/glam-course-openedx" in page.links
    assert any(img.get("src") == data["map"] for img in page.images)
    assert data["practice"]["links"][0]["url"] == "https://www.wikidata.org/wiki/Q565"


def test_competence_page_levels_outcomes_designs_courses_links(client: TestClient) -> None:
    key = "glam-copyright-assessment"
    r = client.get(f"/competences/{key}")
    assert r.status_code == 200
    page = assert_accessible(r.text)
    data = client.get(f"/competences/{key}", headers=JSON).json()
    assert [lv["label"] for lv in data["levels"]] == ["Assists", "Applies", "Masters", "Adapts", "Innovates"]
    assert {o["key"]: o["level"] for o in data["outcomes"]} == {
        "glam-lo-copyright-status": 2, "glam-lo-choose-licence": 2, "glam-lo-plan-project": 3}
    assert [d["key"] for d in data["designs"]] == [STACK, "glam-mc-rights"]
    assert {c["key"] for c in data["courses"]} == {"glam-course-moodle", "glam-course-openedx"}
    assert "https://www.wikidata.org/wiki/Q12978" in page.links
    assert f"/practices/{PRACTICE}#glam-plan-rights" in page.links
    assert data["practice"]["key"] == PRACTICE


def test_design_page_outcomes_assessments_thresholds_stack(client: TestClient) -> None:
    r = client.get("/designs/glam-mc-rights")
    assert r.status_code == 200
    page = assert_accessible(r.text)
    data = client.get("/designs/glam-mc-rights", headers=JSON).json()
    assert data["design"]["ects"] == 1 and data["design"]["eqf_level"] == 5
    assert [o["key"] for o in data["outcomes"]] == ["glam-lo-copyright-status", "glam-lo-choose-licence"]
    assert [(a["key"], a["passing_threshold"]) for a in data["assessments"]] == [("glam-as-rights-quiz", 70)]
    assert "70 %" in r.text
    assert [s["key"] for s in data["design"]["part_of"]] == [STACK]
    assert f"/designs/{STACK}" in page.links
    assert data["requires"][0]["competence"]["key"] == "glam-copyright-assessment"

    stack = client.get(f"/designs/{STACK}", headers=JSON).json()
    assert [p["key"] for p in stack["design"]["parts"]] == ["glam-mc-rights", "glam-mc-digitisation",
                                                             "glam-mc-commons-upload"]
    assert stack["design"]["ects"] == 5 and stack["parts_ects"] == 5
    html = client.get(f"/designs/{STACK}").text
    assert_accessible(html)
    order = [html.index(p["label"]) for p in stack["design"]["parts"]]
    assert order == sorted(order)


def test_course_page(client: TestClient) -> None:
    r = client.get("/courses/glam-course-openedx")
    assert r.status_code == 200
    page = assert_accessible(r.text)
    data = client.get("/courses/glam-course-openedx", headers=JSON).json()
    assert data["course"]["lms"] == "openedx"
    assert data["course"]["url"] in page.links
    assert data["design"]["key"] == STACK
    assert len(data["outcomes"]) == 1


@pytest.mark.parametrize("path", ["/practices/nope", "/competences/nope", "/designs/nope", "/courses/nope",
                                  "/practices/nope/map.svg", "/entity/nope", f"/competences/{PRACTICE}"])
def test_unknown_key_is_404_page_and_json(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert_accessible(r.text)
    j = client.get(path, headers=JSON)
    assert j.status_code == 404
    assert j.json()["error"].endswith("not_found")
    assert path.split("/")[2] in j.json()["message"]  # names the key that was not found


def test_entity_uris_redirect_to_the_right_page(client: TestClient, db: Database) -> None:
    cases = {
        PRACTICE: f"/practices/{PRACTICE}",
        "glam-copyright-assessment": "/competences/glam-copyright-assessment",
        STACK: f"/designs/{STACK}",
        "glam-course-moodle": "/courses/glam-course-moodle",
        "glam-plan-rights": f"/practices/{PRACTICE}#glam-plan-rights",
        "glam-lo-copyright-status": "/competences/glam-copyright-assessment#glam-lo-copyright-status",
        "glam-as-rights-quiz": "/designs/glam-mc-rights#glam-as-rights-quiz",
    }
    for key, target in cases.items():
        r = client.get(f"/entity/{key}", follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, target)
    assert client.get(f"/entity/{PRACTICE}?lang=es", follow_redirects=False).headers["location"] == \
        f"/practices/{PRACTICE}?lang=es"
    followed = client.get("/entity/glam-mc-rights", headers=JSON)
    assert followed.status_code == 200 and followed.json()["design"]["key"] == "glam-mc-rights"

    service.store(db, DesignSet.model_validate({"entities": [
        {"kind": "practice", "key": "wb-practice", "wikibase_id": "Q4242", "labels": {"en": "From Wikibase"}}]}))
    r = client.get("/entity/Q4242", follow_redirects=False)
    assert r.headers["location"] == "/practices/wb-practice"


def test_entity_base_defaults_to_own_entity_pages(settings: Settings) -> None:
    assert settings.entity_base == "http://testserver/entity/"


def test_spanish_by_query_or_accept_language_with_english_fallback(client: TestClient, db: Database) -> None:
    es = client.get(f"/practices/{PRACTICE}?lang=es")
    assert_accessible(es.text, lang="es")
    assert "Digitalizar un pequeño archivo y subirlo a Wikimedia Commons" in es.text
    assert "Actividades" in es.text and f'href="/designs/{STACK}?lang=es"' in es.text
    assert es.headers["content-language"] == "es"

    by_header = client.get(f"/practices/{PRACTICE}", headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"})
    assert_accessible(by_header.text, lang="es")
    assert by_header.text.count("Digitalizar un pequeño archivo") >= 1
    rated = client.get("/practices", headers={"Accept-Language": "en;q=0.4, es;q=0.8", **JSON}).json()
    assert rated["lang"] == "es" and rated["practices"][0]["label"].startswith("Digitalizar")
    assert client.get("/practices?lang=xx", headers=JSON).json()["lang"] == "en"

    service.store(db, DesignSet.model_validate({"entities": [
        {"kind": "competence", "key": "only-english", "part_of": PRACTICE, "labels": {"en": "Only in English"}}]}))
    r = client.get("/competences/only-english?lang=es")
    assert '<h1 lang="en">Only in English</h1>' in r.text
    assert client.get("/competences/only-english?lang=es", headers=JSON).json()["competence"]["label_lang"] == "en"


def test_competence_map_is_svg_naming_every_competence(client: TestClient) -> None:
    r = client.get(f"/practices/{PRACTICE}/map.svg")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(r.text)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text and PRACTICE not in title.text and "Competence map" in title.text
    assert desc is not None and desc.text
    node_titles = {g.get("data-key"): g.findtext(f"{SVG}title") for g in root.iter(f"{SVG}g")}
    data = client.get(f"/practices/{PRACTICE}", headers=JSON).json()
    for c in data["competences"]:
        assert node_titles[c["key"]] == c["label"]
        assert c["label"] in desc.text
    for item in [*data["designs"], *data["courses"]]:
        assert item["key"] in node_titles
    graph = client.get(f"/practices/{PRACTICE}/map.svg", headers=JSON).json()
    edges = {(e["from"], e["to"]) for e in graph["edges"]}
    assert (PRACTICE, "glam-copyright-assessment") in edges
    assert ("glam-copyright-assessment", "glam-mc-rights") in edges
    assert ("glam-mc-rights", STACK) in edges and (STACK, "glam-course-moodle") in edges
    assert ET.fromstring(client.get(f"/practices/{PRACTICE}/map.svg?lang=es").text).findtext(f"{SVG}title", "") \
        .startswith("Mapa de competencias")


def test_text_from_the_data_is_escaped_in_pages_and_map(client: TestClient, db: Database) -> None:
    nasty = 'Rights & <script>alert("x")</script> "quoted"'
    service.store(db, DesignSet.model_validate({"entities": [
        {"kind": "competence", "key": "nasty", "part_of": PRACTICE, "labels": {"en": nasty}}]}))
    html = client.get(f"/practices/{PRACTICE}").text
    assert "<script>" not in html and "&lt;script&gt;" in html
    svg = client.get(f"/practices/{PRACTICE}/map.svg").text
    root = ET.fromstring(svg)  # still well-formed XML
    titles = [g.findtext(f"{SVG}title") for g in root.iter(f"{SVG}g") if g.get("data-key") == "nasty"]
    assert titles == [nasty]


def test_json_pages_are_plain_json_and_vary_on_accept(client: TestClient) -> None:
    for path in ["/practices", f"/practices/{PRACTICE}", "/competences/glam-structured-data",
                 f"/designs/{STACK}", "/courses/glam-course-moodle"]:
        r = client.get(path, headers=JSON)
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        assert "Accept" in r.headers["vary"]
        body: dict[str, Any] = r.json()
        assert body["lang"] == "en"
        json.dumps(body)
        assert client.get(path + "?format=json").json() == body


def test_empty_data_space_says_how_to_fill_it(settings: Settings, db: Database) -> None:
    r = TestClient(create_app(settings, db)).get("/practices")
    assert r.status_code == 200 and "leads data load" in r.text


def test_a_bare_practice_still_has_a_page_and_a_map(client: TestClient, db: Database) -> None:
    service.store(db, DesignSet.model_validate({"entities": [
        {"kind": "practice", "key": "bare", "labels": {"en": "A practice with nothing yet"}}]}))
    r = client.get("/practices/bare")
    assert r.status_code == 200 and r.text.count("None yet.") == 4
    assert_accessible(r.text)
    root = ET.fromstring(client.get("/practices/bare/map.svg").text)
    assert [g.get("data-key") for g in root.iter(f"{SVG}g")] == ["bare"]
