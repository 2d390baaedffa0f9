"""The editor without a Wikibase: an admin names an editor, who signs in, sees problems as she types, keeps a draft
and publishes to the local data space; each entity keeps its history."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bridge.app import create_app
from bridge.editor import service
from bridge.settings import Settings

ADMIN = {"Authorization": "Bearer change-me-dev-only"}


@pytest.fixture
def app(tmp_path) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path / "var", base_url="http://testserver", load_sample=False)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert m, html[:500]
    return m[1]


def signed_in(client: TestClient, name: str = "Alice") -> str:
    token = client.post("/api/editors", json={"name": name}, headers=ADMIN).json()["token"]
    r = client.post("/edit/signin", data={"name": name, "token": token}, follow_redirects=True)
    assert r.status_code == 200 and name in r.text
    return _csrf(client.get("/edit/practice/new").text)


def test_wrong_token_is_refused_and_editing_needs_sign_in(app: TestClient) -> None:
    app.post("/api/editors", json={"name": "Alice"}, headers=ADMIN)
    assert app.post("/edit/signin", data={"name": "Alice", "token": "guess"}).status_code == 401
    r = app.post("/edit/practice", data={"key": "p", "label.en": "P", "action": "publish", "csrf": "x"})
    assert r.status_code == 401
    assert app.post("/api/editors", json={"name": "Eve"}).status_code == 401  # only the admin names editors


@pytest.mark.parametrize("name", ["Ali\x00ce", "Ali\u202ece", "Ali\nce", "a" * 256])
def test_an_editor_name_follows_the_one_name_rule(app: TestClient, name: str) -> None:
    """The name appears on every page the editor changes; control and invisible characters are refused."""
    r = app.post("/api/editors", json={"name": name}, headers=ADMIN)
    assert (r.status_code, r.json()["error"]) == (422, "editor_name_invalid"), r.text
    assert "the editor's name: the name" in r.json()["message"]
    assert app.post("/api/editors", json={"name": " Alice "}, headers=ADMIN).json()["name"] == "Alice"


def test_practice_with_activities_checked_drafted_published_with_history(app: TestClient) -> None:
    csrf = signed_in(app)
    form = {"csrf": csrf, "key": "editing", "label.en": "Editing", "label.es": "Edición",
            "activity.1.key": "editing-write", "activity.1.en": "Write", "activity.2.key": "editing-cite",
            "activity.2.en": "Cite", "summary": "a practice", "action": "publish"}
    problems = app.post("/api/edit/practice/check", data={**form, "label.en": ""}).json()["problems"]
    assert any("has no 'en' label" in p["text"] for p in problems)  # the message of `leads data validate`
    assert app.post("/api/edit/practice/check", data=form).json() == {"valid": True, "problems": []}
    r = app.post("/edit/practice", data={**form, "action": "draft"})
    assert r.status_code == 303 and app.get("/api/entities").json()["entities"] == []  # a draft is not published
    assert "editing" in app.get("/edit").text
    r = app.post("/edit/practice", data=form)
    assert r.status_code == 303, r.text
    keys = [e["key"] for e in app.get("/api/entities").json()["entities"]]
    assert sorted(keys) == ["editing", "editing-cite", "editing-write"]
    assert 'href="/edit/history/editing"' in app.get("/practices/editing").text  # the entity page links its history
    history = app.get("/edit/history/editing", headers={"Accept": "application/json"}).json()["history"]
    assert [(h["author"], h["summary"]) for h in history] == [("Alice", "a practice")]


def test_invalid_input_is_refused_with_the_messages_and_nothing_saved(app: TestClient) -> None:
    csrf = signed_in(app)
    r = app.post("/edit/design", data={"csrf": csrf, "key": "d1", "label.en": "D1", "ects": "-2",
                                       "action": "publish"})
    assert r.status_code == 422
    assert "credit points cannot be negative" in r.text and "needs at least one learning outcome" in r.text
    assert app.get("/api/entities").json()["entities"] == []
    r = app.post("/edit/design", data={"csrf": "wrong", "key": "d1", "label.en": "D1", "action": "publish"})
    assert r.status_code == 403


def test_nested_activity_with_required_competences(app: TestClient) -> None:
    csrf = signed_in(app)
    base = {"csrf": csrf, "action": "publish"}
    assert app.post("/edit/practice", data={**base, "key": "p", "label.en": "P", "activity.1.key": "a1",
                                            "activity.1.en": "A1"}).status_code == 303
    assert app.post("/edit/competence", data={**base, "key": "c", "label.en": "C", "part_of": "p",
                                              "levels.1.en": "Assists", "levels.2.en": "Applies"}).status_code == 303
    bad = app.post("/api/edit/activity/check", data={**base, "key": "a2", "label.en": "A2", "part_of": "a1",
                                                 "requires.1": "c", "requires.1.level": "4"}).json()["problems"]
    assert [p["text"] for p in bad] == ["a2 · proficiency level: level 4 is not a level of 'c' (it has [1, 2])"]
    r = app.post("/edit/activity", data={**base, "key": "a2", "label.en": "A2", "part_of": "a1",
                                         "requires.1": "c", "requires.1.level": "2"})
    assert r.status_code == 303, r.text
    a2 = next(e for e in app.get("/api/entities").json()["entities"] if e["key"] == "a2")
    assert a2["kind"] == "activity"
    page = app.get("/edit/activity/a2").text
    assert '<option value="c" selected>' in page and '<option value="a1" selected>' in page
    r = app.post("/edit/activity", data={**base, "key": "a1", "label.en": "A1", "part_of": "p",
                                         "has_part.1": "a2"})
    assert r.status_code == 303, r.text
    assert 'value="a2" selected' in app.get("/edit/activity/a1").text


def test_the_editor_speaks_spanish(app: TestClient) -> None:
    signed_in(app)
    page = app.get("/edit/design/new?lang=es").text
    assert "Guardar borrador" in page and "Créditos ECTS" in page and "Compuesta por, en orden" in page
    assert "Editar el espacio de datos" in app.get("/edit?lang=es").text


def test_the_problems_an_editor_reads_are_in_her_language(app: TestClient) -> None:
    """The form's problems as she types and after publishing: the property and the sentence translated, with the
    values she typed; the check's JSON says which language each text is in, and keeps the English for programs."""
    csrf = signed_in(app)
    form = {"csrf": csrf, "key": "d1", "label.en": "D1", "ects": "-2", "eqf_level": "9", "action": "publish"}
    spanish = ["d1 · resultado de aprendizaje: un diseño de credencial necesita al menos un resultado de aprendizaje",
               "d1 · evaluado mediante: una microcredencial necesita al menos una evaluación (o compóngala a partir "
               "de partes)",
               "d1 · Nivel MEC: es 9; el MEC tiene los niveles 1 a 8",
               "d1 · Créditos ECTS: es -2; los créditos no pueden ser negativos"]
    live = app.post("/api/edit/design/check?lang=es", data=form).json()["problems"]
    assert [p["text"] for p in live] == spanish and {p["text_lang"] for p in live} == {"es"}
    assert [p["message"] for p in live if p["property"] == "EQF level"] == ["is 9; the EQF has levels 1 to 8"]
    page = app.post("/edit/design?lang=es", data=form)
    assert page.status_code == 422
    shown = re.search(r'<section id="problems".*?</section>', page.text, re.S)
    assert shown and re.findall(r"<li>(.*?)</li>", shown.group(0)) == spanish
    app.cookies.delete("leads_lang")  # the Spanish page set it; a program asking without it reads English
    english = app.post("/api/edit/design/check", data=form).json()["problems"]
    assert "d1 · ECTS credit points: is -2; credit points cannot be negative" in [p["text"] for p in english]


