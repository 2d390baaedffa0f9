"""The editor with a Wikibase: people sign in with the wiki's OAuth 2 (authorization code), their edits are theirs
on the wiki, with summaries; a conflicting edit is refused by the wiki and shown with both versions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bridge.app import create_app
from tests.bridge.editor import wikiflow
from tests.bridge.wikibase.fake_wikibase import FakeWikibase, running

BASE = "http://testserver"


@pytest.fixture
def fake() -> Iterator[FakeWikibase]:
    with running() as server:
        wikiflow.prepare(server, BASE)
        yield server


@pytest.fixture
def app(fake: FakeWikibase, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(wikiflow.settings(fake, BASE, tmp_path / "var")), follow_redirects=False) as client:
        yield client


def sign_in(app: TestClient, user: str) -> str:
    r = app.get("/edit/signin")
    assert r.status_code == 303 and "/rest.php/oauth2/authorize?" in r.headers["location"]
    back = wikiflow.authorize(r.headers["location"], user)
    assert back.startswith(BASE + "/edit/callback?code=")
    r = app.get(back.removeprefix(BASE))
    assert r.status_code == 303, r.text
    page = app.get("/edit/practice/new").text
    assert f'id="signed-in-as">{user}<' in page
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page)[1]  # type: ignore[index]


def _failure(page: str) -> str:
    """The box saying why nothing was published (the form's English fields are marked lang="en" by design)."""
    return page.split('id="failure"', 1)[1].split("</section>", 1)[0]


def test_edits_are_the_persons_on_the_wiki_and_conflicts_show_both_versions(app: TestClient,
                                                                           fake: FakeWikibase) -> None:
    csrf = sign_in(app, "Alice")
    r = app.post("/edit/practice", data={"csrf": csrf, "key": "editing", "label.en": "Editing",
                                         "activity.1.key": "editing-write", "activity.1.en": "Write",
                                         "summary": "Alice adds a practice", "action": "publish"})
    assert r.status_code == 303, r.text
    assert {s for _, _, s in fake.edits_by("Alice")} == {"Alice adds a practice"}
    hits = app.get("/edit/search", params={"q": "Edit", "lang": "en"}).json()["results"]  # search-as-you-type
    searched = fake.counts["wbsearchentities"]
    anonymous = TestClient(app.app)  # no editor's session (and the app's lifespan left to `app`): no call to the wiki
    refused = anonymous.get("/edit/search", params={"q": "Edit"}, headers={"Accept": "application/json"})
    assert (refused.status_code, refused.json()["error"]) == (401, "sign_in_required")
    assert fake.counts["wbsearchentities"] == searched
    assert [h["label"] for h in hits] == ["Editing"] and hits[0]["id"].startswith("Q")
    assert len({eid for eid, _, _ in fake.edits_by("Alice")}) == 2
    csrf = sign_in(app, "Alice")
    form_page = app.get("/edit/practice/editing").text
    base_rev = re.search(r'name="base_rev" value="([0-9]+)"', form_page)[1]  # type: ignore[index]
    qid = app.get("/api/entities").json()["entities"][1]["wikibase_id"]
    fake.wiki_edit(next(e["wikibase_id"] for e in app.get("/api/entities").json()["entities"]
                        if e["key"] == "editing"),
                   lambda e: e["labels"].update(en={"language": "en", "value": "Wiki editing"}), user="Someone")
    assert qid
    r = app.post("/edit/practice", data={"csrf": csrf, "key": "editing", "label.en": "Editing well",
                                         "base_rev": base_rev, "activity.1.key": "editing-write",
                                         "activity.1.en": "Write", "action": "publish"})
    assert r.status_code == 409, r.text
    assert "Wiki editing" in r.text and "Editing well" in r.text


def test_a_wiki_that_keeps_failing_is_said_in_the_editors_language(app: TestClient, fake: FakeWikibase) -> None:
    """The wiki's refusal reaches the person in Spanish with its values, and nothing of the form is lost on the wiki
    side: the wiki answered 503 to every try, so no item was made."""
    csrf = sign_in(app, "Bob")
    fake.fail_next("503", times=10, action="wbeditentity")
    r = app.post("/edit/practice?lang=es", data={"csrf": csrf, "key": "curating", "label.en": "Curating",
                                                 "activity.1.key": "curating-sort", "activity.1.en": "Sort",
                                                 "action": "publish"}, headers={"Accept": "text/html"})
    assert r.status_code == 502, r.text
    main = _failure(r.text)
    assert f"el Wikibase de {fake.url} no está disponible tras 2 intentos" in main, main
    assert "siguió respondiendo con errores HTTP 5xx" in main and 'lang="en"' not in main
    assert 'value="Curating"' in r.text  # the form comes back as typed
    assert fake.edits_by("Bob") == []


def test_a_wiki_busy_when_the_edit_token_is_fetched_is_not_an_expired_sign_in(app: TestClient,
                                                                               fake: FakeWikibase) -> None:
    """A 503 to the token request said "sign in again" (401): the person's sign-in was fine, the wiki was busy."""
    csrf = sign_in(app, "Bob")
    fake.fail_next("503", action="query")
    r = app.post("/edit/practice?lang=es", data={"csrf": csrf, "key": "curating", "label.en": "Curating",
                                                 "activity.1.key": "curating-sort", "activity.1.en": "Sort",
                                                 "action": "publish"}, headers={"Accept": "text/html"})
    assert r.status_code == 502, r.text
    main = _failure(r.text)
    assert "su inicio de sesión sigue siendo válido" in main and 'lang="en"' not in main, main
    r = app.post("/edit/practice", data={"csrf": csrf, "key": "curating", "label.en": "Curating",
                                         "activity.1.key": "curating-sort", "activity.1.en": "Sort",
                                         "action": "publish"})
    assert r.status_code == 303, r.text  # the same sign-in publishes once the wiki answers again


def test_the_persons_session_gives_up_on_a_wiki_that_never_answers() -> None:
    """wikibaseintegrator fetches edit tokens without a timeout; the person's session bounds every request."""
    import socket

    import requests

    from bridge.editor.wiki import _Bounded

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        session = requests.Session()
        session.mount("http://", _Bounded(0.3))
        with pytest.raises(requests.Timeout):
            session.get(f"http://127.0.0.1:{silent.getsockname()[1]}/w/api.php")


def test_a_publish_cut_short_keeps_the_form_and_publishing_again_makes_no_second_item(app: TestClient,
                                                                                     fake: FakeWikibase) -> None:
    """New items are saved as stubs first; the wiki going down after them used to lose the form (an error page),
    and publishing again tried to make each item a second time, which the wiki refuses (the same label, the same
    empty description): the editor could never publish it."""
    csrf = sign_in(app, "Bob")
    fields = {"csrf": csrf, "key": "curating", "label.en": "Curating", "label.es": "Curaduría",
              "activity.1.key": "curating-sort", "activity.1.en": "Sort", "action": "publish"}
    fake.outage_after = fake.counts["saved"] + 2  # the two stubs are saved, then every request answers 503
    r = app.post("/edit/practice?lang=es", data=fields, headers={"Accept": "text/html"})
    assert r.status_code == 502, r.text
    assert 'id="failure"' in r.text and "Lo que escribió sigue en el formulario" in r.text
    assert 'value="Curaduría"' in r.text and 'value="curating"' in r.text  # the form as typed
    fake.outage_after = None
    r = app.post("/edit/practice", data=fields)
    assert r.status_code == 303, r.text
    made = [eid for eid, _, _ in fake.edits_by("Bob")]
    assert len(set(made)) == 2, made  # one practice and one activity, each completed, none made twice
    page = app.get(r.headers["location"]).text  # no ?lang= on the form's post: the language chosen earlier holds
    assert "Publicado en el wiki con su nombre." in page, page