def _publish(client: TestClient, csrf: str, key: str) -> int:
    return client.post("/edit/practice", data={"csrf": csrf, "key": key, "label.en": key.title(),
                                               "action": "publish"}).status_code


def test_an_editor_removed_or_given_a_new_token_is_signed_out_everywhere(app: TestClient) -> None:
    """Before, the session outlived the role: a removed editor kept publishing for 8 hours."""
    csrf = signed_in(app, "Mallory")
    assert _publish(app, csrf, "before-removal") == 303
    assert app.delete("/api/editors/Mallory", headers=ADMIN).status_code == 204
    assert _publish(app, csrf, "after-removal") == 401
    csrf = signed_in(app, "Bob")
    assert app.post("/api/editors", json={"name": "Bob"}, headers=ADMIN).status_code in (200, 201)  # a new token
    assert _publish(app, csrf, "after-new-token") == 401


def test_another_site_cannot_sign_a_browser_in_as_its_editor(app: TestClient) -> None:
    token = app.post("/api/editors", json={"name": "Mallory"}, headers=ADMIN).json()["token"]
    forged = app.post("/edit/signin", data={"name": "Mallory", "token": token},
                      headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403 and "leads_editor" not in forged.headers.get("set-cookie", "")
    assert app.post("/edit/signin", data={"name": "Mallory", "token": token},
                    headers={"Origin": "http://testserver"}).status_code == 303


def test_a_key_never_changes_kind(app: TestClient) -> None:
    """Before, a practice form could take a design's or an activity's key: the entity was replaced by another kind,
    and everything that named it broke."""
    csrf = signed_in(app)
    assert app.post("/edit/practice", data={"csrf": csrf, "key": "editing", "label.en": "Editing",
                                            "activity.1.key": "editing-write", "activity.1.en": "Write",
                                            "action": "publish"}).status_code == 303
    for form, kind in (({"key": "editing-write", "label.en": "Over an activity"}, "activity"),
                       ({"key": "other", "label.en": "Other", "activity.1.key": "editing", "activity.1.en": "Over"},
                        "practice")):
        refused = app.post("/edit/practice?lang=en", data={"csrf": csrf, **form, "action": "publish"})
        assert refused.status_code == 422, refused.text[:300]
        assert f"this key already names an entity of another kind ({kind})" in refused.text
        spanish = app.post("/edit/practice?lang=es", data={"csrf": csrf, **form, "action": "publish"})
        assert "ya nombra un elemento de otro tipo" in spanish.text
    stored = service.known(app.app.state.db)  # type: ignore[attr-defined]
    assert (stored["editing"].kind, stored["editing-write"].kind) == ("practice", "activity")


def test_a_practice_draft_reopens_with_its_activity_drafts_and_only_for_editors(app: TestClient) -> None:
    """Reopening a practice draft filled its activity rows from what is stored, not from the activity drafts (what
    was typed for them was lost on publishing); and anyone could read drafts and who wrote them, though drafts are
    nobody else's business until published."""
    csrf = signed_in(app)
    form = {"csrf": csrf, "key": "editing", "label.en": "Editing", "activity.1.key": "editing-write",
            "activity.1.en": "Write", "action": "publish"}
    assert app.post("/edit/practice", data=form).status_code == 303
    r = app.post("/edit/practice", data={**form, "label.en": "Editing (secret plan)", "activity.1.en": "Write drafts",
                                         "activity.2.key": "editing-review", "activity.2.en": "Review",
                                         "activity.2.es": "Revisar", "action": "draft"})
    assert r.status_code == 303
    page = app.get("/edit/practice/editing").text
    rows = dict((f"{i}.{f}", v) for i, f, v in re.findall(r'name="activity\.(\d+)\.(key|en|es)" value="([^"]*)"', page))
    assert rows["1.en"] == "Write drafts" and rows["2.key"] == "editing-review" and rows["2.es"] == "Revisar"
    published = {"csrf": csrf, "key": "editing", "label.en": "Editing (secret plan)", "action": "publish",
                 **{f"activity.{k}": v for k, v in rows.items()}}
    assert app.post("/edit/practice", data=published).status_code == 303  # the reopened form, as shown
    stored = service.known(app.app.state.db)  # type: ignore[attr-defined]
    assert stored["editing-write"].labels["en"] == "Write drafts"
    assert stored["editing-review"].labels == {"en": "Review", "es": "Revisar"}

    r = app.post("/edit/practice", data={**form, "label.en": "Editing (next plan)", "action": "draft"})
    assert r.status_code == 303
    anonymous = TestClient(app.app)
    assert "Editing (next plan)" not in anonymous.get("/edit/practice/editing").text
    assert "Editing (secret plan)" in anonymous.get("/edit/practice/editing").text  # what is published
    assert "Alice" not in anonymous.get("/edit").text and "Drafts" not in anonymous.get("/edit").text
    assert app.post("/edit/practice", data={**form, "key": "drafting", "action": "draft"}).status_code == 303
    assert anonymous.get("/edit/practice/drafting").status_code == 404  # a draft of a new entity: not there yet
    assert "Editing (next plan)" in app.get("/edit/practice/editing").text and "drafting" in app.get("/edit").text
